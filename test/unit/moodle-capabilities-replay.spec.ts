import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MoodleSimulator } from '../moodle-simulator/moodle-simulator';

/**
 * The simulator refuses, and leaves out, exactly what a real Moodle 5.0.6 did for a web-service
 * user holding the shipped role minus one capability (test/fixtures/moodle-local/capabilities-recorded.json,
 * recorded on loopback; timestamps and other per-run values are not compared).
 */
interface Recorded {
  case: string;
  without: string | null;
  wsfunction: string;
  params: [string, string][];
  body: unknown;
}
interface Fixture {
  ids: {
    course: number;
    students: { id: number; username: string; idnumber: string; email: string }[];
    assignments: { instanceid: number; cmid: number; name: string; feedbackcomments: number }[];
    lti: { instanceid: number; cmid: number; name: string };
  };
  calls: Recorded[];
}

const FIXTURE = JSON.parse(readFileSync(join(__dirname, '../fixtures/moodle-local/capabilities-recorded.json'), 'utf8')) as Fixture;

/** The recorded site: course 2, students 3–7, gradesync (id 8, not enrolled) as the token user. */
function seedLocalSite(sim: MoodleSimulator): void {
  const { ids } = FIXTURE;
  sim.setTokenUser({ id: 8, username: 'gradesync', email: 'gradesync@example.com', firstname: 'Grade', lastname: 'Sync' });
  sim.addCourse({ id: ids.course, shortname: 'SPEECH101' });
  for (const s of ids.students) {
    sim.addUser({ id: s.id, username: s.username, idnumber: s.idnumber, email: s.email });
    sim.enrol(ids.course, s.id);
  }
  for (const a of ids.assignments) sim.addAssignment({ id: a.instanceid, cmid: a.cmid, courseId: ids.course, name: a.name, feedbackComments: a.feedbackcomments === 1 });
  sim.addActivity({ component: 'mod_lti', instance: ids.lti.instanceid, cmid: ids.lti.cmid, courseId: ids.course, name: ids.lti.name });
}

/** What must agree: errors exactly; otherwise who and what is listed, and the warnings. */
function essence(body: unknown): unknown {
  if (Array.isArray(body)) return { users: body.map((u: { id: number }) => u.id) };
  if (!body || typeof body !== 'object') return body;
  const b = body as Record<string, any>;
  if ('errorcode' in b) return { exception: b.exception, errorcode: b.errorcode, message: b.message };
  if ('usergrades' in b) return { report: b.usergrades.map((u: any) => [u.userid, u.gradeitems.map((i: any) => [i.itemmodule, i.cmid ?? null])]) };
  if ('courses' in b) return { courses: b.courses.map((c: any) => [c.id, (c.assignments ?? []).map((a: any) => a.id)]), warnings: b.warnings };
  if ('assignments' in b) return { graded: b.assignments.map((a: any) => a.assignmentid), warnings: b.warnings.filter((w: any) => w.warningcode !== '3') };
  return body;
}

describe('the simulator against capability refusals recorded on a real Moodle 5.0.6', () => {
  let sim: MoodleSimulator;

  beforeAll(async () => {
    sim = await MoodleSimulator.start({ seed: seedLocalSite });
  });
  afterAll(() => sim.close());

  it('covers every capability whose absence changed an answer', () => {
    const dropped = new Set(FIXTURE.calls.map((c) => c.without).filter(Boolean));
    expect(dropped).toEqual(
      new Set([
        'webservice/rest:use', 'moodle/course:view', 'mod/assign:view', 'mod/assign:grade', 'mod/lti:view', 'gradereport/user:view',
        'moodle/grade:viewall', 'moodle/grade:edit', 'moodle/course:enrolreview', 'moodle/user:viewdetails', 'moodle/user:viewalldetails',
        'moodle/site:viewuseridentity',
      ]),
    );
  });

  it.each(FIXTURE.calls.map((c) => [`${c.without ? `without ${c.without}` : 'with the role'}: ${c.case}`, c] as const))('%s', async (_name, call) => {
    sim.reset();
    if (call.without) sim.revokeCapability(call.without);
    const body = new URLSearchParams([['wstoken', sim.token], ['wsfunction', call.wsfunction], ['moodlewsrestformat', 'json'], ...call.params]);
    const res = await fetch(`${sim.baseUrl}/webservice/rest/server.php`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(essence(JSON.parse(await res.text()))).toEqual(essence(call.body));
  });
});

describe('grade types as a real Moodle 5.0.6 shows them (grade-types-recorded.json)', () => {
  const recorded = JSON.parse(readFileSync(join(__dirname, '../fixtures/moodle-local/grade-types-recorded.json'), 'utf8')) as { calls: Recorded[] };
  const SCALE = ['Mostly separate knowing', 'Separate and connected', 'Mostly connected knowing'];
  const ltiItem = (body: any) => body.usergrades[0].gradeitems.find((i: any) => i.cmid === 4);

  async function reportWith(gradeType: 'scale' | 'text'): Promise<any> {
    const sim = await MoodleSimulator.start({ seed: seedLocalSite });
    try {
      // The seed's External tool is a value item; a second course module stands in with the recorded type.
      sim.addActivity({ component: 'mod_lti', instance: 9, cmid: 9, courseId: 2, name: 'typed', gradeType, scale: { id: 1, items: SCALE } });
      const body = new URLSearchParams([['wstoken', sim.token], ['wsfunction', 'gradereport_user_get_grade_items'], ['moodlewsrestformat', 'json'], ['courseid', '2'], ['userid', '3']]);
      const answer = (await (await fetch(`${sim.baseUrl}/webservice/rest/server.php`, { method: 'POST', body })).json()) as any;
      return answer.usergrades[0].gradeitems.find((i: any) => i.cmid === 9);
    } finally {
      await sim.close();
    }
  }

  // The text item kept the scale's bounds in the recording (it was switched from the scale): bounds are compared for the scale only.
  it.each([
    ['scale', 0, ['rangeformatted', 'grademin', 'grademax', 'scaleid', 'graderaw', 'gradeformatted']],
    ['text', 1, ['rangeformatted', 'scaleid', 'graderaw', 'gradeformatted']],
  ] as const)('a %s item: range, bounds and scaleid as recorded', async (type, index, fields) => {
    const real = ltiItem(recorded.calls[index]!.body);
    const simulated = await reportWith(type);
    for (const field of fields) expect([field, simulated[field]]).toEqual([field, real[field]]);
  });

  it('an assignment graded with a scale has assign.grade = minus the scale id', async () => {
    const real = (recorded.calls[2]!.body as any).courses[0].assignments.find((a: any) => a.id === 2);
    const sim = await MoodleSimulator.start({ seed: seedLocalSite });
    try {
      sim.addAssignment({ id: 20, cmid: 20, courseId: 2, gradeType: 'scale', scale: { id: 1, items: SCALE } });
      const body = new URLSearchParams([['wstoken', sim.token], ['wsfunction', 'mod_assign_get_assignments'], ['moodlewsrestformat', 'json'], ['courseids[0]', '2'], ['includenotenrolledcourses', '1']]);
      const answer = (await (await fetch(`${sim.baseUrl}/webservice/rest/server.php`, { method: 'POST', body })).json()) as any;
      expect(answer.courses[0].assignments.find((a: any) => a.id === 20).grade).toBe(real.grade);
    } finally {
      await sim.close();
    }
  });
});
