import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';

/**
 * The role we ship (docs/moodle/grade-sync-role.xml) is enough, and nothing less is: the simulated
 * token user holds exactly its capabilities, and the simulator refuses like Moodle 5.0 when one is taken away.
 */
interface Problem {
  code: string;
  message: string;
  capabilities?: string[];
}
interface Report {
  ok: boolean;
  missingCapabilities: string[] | null;
  problems: Problem[];
  warnings: Problem[];
  mappings: { problems: Problem[]; warnings: Problem[] }[];
}

const ROLE = [...readFileSync(join(__dirname, '../../docs/moodle/grade-sync-role.xml'), 'utf8').matchAll(/<allow>([^<]+)<\/allow>/g)].map((m) => m[1]);
const ASSIGN = { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid };
const ACTIVITY = { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 };

describe('the shipped Moodle role (docs/moodle/grade-sync-role.xml)', () => {
  let ctx: GradeSyncContext;
  let n = 0;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());
  afterEach(() => {
    for (const capability of ROLE) ctx.sim.grantCapability(capability!);
    ctx.sim.setVisible({ courseId: SITE.courseId }, true);
    ctx.sim.setVisible({ cmid: SITE.assignWithComments.cmid }, true);
  });

  /** A mapping on its own assessment; returns the Speechace courseId its callbacks carry. */
  async function mapping(connectionId: string, overrides: Record<string, unknown>): Promise<string> {
    const speechaceCourseId = `role-${++n}`;
    const assessment = await ctx.newAssessment({ speechaceCourseId });
    await ctx.newMapping({ connectionId, assessmentId: assessment.id, ...overrides });
    return speechaceCourseId;
  }

  async function connectionTest(connectionId: string): Promise<Report> {
    const res = await ctx.admin('post', `/api/v1/connections/${connectionId}/test`);
    expect(res.status).toBe(200);
    return res.body as Report;
  }

  it('is all the token user holds, and with it every target and every way of matching users syncs, and the connection tests ok', async () => {
    expect(ctx.sim.heldCapabilities).toEqual([...ROLE].sort());
    expect(ROLE).toContain('moodle/course:enrolreview');
    const conn = await ctx.newConnection();
    const byId = await mapping(conn.id, { target: ASSIGN, userMatch: 'id' });
    const byIdnumber = await mapping(conn.id, { target: ASSIGN, userMatch: 'idnumber' });
    const byUsername = await mapping(conn.id, { target: ACTIVITY, userMatch: 'username' });
    const byEmail = await mapping(conn.id, { target: ACTIVITY, userMatch: 'email' });

    const [student1, student2] = SITE.students;
    expect(await ctx.deliver(ctx.callbackBody({ courseId: byId, userId: '4', score: { overall: 9 } }))).toMatchObject({ state: 'synced', lmsUserId: 4, grade: 100 });
    expect(await ctx.deliver(ctx.callbackBody({ courseId: byIdnumber, userId: student2!.idnumber, score: { overall: 4.5 } }))).toMatchObject({ state: 'synced', lmsUserId: 5, grade: 50 });
    expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 4)).toBe(100);
    expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 5)).toBe(50);
    expect(await ctx.deliver(ctx.callbackBody({ courseId: byUsername, userId: student1!.username, score: { overall: 0.9 } }))).toMatchObject({ state: 'synced', lmsUserId: 4, grade: 10 });
    expect(await ctx.deliver(ctx.callbackBody({ courseId: byEmail, userId: student2!.email, score: { overall: 1.8 } }))).toMatchObject({ state: 'synced', lmsUserId: 5, grade: 20 });
    expect(ctx.sim.gradeOf({ cmid: SITE.lti.cmid }, 4).raw).toBe(10);
    expect(ctx.sim.gradeOf({ cmid: SITE.lti.cmid }, 5).raw).toBe(20);

    const report = await connectionTest(conn.id);
    expect(report).toMatchObject({ ok: true, missingCapabilities: [], problems: [], warnings: [] });
    expect(report.mappings.every((m) => m.problems.length === 0)).toBe(true);
  });

  it('without moodle/course:enrolreview the connection test names it, and a sync fails with a reason naming it', async () => {
    const conn = await ctx.newConnection();
    const courseId = await mapping(conn.id, { target: ASSIGN, userMatch: 'id' });
    ctx.sim.revokeCapability('moodle/course:enrolreview');

    const report = await connectionTest(conn.id);
    expect(report.ok).toBe(false);
    expect(report.missingCapabilities).toEqual(['moodle/course:enrolreview']);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'capabilities_missing', capabilities: ['moodle/course:enrolreview'], message: expect.stringContaining('Review course enrolments') })]);
    // The mapping's own check called core_enrol_get_enrolled_users and read Moodle's refusal the same way.
    expect(report.mappings[0]!.problems).toEqual([expect.objectContaining({ code: 'nopermissions', capabilities: ['moodle/course:enrolreview'] })]);

    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: '4' }));
    expect(sync.state).toBe('failed');
    expect(sync.reason).toContain('moodle/course:enrolreview');
    expect(sync.reason).not.toMatch(/moodle\/grade:edit or mod\/assign:grade/);
  });

  it('also when Moodle names "Review course enrolments" itself (a role that has View participants)', async () => {
    const conn = await ctx.newConnection();
    const courseId = await mapping(conn.id, { target: ASSIGN, userMatch: 'id' });
    ctx.sim.revokeCapability('moodle/course:enrolreview');
    ctx.sim.grantCapability('moodle/course:viewparticipants');
    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: '5' }));
    expect(sync).toMatchObject({ state: 'failed' });
    expect(sync.reason).toContain('"Review course enrolments" is moodle/course:enrolreview');
    ctx.sim.revokeCapability('moodle/course:viewparticipants');
  });

  it('without mod/assign:grade: named by the connection test, and the assignment sync fails naming it', async () => {
    const conn = await ctx.newConnection();
    const courseId = await mapping(conn.id, { target: ASSIGN, userMatch: 'id' });
    ctx.sim.revokeCapability('mod/assign:grade');

    const report = await connectionTest(conn.id);
    expect(report).toMatchObject({ ok: false, missingCapabilities: ['mod/assign:grade'] });
    expect(report.problems.map((p) => p.capabilities)).toEqual([['mod/assign:grade']]);

    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: '4' }));
    expect(sync.state).toBe('failed');
    expect(sync.reason).toContain('"Grade assignment" is mod/assign:grade');
  });

  it('without moodle/grade:edit an activity sync fails naming it (Moodle only says nopermissiontoviewgrades)', async () => {
    const conn = await ctx.newConnection();
    const courseId = await mapping(conn.id, { target: ACTIVITY, userMatch: 'id' });
    ctx.sim.revokeCapability('moodle/grade:edit');
    expect(await connectionTest(conn.id)).toMatchObject({ ok: false, missingCapabilities: ['moodle/grade:edit'] });
    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: '4' }));
    expect(sync).toMatchObject({ state: 'failed' });
    expect(sync.reason).toContain('moodle/grade:edit');
  });

  it('a capability only some mappings need is a problem only when one needs it: email lookups', async () => {
    ctx.sim.revokeCapability('moodle/site:viewuseridentity');
    const idOnly = await ctx.newConnection();
    await mapping(idOnly.id, { target: ASSIGN, userMatch: 'id' });
    const byIdReport = await connectionTest(idOnly.id);
    expect(byIdReport).toMatchObject({ ok: true, missingCapabilities: ['moodle/site:viewuseridentity'] });
    expect(byIdReport.warnings).toEqual([expect.objectContaining({ code: 'capabilities_missing', capabilities: ['moodle/site:viewuseridentity'] })]);

    const byEmail = await ctx.newConnection();
    const courseId = await mapping(byEmail.id, { target: ASSIGN, userMatch: 'email' });
    expect(await connectionTest(byEmail.id)).toMatchObject({ ok: false, missingCapabilities: ['moodle/site:viewuseridentity'] });
    // Moodle hides other users' email without it: the lookup finds nobody, and the reason says why that may be.
    const lookedUp = await ctx.deliver(ctx.callbackBody({ courseId, userId: SITE.students[0]!.email }));
    expect(lookedUp).toMatchObject({ state: 'failed', attempts: [expect.objectContaining({ errorCode: 'user_not_found' })] });
    expect(lookedUp.reason).toContain('moodle/site:viewuseridentity');
  });

  it('a situational capability (hidden courses) is a warning: the connection still tests ok', async () => {
    const conn = await ctx.newConnection();
    await mapping(conn.id, { target: ASSIGN, userMatch: 'id' });
    ctx.sim.revokeCapability('moodle/course:viewhiddencourses');
    const report = await connectionTest(conn.id);
    expect(report).toMatchObject({ ok: true, problems: [], missingCapabilities: ['moodle/course:viewhiddencourses'] });
    expect(report.warnings[0]!.message).toContain('View hidden courses');
  });

  it('without moodle/course:view (and not enrolled) Moodle will not open the course, and the connection test says what to grant', async () => {
    const conn = await ctx.newConnection();
    await mapping(conn.id, { target: ACTIVITY, userMatch: 'id' });
    ctx.sim.revokeCapability('moodle/course:view');
    const report = await connectionTest(conn.id);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'course_not_accessible', message: expect.stringContaining('moodle/course:view') })]);
  });

  it('grades reach a hidden course and a hidden assignment with the role; without viewhiddenactivities the sync fails naming what may be missing', async () => {
    ctx.sim.setVisible({ courseId: SITE.courseId }, false);
    ctx.sim.setVisible({ cmid: SITE.assignWithComments.cmid }, false);
    const conn = await ctx.newConnection();
    const courseId = await mapping(conn.id, { target: ASSIGN, userMatch: 'id' });
    expect(await ctx.deliver(ctx.callbackBody({ courseId, userId: '4', score: { overall: 8.1 } }))).toMatchObject({ state: 'synced', grade: 90 });
    expect(await connectionTest(conn.id)).toMatchObject({ ok: true, missingCapabilities: [] });

    ctx.sim.revokeCapability('moodle/course:viewhiddenactivities');
    const report = await connectionTest(conn.id);
    expect(report.ok).toBe(false);
    expect(report.missingCapabilities).toEqual(['moodle/course:viewhiddenactivities']);
    expect(report.mappings[0]!.problems.map((p) => p.code)).toContain('assignment_not_visible');
    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: '5' }));
    expect(sync).toMatchObject({ state: 'failed' });
    // The grade report read before the write already leaves the hidden assignment out.
    expect(sync.reason).toMatch(/no grade item for course module 3 .*moodle\/course:viewhiddenactivities/);
  });

  it('a hidden course without viewhiddencourses: Moodle will not open it, and the problem says which capability lets it in', async () => {
    const conn = await ctx.newConnection();
    await mapping(conn.id, { target: ACTIVITY, userMatch: 'id' });
    ctx.sim.setVisible({ courseId: SITE.courseId }, false);
    ctx.sim.revokeCapability('moodle/course:viewhiddencourses');
    const report = await connectionTest(conn.id);
    expect(report).toMatchObject({ ok: false, missingCapabilities: null });
    expect(report.problems).toEqual([expect.objectContaining({ code: 'course_not_accessible', message: expect.stringContaining('moodle/course:viewhiddencourses') })]);
  });
});
