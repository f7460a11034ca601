import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import qs from 'qs';
import { DEFAULT_SERVICE_FUNCTIONS } from '../moodle-simulator/handlers';
import { MoodleSimulator } from '../moodle-simulator/moodle-simulator';
import { RecordedCall, recordedMoodleCalls } from '../support/spec-fixtures';

/*
 * Fidelity of the Moodle simulator: every call recorded from a real Moodle 5.0.6 is replayed, in
 * the order it was made, with the simulator brought to the recorded state before each one.
 */


interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function post(sim: MoodleSimulator, body: string, query = ''): Promise<Answer> {
  const res = await fetch(`${sim.baseUrl}/webservice/rest/server.php${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Calls a function with PHP-nested params built by qs (grades[0][studentid]=…). */
async function ws(
  sim: MoodleSimulator,
  wsfunction: string,
  params: Record<string, unknown> = {},
  opts: { token?: string; format?: 'json' | 'xml' } = {},
): Promise<Answer & { json: () => any }> {
  const fields = { wstoken: opts.token ?? sim.token, wsfunction, ...(opts.format === 'xml' ? {} : { moodlewsrestformat: 'json' }), ...params };
  const answer = await post(sim, qs.stringify(fields, { encodeValuesOnly: true }));
  return { ...answer, json: () => JSON.parse(answer.text) };
}

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const error = (exception: string, errorcode: string, message: string) => ({ exception, errorcode, message });
const INVALID_PARAMETER = error('core\\exception\\invalid_parameter_exception', 'invalidparameter', 'Invalid parameter value detected');
const MISSING_RECORD = error('dml_missing_record_exception', 'invalidrecordunknown', "Can't find data record in database.");
const ACCESS = error('webservice_access_exception', 'accessexception', 'Access control exception');

const saveEntry = (userid: number, grade: number | string, text?: string) => ({
  userid,
  grade,
  attemptnumber: -1,
  addattempt: 0,
  workflowstate: '',
  ...(text === undefined ? {} : { plugindata: { assignfeedbackcomments_editor: { text, format: 1 } } }),
});
const updateGrades = (activityid: number, grades: { studentid: number; grade: number | string; str_feedback?: string }[], extra = {}) => ({
  source: 'speechace',
  courseid: 2,
  component: activityid === 4 ? 'mod_lti' : 'mod_assign',
  activityid,
  itemnumber: 0,
  grades,
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// Replay of moodle-recorded.json
// ---------------------------------------------------------------------------------------------

type Compare = 'exact' | 'report' | 'assignGrades' | 'siteInfo';
interface Step {
  call: number;
  before?: (sim: MoodleSimulator) => void;
  compare?: Compare;
  /** Fields left out of the comparison, with the reason next to the step. */
  ignore?: string[];
}

const WSTHROWAWAY = { id: 6, username: 'wsthrowaway', email: 'wsthrowaway@example.com', firstname: 'Throwaway', lastname: 'Wsuser' };
const GRADESYNC = { id: 3, username: 'gradesync', email: 'gradesync@example.com', firstname: 'Grade', lastname: 'Sync' };

/** The recorded session in chronological order (the file is grouped by topic, not by time). */
const STEPS: Step[] = [
  // 1.x: mod_assign_save_grades and reading back.
  { call: 0, before: (s) => s.revokeCapability('mod/assign:grade') },
  { call: 1 },
  { call: 2, before: (s) => s.grantCapability('mod/assign:grade') },
  { call: 3, compare: 'report' },
  { call: 4, compare: 'assignGrades' },
  { call: 17 },
  { call: 18, compare: 'report' },
  { call: 19, compare: 'assignGrades' },
  { call: 20 },
  { call: 21 },
  { call: 22 },
  { call: 23 },
  { call: 24, compare: 'assignGrades' },
  { call: 5 },
  { call: 6 },
  { call: 7 },
  { call: 8 },
  { call: 9 },
  { call: 10 },
  { call: 11 },
  { call: 12 },
  { call: 13 },
  { call: 14 },
  { call: 15 },
  { call: 16 },
  // 2.a: whole items locked.
  { call: 25, before: (s) => s.lockItem(2) },
  { call: 26, before: (s) => s.lockItem(3) },
  { call: 27 },
  { call: 30 },
  { call: 28, compare: 'report' },
  { call: 31, compare: 'report' },
  { call: 29, compare: 'assignGrades' },
  // 2.b: items unlocked (Moodle re-pushes the assignments' grades), teacher overrides user 5 to 90.
  {
    call: 32,
    before: (s) => {
      s.lockItem(2, false);
      s.lockItem(3, false);
      s.overrideGrade(2, 5, 90);
      s.overrideGrade(3, 5, 90);
    },
  },
  { call: 33 },
  { call: 34 },
  { call: 35 },
  // Moodle's source keeps the submission date pushed by the unlock refresh (as #41 shows for user
  // 4) when a teacher overrides; the recording shows none for user 5 on item 3. Not reproducible.
  { call: 36, compare: 'report', ignore: ['gradedatesubmitted'] },
  { call: 37, compare: 'assignGrades' },
  // 2.c: user 4's grade locked on item 2.
  { call: 38, before: (s) => s.lockGrade(2, 4) },
  { call: 39 },
  { call: 40 },
  { call: 41, compare: 'report' },
  // 2.d: locks and overrides removed, then the write-back experiment.
  {
    call: 42,
    before: (s) => {
      s.lockGrade(2, 4, false);
      s.overrideGrade(2, 5, null);
      s.overrideGrade(3, 5, null);
    },
  },
  { call: 43 },
  // 4.x: access control.
  { call: 44, before: (s) => s.denyFunction('mod_assign_save_grades') },
  { call: 45, before: (s) => s.allowOnly(DEFAULT_SERVICE_FUNCTIONS) },
  { call: 46 },
  { call: 47, before: (s) => s.setTokenUser(WSTHROWAWAY), compare: 'siteInfo' },
  { call: 48 },
  { call: 49, before: (s) => s.setTokenState('suspended') },
  { call: 50 },
  { call: 51 },
  { call: 52, before: (s) => s.setTokenState('valid'), compare: 'siteInfo' },
  {
    call: 53,
    before: (s) => {
      s.setTokenUser(GRADESYNC);
      s.setTokenState('expired');
    },
  },
  { call: 54 },
  { call: 55, before: (s) => s.setTokenState('ip-restricted') },
  { call: 56, before: (s) => s.setTokenState('user-not-authorised') },
  { call: 57 },
  { call: 58, before: (s) => s.setTokenState('no-rest-capability') },
  { call: 59, before: (s) => s.setTokenState('service-disabled') },
  { call: 60, before: (s) => s.setTokenState('valid'), compare: 'siteInfo' },
  // 4.D: the same with site debugging on (debuginfo in the body).
  { call: 61, before: (s) => s.setDebug(true) },
  { call: 62, before: (s) => s.setTokenState('expired') },
  { call: 63, before: (s) => s.setTokenState('ip-restricted') },
  { call: 64, before: (s) => s.setTokenState('user-not-authorised') },
  { call: 65, before: (s) => s.setTokenState('no-rest-capability') },
  { call: 66, before: (s) => s.setTokenState('service-disabled') },
  {
    call: 67,
    before: (s) => {
      s.setTokenUser(WSTHROWAWAY);
      s.setTokenState('suspended');
    },
  },
];

const TIME_FIELDS = ['timecreated', 'timemodified', 'gradedategraded', 'gradedatesubmitted'];

/** Timestamps differ between runs: keep only whether they are set. */
function withoutTimes(value: unknown, ignore: string[] = []): unknown {
  return JSON.parse(JSON.stringify(value), (k, v) => {
    if (ignore.includes(k)) return undefined;
    return TIME_FIELDS.includes(k) && typeof v === 'number' ? '<time>' : v;
  });
}

function compareBodies(sim: MoodleSimulator, step: Step, recorded: RecordedCall, actual: string): void {
  const how = step.compare ?? 'exact';
  if (how === 'exact') {
    expect(actual).toBe(recorded.body);
    return;
  }
  const expected = JSON.parse(recorded.body);
  const got = JSON.parse(actual);
  switch (how) {
    case 'report': {
      expect(withoutTimes(got, step.ignore)).toEqual(withoutTimes(expected, step.ignore));
      // The fields a client relies on, spelled out.
      const pick = (b: any) =>
        b.usergrades[0].gradeitems.map((i: any) => [
          i.id, i.graderaw, i.locked, i.gradeislocked, i.gradeisoverridden, i.grademin, i.grademax,
          i.feedback, i.itemmodule, i.iteminstance, i.cmid,
        ]);
      expect(pick(got)).toEqual(pick(expected));
      return;
    }
    case 'assignGrades': {
      // Rows of users 999999 and 3 (calls 1.12/1.13) are absent from the recording although
      // their ids (4, 5) were used: per mod/assign's source they stay listed (get_user_grade()
      // creates a submission too), so the recorder most likely deleted them. Compared without them.
      for (const a of got.assignments) a.grades = a.grades.filter((g: any) => [4, 5].includes(g.userid));
      expect(withoutTimes(got)).toEqual(withoutTimes(expected));
      return;
    }
    case 'siteInfo': {
      // The recorded site ran on 127.0.0.1:8088 and its private access key is per user.
      const siteurl = expected.siteurl as string;
      const normalised = JSON.parse(JSON.stringify(got).split(sim.baseUrl).join(siteurl));
      normalised.userprivateaccesskey = expected.userprivateaccesskey;
      expect(normalised).toEqual(expected);
      return;
    }
  }
}

// The fixtures are part of the contract: a missing file fails here rather than skipping the replay.
describe('MoodleSimulator replays moodle-recorded.json', () => {
  const recorded: RecordedCall[] = recordedMoodleCalls();
  let sim: MoodleSimulator;

  beforeAll(async () => {
    sim = await MoodleSimulator.start({ seed: 'recorded' });
  });
  afterAll(() => sim.close());

  it('covers every recorded call exactly once', () => {
    expect(recorded).toHaveLength(68);
    expect(STEPS.map((s) => s.call).sort((a, b) => a - b)).toEqual(recorded.map((_, i) => i));
  });

  for (const step of STEPS) {
    it(`#${step.call}`, async () => {
      const call = recorded[step.call];
      step.before?.(sim);
      const answer = await post(sim, new URLSearchParams([['wstoken', sim.token], ...call.params]).toString());
      expect(answer.status).toBe(call.httpStatus);
      expect(answer.contentType).toContain(call.contentType);
      compareBodies(sim, step, call, answer.text);
      expect(sim.internalErrors).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Behaviour from the spec that the recording shows only partly
// ---------------------------------------------------------------------------------------------

describe('MoodleSimulator behaviour', () => {
  let sim: MoodleSimulator;

  beforeAll(async () => {
    sim = await MoodleSimulator.start({ seed: 'recorded' });
  });
  beforeEach(() => {
    sim.reset();
    sim.addActivity({ component: 'mod_lti', instance: 1, cmid: 4, courseId: 2, name: 'External tool' });
  });
  afterAll(() => sim.close());

  describe('core_grades_update_grades', () => {
    it('writes many students, drops str_feedback, accepts unknown and non-enrolled users', async () => {
      const res = await ws(sim, 'core_grades_update_grades', updateGrades(4, [
        { studentid: 4, grade: 77.5, str_feedback: 'Well done' },
        { studentid: 5, grade: 60 },
        { studentid: 999999, grade: 50 },
        { studentid: 3, grade: 40 },
      ]));
      expect(res.text).toBe('0');
      expect(sim.gradeOf({ cmid: 4 }, 4)).toEqual({ raw: 77.5, final: 77.5, feedback: null, locked: false, overridden: false });
      expect(sim.gradeOf({ cmid: 4 }, 5).final).toBe(60);
      expect(sim.gradeOf({ cmid: 4 }, 999999).raw).toBe(50);
      expect(sim.gradeOf({ cmid: 4 }, 3).raw).toBe(40);
    });

    it('stores the raw grade out of range and clamps the final grade; resending changes nothing', async () => {
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 150 }, { studentid: 5, grade: -5 }]))).text).toBe('0');
      expect(sim.gradeOf({ cmid: 4 }, 4)).toMatchObject({ raw: 150, final: 100 });
      expect(sim.gradeOf({ cmid: 4 }, 5)).toMatchObject({ raw: -5, final: 0 });
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 150 }]))).text).toBe('0');
      expect(sim.gradeOf({ cmid: 4 }, 4)).toMatchObject({ raw: 150, final: 100 });
    });

    it('stores grades to 5 decimals', async () => {
      await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: '33.3333333' }]));
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBe(33.33333);
    });

    it('answers 4 and writes nothing when the item is locked', async () => {
      sim.lockItem(sim.gradeItemIdFor(4));
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 70 }]))).text).toBe('4');
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
    });

    it('answers 1 when one grade is locked, and still writes the others', async () => {
      sim.lockGrade(sim.gradeItemIdFor(4), 4);
      const res = await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 70 }, { studentid: 5, grade: 80 }]));
      expect(res.text).toBe('1');
      expect(sim.gradeOf({ cmid: 4 }, 4)).toMatchObject({ raw: null, locked: true });
      expect(sim.gradeOf({ cmid: 4 }, 5).final).toBe(80);
    });

    it('keeps a teacher override: raw stored, final kept, answer 0', async () => {
      const item = sim.gradeItemIdFor(4);
      sim.overrideGrade(item, 4, 95, 'Teacher says');
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 40 }]))).text).toBe('0');
      expect(sim.gradeOf(item, 4)).toEqual({ raw: 40, final: 95, feedback: 'Teacher says', locked: false, overridden: true });
      sim.overrideGrade(item, 4, null);
      expect(sim.gradeOf(item, 4)).toMatchObject({ final: 40, overridden: false });
    });

    it('writes an assignment item too (as Moodle does), and Moodle later replaces it from the assignment', async () => {
      sim.setAssignGrade(1, 4, 81.25);
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(2, [{ studentid: 4, grade: 60 }]))).text).toBe('0');
      expect(sim.gradeOf({ cmid: 2 }, 4).final).toBe(60);
      expect(sim.assignGradeOf(1, 4)).toBe(81.25);
      sim.lockItem(2);
      sim.lockItem(2, false); // unlocking refreshes the item from the assignment
      expect(sim.gradeOf({ cmid: 2 }, 4).final).toBe(81.25);
    });

    it('refuses an unknown cmid or a cmid of another module with invalidcoursemodule', async () => {
      const cm = error('core\\exception\\moodle_exception', 'invalidcoursemodule', 'Invalid course module ID');
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(99, [{ studentid: 4, grade: 1 }]))).json()).toEqual(cm);
      const wrongModule = { ...updateGrades(2, [{ studentid: 4, grade: 1 }]), component: 'mod_lti' };
      expect((await ws(sim, 'core_grades_update_grades', wrongModule)).json()).toEqual(cm);
    });

    it('answers 2 when the itemnumber matches two items', async () => {
      sim.addGradeItem({ courseId: 2, itemmodule: 'lti', iteminstance: 1, itemnumber: 0, itemname: 'duplicate' });
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 1 }]))).text).toBe('2');
    });

    it('validates every value before writing anything', async () => {
      for (const grade of ['81,5', 'abc', '', ' 5']) {
        const res = await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 1 }, { studentid: 5, grade }]));
        expect(res.json()).toEqual(INVALID_PARAMETER);
      }
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 1 }], { unexpected: 1 }))).json()).toEqual(INVALID_PARAMETER);
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
    });
  });

  describe('mod_assign_save_grades', () => {
    const save = (assignmentid: number, grades: unknown[]) =>
      ws(sim, 'mod_assign_save_grades', { assignmentid, applytoall: 0, grades });

    it('answers null, writes the assignment and the gradebook, and notifies each time', async () => {
      expect((await save(2, [saveEntry(4, 81.25, 'Good')])).text).toBe('null');
      expect(sim.assignGradeOf(2, 4)).toBe(81.25);
      expect(sim.assignFeedbackOf(2, 4)).toBe('Good');
      expect(sim.gradeOf({ cmid: 3 }, 4)).toMatchObject({ raw: 81.25, final: 81.25, feedback: 'Good' });
      await save(2, [saveEntry(4, 81.25, 'Good')]);
      expect(sim.notificationsFor(2, 4)).toBe(2);
    });

    it('drops the feedback when the comments plugin is off but saves the grade', async () => {
      await save(1, [saveEntry(4, 70, 'ignored')]);
      expect(sim.assignGradeOf(1, 4)).toBe(70);
      expect(sim.assignFeedbackOf(1, 4)).toBeNull();
      expect(sim.gradeOf({ cmid: 2 }, 4).feedback).toBeNull();
    });

    it('silently keeps the old grade out of range, but overwrites the comment', async () => {
      await save(2, [saveEntry(4, 60, 'first')]);
      for (const grade of [150, 101, -5]) expect((await save(2, [saveEntry(4, grade, `sent ${grade}`)])).text).toBe('null');
      expect(sim.assignGradeOf(2, 4)).toBe(60);
      expect(sim.assignFeedbackOf(2, 4)).toBe('sent -5');
      expect(sim.gradeOf({ cmid: 3 }, 4)).toMatchObject({ final: 60, feedback: 'first' });
    });

    it('leaves the grade unchanged when the item or the grade is locked, or overridden', async () => {
      await save(1, [saveEntry(4, 50), saveEntry(5, 50)]);
      sim.lockGrade(2, 4);
      sim.overrideGrade(2, 5, 90);
      await save(1, [saveEntry(4, 55), saveEntry(5, 55)]);
      expect(sim.assignGradeOf(1, 4)).toBe(50);
      expect(sim.assignGradeOf(1, 5)).toBe(50);
      expect(sim.gradeOf(2, 5).final).toBe(90);
      sim.lockItem(3);
      await save(2, [saveEntry(4, 77, 'while locked')]);
      expect(sim.assignGradeOf(2, 4)).toBeNull();
      expect(sim.assignFeedbackOf(2, 4)).toBe('while locked');
      expect(sim.gradeOf(3, 4).raw).toBeNull();
    });

    it('applies a batch in order and keeps entries before a failing one', async () => {
      await save(2, [saveEntry(5, 40, 'existing comment')]);
      const res = await save(2, [saveEntry(4, 83, 'ok'), saveEntry(5, 71)]);
      expect(res.json()).toEqual(error('dml_write_exception', 'dmlwriteexception', 'Error writing to database'));
      expect(sim.assignGradeOf(2, 4)).toBe(83);
      expect(sim.assignGradeOf(2, 5)).toBe(40);
    });

    it('accepts no plugindata for a student without a comment yet', async () => {
      expect((await save(2, [saveEntry(4, 50)])).text).toBe('null');
      expect(sim.assignGradeOf(2, 4)).toBe(50);
    });

    it('refuses bad values and a missing workflowstate before writing anything', async () => {
      const { workflowstate: _w, ...noWorkflow } = saveEntry(5, 70);
      for (const bad of [saveEntry(5, 'abc'), saveEntry(5, '81,5'), noWorkflow]) {
        expect((await save(2, [saveEntry(4, 50, 'first'), bad])).json()).toEqual(INVALID_PARAMETER);
      }
      expect(sim.assignGradeOf(2, 4)).toBeNull();
      expect((await save(999, [saveEntry(4, 50)])).json()).toEqual(MISSING_RECORD);
    });

    it('accepts unknown and non-enrolled users', async () => {
      await save(2, [saveEntry(999999, 50, 'ghost'), saveEntry(3, 42, 'not enrolled')]);
      expect(sim.assignGradeOf(2, 999999)).toBe(50);
      expect(sim.assignGradeOf(2, 3)).toBe(42);
    });

    it('mod_assign_save_grade (singular) follows the same rules', async () => {
      const res = await ws(sim, 'mod_assign_save_grade', {
        assignmentid: 2, userid: 5, grade: 64.5, attemptnumber: -1, addattempt: 0, workflowstate: '', applytoall: 0,
        plugindata: { assignfeedbackcomments_editor: { text: 'Fluency 6.0', format: 1 } },
      });
      expect(res.text).toBe('null');
      expect(sim.gradeOf({ cmid: 3 }, 5)).toMatchObject({ final: 64.5, feedback: 'Fluency 6.0' });
    });
  });

  describe('reads', () => {
    it('mod_assign_get_grades lists rows with 5 decimals and warns about assignments without grades', async () => {
      sim.setAssignGrade(1, 4, 81.25);
      const body = (await ws(sim, 'mod_assign_get_grades', { assignmentids: [1, 2] })).json();
      expect(body.assignments).toEqual([
        { assignmentid: 1, grades: [expect.objectContaining({ userid: 4, grade: '81.25000', attemptnumber: 0 })] },
      ]);
      expect(body.warnings).toEqual([{ item: 'assignment', itemid: 2, warningcode: '3', message: 'No grades found' }]);
    });

    it('gradereport_user_get_grade_items: all active students, and a non-enrolled user is not refused', async () => {
      sim.addUser({ id: 7, username: 'away', email: 'away@example.com' });
      sim.enrol(2, 7, { suspended: true });
      const all = (await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 0 })).json();
      expect(all.usergrades.map((u: any) => u.userid)).toEqual([4, 5]);

      await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 3, grade: 40 }]));
      const outsider = (await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 3 })).json();
      const lti = outsider.usergrades[0].gradeitems.find((i: any) => i.cmid === 4);
      expect(lti).toMatchObject({ graderaw: 40, itemmodule: 'lti', iteminstance: 1, gradeformatted: '40.00' });

      expect((await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 999999 })).json()).toEqual(MISSING_RECORD);
      expect((await ws(sim, 'gradereport_user_get_grade_items', { courseid: 99, userid: 4 })).json()).toEqual(MISSING_RECORD);
    });

    it('core_user_get_users_by_field: matches by id, idnumber, username, email; unknown values are absent', async () => {
      const by = async (field: string, values: string[]) =>
        (await ws(sim, 'core_user_get_users_by_field', { field, values })).json();
      expect((await by('idnumber', ['S0002', 'S0001', 'nobody'])).map((u: any) => u.id)).toEqual([4, 5]);
      expect((await by('id', ['5', '999999'])).map((u: any) => u.username)).toEqual(['student2']);
      expect((await by('username', ['student1']))[0]).toMatchObject({ id: 4, fullname: 'Student Number1', email: 'student1@example.com', idnumber: 'S0001' });
      expect((await by('email', ['student2@example.com']))[0].id).toBe(5);
      expect(await by('email', ['nobody@example.com'])).toEqual([]);
      // As recorded on Moodle 5.0.6 with PostgreSQL: e-mails are compared exactly.
      expect(await by('email', ['STUDENT1@EXAMPLE.COM'])).toEqual([]);
      sim.addUser({ id: 8, username: 'student3', email: 'Student3@Example.com' });
      expect(await by('email', ['student3@example.com'])).toEqual([]);
      expect((await by('email', ['Student3@Example.com', 'student3@example.com'])).map((u: any) => u.id)).toEqual([8]);
      expect(await by('id', ['abc'])).toEqual(INVALID_PARAMETER);
      expect((await by('lastname', ['x'])).errorcode).toBe('codingerror');
    });

    it('core_enrol_get_enrolled_users: options userfields and onlyactive', async () => {
      sim.addUser({ id: 7, username: 'away', email: 'away@example.com' });
      sim.enrol(2, 7, { suspended: true });
      const res = await ws(sim, 'core_enrol_get_enrolled_users', {
        courseid: 2,
        options: [{ name: 'userfields', value: 'id' }, { name: 'onlyactive', value: '1' }],
      });
      expect(res.json()).toEqual([{ id: 4, fullname: 'Student Number1' }, { id: 5, fullname: 'Student Number2' }]);
      const everyone = (await ws(sim, 'core_enrol_get_enrolled_users', { courseid: 2 })).json();
      expect(everyone.map((u: any) => u.id)).toEqual([4, 5, 7]);
      expect(everyone[0].roles).toEqual([{ roleid: 5, name: '', shortname: 'student', sortorder: 0 }]);
      expect((await ws(sim, 'core_enrol_get_enrolled_users', { courseid: 99 })).json()).toEqual(MISSING_RECORD);
    });

    it('core_webservice_get_site_info lists only the functions the token may call', async () => {
      sim.allowOnly(['core_webservice_get_site_info', 'core_grades_update_grades']);
      const info = (await ws(sim, 'core_webservice_get_site_info')).json();
      expect(info).toMatchObject({ release: '5.0.6+ (Build: 20260403)', userid: 3, username: 'gradesync', siteurl: sim.baseUrl });
      expect(info.functions.map((f: any) => f.name)).toEqual(['core_webservice_get_site_info', 'core_grades_update_grades']);
      expect((await ws(sim, 'mod_assign_get_grades', { assignmentids: [1] })).json()).toEqual(ACCESS);
    });

    it('core_grades_get_gradeitems and core_course_get_courses_by_field', async () => {
      const items = (await ws(sim, 'core_grades_get_gradeitems', { courseid: 2 })).json();
      expect(items.gradeItems.map((i: any) => i.id)).toEqual([2, 3, 4]);
      const courses = (await ws(sim, 'core_course_get_courses_by_field', { field: 'id', value: 2 })).json();
      expect(courses).toMatchObject({ courses: [{ id: 2, shortname: 'SPEECH101', fullname: 'Speechace Sync Test' }], warnings: [] });
      expect((await ws(sim, 'core_course_get_courses_by_field', { field: 'id', value: 99 })).json()).toEqual({ courses: [], warnings: [] });
    });
  });

  describe('capabilities (default: exactly docs/moodle/grade-sync-role.xml)', () => {
    const enrolled = { courseid: 2, options: [{ name: 'userfields', value: 'id' }, { name: 'onlyactive', value: '1' }] };
    const nopermissions = (name: string) => ({
      exception: 'core\\exception\\required_capability_exception',
      errorcode: 'nopermissions',
      message: `Sorry, but you do not currently have permissions to do that (${name}).`,
    });

    it('holds the shipped role, and /__sim-style control takes one away until reset', async () => {
      expect(sim.heldCapabilities).toContain('moodle/course:enrolreview');
      expect((await ws(sim, 'core_enrol_get_enrolled_users', enrolled)).json()).toEqual([{ id: 4, fullname: 'Student Number1' }, { id: 5, fullname: 'Student Number2' }]);
      sim.revokeCapability('moodle/course:enrolreview');
      // course_require_view_participants() passes on enrolreview alone, so without it Moodle names the participants check first.
      expect((await ws(sim, 'core_enrol_get_enrolled_users', enrolled)).json()).toEqual(nopermissions('View participants'));
      sim.grantCapability('moodle/course:viewparticipants');
      expect((await ws(sim, 'core_enrol_get_enrolled_users', enrolled)).json()).toEqual(nopermissions('Review course enrolments'));
      sim.reset();
      expect(sim.heldCapabilities).toContain('moodle/course:enrolreview');
    });

    it('requireloginerror for a course the token user is neither enrolled in nor may view', async () => {
      sim.revokeCapability('moodle/course:view');
      expect((await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 4 })).json()).toEqual({
        exception: 'core\\exception\\require_login_exception',
        errorcode: 'requireloginerror',
        message: 'Course or activity not accessible.',
      });
      expect((await ws(sim, 'core_enrol_get_enrolled_users', enrolled)).json()).toMatchObject({ errorcode: 'errorcoursecontextnotvalid' });
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 1 }]))).json()).toMatchObject({ errorcode: 'errorcoursecontextnotvalid' });
      const listed = (await ws(sim, 'mod_assign_get_assignments', { courseids: [2], includenotenrolledcourses: 1 })).json();
      expect(listed).toEqual({ courses: [], warnings: [{ item: 'course', itemid: 2, warningcode: '1', message: 'No access rights in course context Course or activity not accessible.' }] });
      sim.enrol(2, 3, { role: 'teacher' });
      expect((await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 4 })).json().usergrades).toHaveLength(1);
    });

    it('grade functions: View user report, grade:edit as nopermissiontoviewgrades, Grade assignment', async () => {
      sim.revokeCapability('gradereport/user:view');
      expect((await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 4 })).json()).toEqual(nopermissions('View user report'));
      sim.revokeCapability('moodle/grade:edit');
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 1 }]))).json()).toMatchObject({ errorcode: 'nopermissiontoviewgrades', message: 'Cannot view grades.' });
      sim.revokeCapability('mod/assign:grade');
      const save = { assignmentid: 1, applytoall: 0, grades: [{ userid: 4, grade: 50, attemptnumber: -1, addattempt: 0, workflowstate: '' }] };
      expect((await ws(sim, 'mod_assign_save_grades', save)).json()).toEqual(nopermissions('Grade assignment'));
      sim.revokeCapability('mod/assign:view');
      expect((await ws(sim, 'mod_assign_save_grades', save)).json()).toMatchObject({ errorcode: 'requireloginerror' });
    });

    it('less data, as Moodle gives it: hidden activities, invisible users and fields, the capabilities filter', async () => {
      sim.revokeCapability('mod/lti:view');
      sim.revokeCapability('mod/assign:view');
      const report = (await ws(sim, 'gradereport_user_get_grade_items', { courseid: 2, userid: 4 })).json();
      expect(report.usergrades[0].gradeitems.map((i: any) => i.itemtype)).toEqual(['course']);
      const listed = (await ws(sim, 'mod_assign_get_assignments', { courseids: [2], includenotenrolledcourses: 1 })).json();
      expect(listed.courses[0].assignments).toEqual([]);
      expect(listed.warnings).toEqual([2, 3].map((cmid) => ({ item: 'module', itemid: cmid, warningcode: '1', message: 'No access rights in module context' })));
      const probe = (caps: string[]) => ws(sim, 'mod_assign_get_assignments', { courseids: [2], includenotenrolledcourses: 1, capabilities: caps });
      expect((await probe(['moodle/grade:edit'])).json().courses).toHaveLength(1);
      expect((await probe(['moodle/grade:edit', 'mod/assign:view'])).json()).toEqual({ courses: [], warnings: [] });
      expect((await probe(['mod/nosuchmodule:view'])).json()).toEqual(INVALID_PARAMETER);

      const by = async (field: string, values: string[]) => (await ws(sim, 'core_user_get_users_by_field', { field, values })).json();
      sim.revokeCapability('moodle/user:viewalldetails');
      expect(await by('username', ['student1'])).toEqual([]);
      expect(await by('idnumber', ['S0001'])).toEqual([]);
      expect((await by('email', ['student1@example.com']))[0]).not.toHaveProperty('username');
      sim.revokeCapability('moodle/site:viewuseridentity');
      expect(await by('email', ['student1@example.com'])).toEqual([]);
      expect((await by('id', ['4'])).map((u: any) => u.id)).toEqual([4]);
      sim.revokeCapability('moodle/user:viewdetails');
      expect(await by('id', ['4'])).toEqual([]);
      expect((await ws(sim, 'core_enrol_get_enrolled_users', enrolled)).json()).toEqual([]);
    });

    it('without webservice/rest:use every call is an accessexception', async () => {
      sim.revokeCapability('webservice/rest:use');
      expect((await ws(sim, 'core_webservice_get_site_info')).json()).toEqual(ACCESS);
    });
  });

  describe('transport', () => {
    it('accepts wstoken and wsfunction in the query string', async () => {
      const query = `?wstoken=${sim.token}&wsfunction=core_webservice_get_site_info&moodlewsrestformat=json`;
      const res = await post(sim, '', query);
      expect(JSON.parse(res.text).sitename).toBe('Test');
    });

    it('answers invalidtoken for an empty or unknown token', async () => {
      const invalid = error('core\\exception\\moodle_exception', 'invalidtoken', 'Invalid token - token not found');
      expect((await ws(sim, 'core_webservice_get_site_info', {}, { token: '' })).json()).toEqual(invalid);
      expect((await ws(sim, 'core_webservice_get_site_info', {}, { token: 'nope' })).json()).toEqual(invalid);
    });

    it('refuses a suspended token user like setTokenState("suspended")', async () => {
      sim.setTokenUser({ ...GRADESYNC, suspended: true });
      expect((await ws(sim, 'core_webservice_get_site_info')).json()).toEqual(
        error('core\\exception\\moodle_exception', 'wsaccessusersuspended', 'Refused web service access for suspended username: gradesync'),
      );
    });

    it('answers XML without moodlewsrestformat=json', async () => {
      const ok = await ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 1 }]), { format: 'xml' });
      expect(ok.contentType).toContain('application/xml');
      expect(ok.text).toContain('<RESPONSE>\n<VALUE>0</VALUE>');
      const bad = await ws(sim, 'core_webservice_get_site_info', {}, { token: 'nope', format: 'xml' });
      expect(bad.text).toContain('<ERRORCODE>invalidtoken</ERRORCODE>');
    });

    it('answers 404 HTML on any other path', async () => {
      const res = await fetch(`${sim.baseUrl}/login/index.php`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('text/html');
    });

    it('parses 1000-element arrays', async () => {
      const grades = Array.from({ length: 1000 }, (_, i) => ({ studentid: 10_000 + i, grade: i % 101 }));
      expect((await ws(sim, 'core_grades_update_grades', updateGrades(4, grades))).text).toBe('0');
      expect(sim.gradeOf({ cmid: 4 }, 10_999).raw).toBe(999 % 101);
      expect(sim.callsTo('core_grades_update_grades')[0].params['grades[999][studentid]']).toBe('10999');
      expect(sim.calls[0].params.wstoken).toBeUndefined();
    });

    it('reset() clears state, faults and calls and re-applies the seed', async () => {
      sim.setAssignGrade(1, 4, 50);
      sim.failNext(5, { kind: 'html' });
      sim.reset();
      expect(sim.assignGradeOf(1, 4)).toBeNull();
      expect(sim.calls).toHaveLength(0);
      expect((await ws(sim, 'core_webservice_get_site_info')).status).toBe(200);
      expect(sim.gradeItemIdFor(3)).toBe(3);
    });
  });

  describe('faults', () => {
    const write = () => ws(sim, 'core_grades_update_grades', updateGrades(4, [{ studentid: 4, grade: 70 }]));

    it('http: the given status; the call writes nothing; the next call is normal', async () => {
      sim.failNext(1, { kind: 'http', status: 502 });
      const res = await write();
      expect(res.status).toBe(502);
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
      expect((await write()).text).toBe('0');
      expect(sim.calls.map((c) => c.fault)).toEqual(['http', undefined]);
    });

    it('html: HTTP 200 with an HTML page', async () => {
      sim.failNext(1, { kind: 'html' });
      const res = await write();
      expect(res.status).toBe(200);
      expect(res.contentType).toContain('text/html');
      expect(() => JSON.parse(res.text)).toThrow();
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
    });

    it('garbage: HTTP 200 with bytes that are not JSON', async () => {
      sim.failNext(1, { kind: 'garbage' });
      const res = await write();
      expect(res.status).toBe(200);
      expect(() => JSON.parse(res.text)).toThrow();
    });

    it('error: a Moodle error body', async () => {
      sim.failNext(1, { kind: 'error', errorcode: 'sitemaintenance', message: 'Site is under maintenance' });
      expect((await write()).json()).toEqual(error('core\\exception\\moodle_exception', 'sitemaintenance', 'Site is under maintenance'));
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
    });

    it('reset: the connection is destroyed', async () => {
      sim.failNext(1, { kind: 'reset' });
      await expect(write()).rejects.toThrow();
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
    });

    it('hang: no answer until reset()', async () => {
      sim.failNext(1, { kind: 'hang' });
      let outcome = 'pending';
      const call = write().then(() => (outcome = 'answered'), () => (outcome = 'failed'));
      await waitUntil('the call to arrive', () => sim.calls.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(outcome).toBe('pending');
      expect(sim.gradeOf({ cmid: 4 }, 4).raw).toBeNull();
      sim.reset();
      await call;
      expect(outcome).toBe('failed');
    });

    it('only hits the named function when wsfunction is given', async () => {
      sim.failNext(1, { kind: 'http', status: 503 }, { wsfunction: 'core_grades_update_grades' });
      expect((await ws(sim, 'core_webservice_get_site_info')).status).toBe(200);
      expect((await write()).status).toBe(503);
      expect((await write()).status).toBe(200);
    });

    it('setDown(true): 503 for every call until setDown(false)', async () => {
      sim.setDown(true);
      expect((await write()).status).toBe(503);
      expect((await ws(sim, 'core_webservice_get_site_info')).status).toBe(503);
      sim.setDown(false);
      expect((await write()).text).toBe('0');
    });

    it('setLatencyMs delays the answer', async () => {
      sim.setLatencyMs(100);
      const started = Date.now();
      expect((await write()).text).toBe('0');
      expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    });
  });

  describe('rate limiter', () => {
    const info = (marker: string) => ws(sim, 'core_webservice_get_site_info', { serviceshortnames: [marker] });

    it('queues calls beyond the rate instead of refusing them, spacing their start', async () => {
      sim.setRateLimit({ perSecond: 20 });
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => info(`c${i}`)));
      expect(answers.every((a) => a.status === 200 && a.json().sitename === 'Test')).toBe(true);
      const starts = sim.calls.map((c) => c.at);
      for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(45);
    });

    it('serves at most maxConcurrent calls at once and admits waiting calls in arrival order', async () => {
      sim.setRateLimit({ maxConcurrent: 1 });
      sim.setLatencyMs(200);
      const first = info('A');
      await waitUntil('A to be admitted', () => sim.calls.length === 1);
      const second = info('B');
      await waitUntil('B to be queued', () => sim.stats().queued === 1 || sim.calls.length === 2);
      const third = info('C');
      const answers = await Promise.all([first, second, third]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(sim.calls.map((c) => c.params['serviceshortnames[0]'])).toEqual(['A', 'B', 'C']);
      expect(sim.stats()).toMatchObject({ calls: 3, maxActiveSeen: 1, queued: 0 });
    });

    it('counts the client concurrency it saw', async () => {
      sim.setRateLimit({ maxConcurrent: 2 });
      sim.setLatencyMs(20);
      await Promise.all(Array.from({ length: 6 }, (_, i) => info(`p${i}`)));
      const stats = sim.stats();
      expect(stats.calls).toBe(6);
      expect(stats.maxActiveSeen).toBeLessThanOrEqual(2);
      expect(stats.maxConcurrentSeen).toBeGreaterThanOrEqual(stats.maxActiveSeen);
    });
  });
});

describe('test/moodle-simulator/main.ts', () => {
  it('starts with the demo seed and serves the control API (here with the cost model on, from the env)', async () => {
    const root = join(__dirname, '..', '..');
    const child = spawn(process.execPath, ['-r', 'ts-node/register', 'test/moodle-simulator/main.ts'], {
      cwd: root,
      env: { ...process.env, MOODLE_SIM_PORT: '0', MOODLE_SIM_TOKEN: 'demo-token', MOODLE_SIM_COST_MODEL: '1', MOODLE_SIM_PHP_WORKERS: '3', TS_NODE_TRANSPILE_ONLY: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}`)));
      });
      const { baseUrl, token } = JSON.parse(firstLine);
      expect(token).toBe('demo-token');

      const form = qs.stringify(
        { wstoken: token, wsfunction: 'core_grades_update_grades', moodlewsrestformat: 'json', ...updateGrades(4, [{ studentid: 4, grade: 66 }]) },
        { encodeValuesOnly: true },
      );
      const write = await fetch(`${baseUrl}/webservice/rest/server.php`, { method: 'POST', body: new URLSearchParams(form) });
      expect(await write.text()).toBe('0');

      const grade = await (await fetch(`${baseUrl}/__sim/grades?cmid=4&userid=4`)).json();
      expect(grade).toMatchObject({ raw: 66, final: 66, locked: false, overridden: false });
      const assign = (await (await fetch(`${baseUrl}/__sim/grades?cmid=3&userid=5`)).json()) as { assignment: unknown };
      expect(assign.assignment).toEqual({ id: 2, grade: null, feedback: null, notifications: 0 });
      expect(await (await fetch(`${baseUrl}/__sim/stats`)).json()).toMatchObject({
        calls: 1,
        cost: { workers: 3, cores: 2, byFunction: { core_grades_update_grades: { calls: 1 } } },
      });

      const revoked = await fetch(`${baseUrl}/__sim/capabilities/revoke?capability=${encodeURIComponent('moodle/course:enrolreview')}`, { method: 'POST' });
      expect(await revoked.json()).not.toContain('moodle/course:enrolreview');
      expect((await fetch(`${baseUrl}/__sim/reset`, { method: 'POST' })).status).toBe(200);
      expect(await (await fetch(`${baseUrl}/__sim/capabilities`)).json()).toContain('moodle/course:enrolreview');
      expect(await (await fetch(`${baseUrl}/__sim/grades?cmid=4&userid=4`)).json()).toMatchObject({ raw: null });
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  }, 60_000);
});
