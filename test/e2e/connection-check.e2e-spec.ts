import { GradeSyncContext, seedSite, SITE } from '../support/grade-sync-context';
import { freePort } from '../support/ports';

interface Problem {
  code: string;
  message: string;
  possibleCauses?: string[];
  capabilities?: string[];
}
interface MappingCheck {
  mappingId: string;
  itemFound: boolean | null;
  writable: boolean | null;
  grademin: number | null;
  grademax: number | null;
  feedbackCommentsEnabled?: boolean | null;
  problems: Problem[];
  warnings: Problem[];
}
interface Report {
  ok: boolean;
  reachable: boolean;
  tokenValid: boolean | null;
  siteName: string | null;
  release: string | null;
  username: string | null;
  functions: { required: string[]; missing: string[] | null; recommended: string[]; recommendedMissing: string[] | null };
  missingCapabilities: string[] | null;
  problems: Problem[];
  warnings: Problem[];
  mappings: MappingCheck[];
}

const ASSIGN_WITH_COMMENTS = { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid };
const ASSIGN_NO_COMMENTS = { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid };
const LTI = { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 };

describe('POST /api/v1/connections/:id/test', () => {
  let ctx: GradeSyncContext;
  let n = 0;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());
  afterEach(() => {
    ctx.sim.reset();
    seedSite(ctx.sim);
  });

  /** A connection with one mapping per target (each on its own assessment). */
  async function connectionWith(targets: Record<string, unknown>[], connection: Record<string, unknown> = {}) {
    const conn = await ctx.newConnection(connection);
    const mappingIds: string[] = [];
    for (const target of targets) {
      const assessment = await ctx.newAssessment({ speechaceCourseId: `check-${++n}` });
      mappingIds.push((await ctx.newMapping({ connectionId: conn.id, assessmentId: assessment.id, target })).id);
    }
    return { id: conn.id, mappingIds };
  }

  async function test(connectionId: string): Promise<Report> {
    const res = await ctx.admin('post', `/api/v1/connections/${connectionId}/test`);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain(ctx.sim.token);
    return res.body as Report;
  }

  it('reports a healthy connection: site, token user, every required function, and each mapping\'s item', async () => {
    const { id, mappingIds } = await connectionWith([ASSIGN_WITH_COMMENTS, LTI]);
    const report = await test(id);
    expect(report).toMatchObject({
      ok: true,
      reachable: true,
      tokenValid: true,
      siteName: 'Test',
      username: 'gradesync',
      functions: { missing: [], recommended: ['mod_assign_get_grades'], recommendedMissing: [] },
      missingCapabilities: [],
      problems: [],
      warnings: [],
    });
    expect(report.release).toMatch(/^5\.0/);
    expect(report.functions.required).toEqual(
      expect.arrayContaining([
        'core_webservice_get_site_info',
        'core_user_get_users_by_field',
        'core_enrol_get_enrolled_users',
        'gradereport_user_get_grade_items',
        'mod_assign_save_grades',
        'mod_assign_get_assignments',
        'core_grades_update_grades',
      ]),
    );
    expect(report.mappings).toEqual([
      { mappingId: mappingIds[0], enabled: true, lmsCourseId: 2, target: ASSIGN_WITH_COMMENTS, itemFound: true, writable: true, grademin: 0, grademax: 100, feedbackCommentsEnabled: true, problems: [], warnings: [] },
      { mappingId: mappingIds[1], enabled: true, lmsCourseId: 2, target: LTI, itemFound: true, writable: true, grademin: 0, grademax: 100, problems: [], warnings: [] },
    ]);
  });

  it('warns when an assignment has feedback comments off: grades still land, so the connection tests ok', async () => {
    const { id } = await connectionWith([ASSIGN_NO_COMMENTS]);
    const report = await test(id);
    expect(report.ok).toBe(true);
    expect(report.mappings[0]).toMatchObject({ itemFound: true, writable: true, feedbackCommentsEnabled: false, problems: [] });
    expect(report.mappings[0]!.warnings).toEqual([expect.objectContaining({ code: 'feedback_comments_disabled', message: expect.stringMatching(/feedback comments turned off/) })]);
  });

  it('reports a locked grade item as not writable', async () => {
    const { id } = await connectionWith([LTI]);
    ctx.sim.lockItem(ctx.sim.gradeItemIdFor(SITE.lti.cmid));
    const report = await test(id);
    expect(report.mappings[0]).toMatchObject({ itemFound: true, writable: false });
    expect(report.mappings[0]!.problems).toEqual([expect.objectContaining({ code: 'item_locked', message: expect.stringMatching(/locked in Moodle/) })]);
  });

  it('names the functions the token may not call, and does not call them', async () => {
    const { id } = await connectionWith([ASSIGN_WITH_COMMENTS]);
    ctx.sim.denyFunction('mod_assign_save_grades');
    ctx.sim.denyFunction('gradereport_user_get_grade_items');
    ctx.sim.clearCalls();
    const report = await test(id);
    expect(report).toMatchObject({ ok: false, reachable: true, tokenValid: true });
    expect([...report.functions.missing!].sort()).toEqual(['gradereport_user_get_grade_items', 'mod_assign_save_grades']);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'functions_missing', message: expect.stringMatching(/mod_assign_save_grades/) }),
    ]);
    expect(report.problems[0]!.message).toMatch(/gradereport_user_get_grade_items/);
    expect(report.mappings[0]).toMatchObject({ itemFound: null, feedbackCommentsEnabled: true });
    expect(report.mappings[0]!.problems.map((p) => p.message)).toContain('not checked: the token may not call gradereport_user_get_grade_items');
    expect(ctx.sim.callsTo('gradereport_user_get_grade_items')).toHaveLength(0);
  });

  it('names a missing recommended function (mod_assign_get_grades) as a warning: grades still sync, so the connection tests ok', async () => {
    const { id } = await connectionWith([ASSIGN_WITH_COMMENTS]);
    ctx.sim.denyFunction('mod_assign_get_grades');
    const report = await test(id);
    expect(report).toMatchObject({ ok: true, problems: [], functions: { missing: [], recommended: ['mod_assign_get_grades'], recommendedMissing: ['mod_assign_get_grades'] } });
    expect(report.warnings).toEqual([
      expect.objectContaining({ code: 'recommended_functions_missing', message: expect.stringMatching(/mod_assign_get_grades \(recommended, not required\).*course-wide grade report/) }),
    ]);
  });

  it('reports an unknown token as invalid, with what to do', async () => {
    const { id } = await connectionWith([ASSIGN_WITH_COMMENTS]);
    await ctx.admin('patch', `/api/v1/connections/${id}`).send({ token: 'not-the-right-token-42' }).expect(200);
    const res = await ctx.admin('post', `/api/v1/connections/${id}/test`).expect(200);
    expect(JSON.stringify(res.body)).not.toContain('not-the-right-token-42');
    const report = res.body as Report;
    expect(report).toMatchObject({ ok: false, reachable: true, tokenValid: false, siteName: null });
    expect(report.problems).toEqual([expect.objectContaining({ code: 'invalidtoken', message: expect.stringMatching(/create a new token/i) })]);
    expect(report.mappings[0]!.problems).toEqual([expect.objectContaining({ code: 'not_checked' })]);
  });

  it('reports a suspended web-service user on its own', async () => {
    const { id } = await connectionWith([]);
    ctx.sim.setTokenState('suspended');
    const report = await test(id);
    expect(report).toMatchObject({ reachable: true, tokenValid: false });
    expect(report.problems).toEqual([expect.objectContaining({ code: 'wsaccessusersuspended', message: expect.stringMatching(/suspended in Moodle/) })]);
    expect(report.problems[0]!.possibleCauses).toBeUndefined();
  });

  it('lists the possible causes of accessexception for an expired token; the next test says invalidtoken', async () => {
    const { id } = await connectionWith([ASSIGN_WITH_COMMENTS]);
    ctx.sim.setTokenState('expired');
    const report = await test(id);
    expect(report).toMatchObject({ ok: false, reachable: true, tokenValid: null });
    const problem = report.problems[0]!;
    expect(problem.code).toBe('accessexception');
    const causes = problem.possibleCauses!.join('\n');
    for (const cause of [/not in the external service/, /authorised users/, /IP addresses/, /expired/, /webservice\/rest:use/, /service is disabled/]) {
      expect(causes).toMatch(cause);
    }
    const again = await test(id);
    expect(again.problems).toEqual([expect.objectContaining({ code: 'invalidtoken' })]);
  });

  it.each(['ip-restricted', 'user-not-authorised', 'no-rest-capability', 'service-disabled'] as const)(
    'answers accessexception with its possible causes when the token is %s',
    async (state) => {
      const { id } = await connectionWith([]);
      ctx.sim.setTokenState(state);
      const report = await test(id);
      expect(report).toMatchObject({ reachable: true, tokenValid: null, functions: { missing: null } });
      expect(report.problems).toEqual([expect.objectContaining({ code: 'accessexception', possibleCauses: expect.arrayContaining([expect.stringMatching(/IP addresses/)]) })]);
    },
  );

  it('reports an LMS nobody listens on as unreachable, with the reason', async () => {
    const { id, mappingIds } = await connectionWith([ASSIGN_WITH_COMMENTS]);
    await ctx.admin('patch', `/api/v1/connections/${id}`).send({ baseUrl: `http://127.0.0.1:${await freePort()}`, token: ctx.sim.token }).expect(200);
    const report = await test(id);
    expect(report).toMatchObject({ ok: false, reachable: false, tokenValid: null, siteName: null });
    expect(report.problems).toEqual([expect.objectContaining({ code: 'lms_unreachable', message: expect.stringMatching(/could not reach Moodle at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/) })]);
    expect(report.mappings).toEqual([expect.objectContaining({ mappingId: mappingIds[0], itemFound: null, problems: [expect.objectContaining({ code: 'not_checked' })] })]);
  });

  it.each([
    ['down (HTTP 503)', () => ctx.sim.setDown(true), /HTTP 503/],
    ['answering HTML', () => ctx.sim.failNext(1, { kind: 'html' }), /not JSON/],
  ])('reports an LMS %s as unreachable', async (_name, fault, reason) => {
    const { id } = await connectionWith([]);
    fault();
    const report = await test(id);
    expect(report.reachable).toBe(false);
    expect(report.problems[0]!.message).toMatch(reason);
  });

  it('never shows the token, even when the LMS echoes it back', async () => {
    const { id } = await connectionWith([]);
    ctx.sim.failNext(1, { kind: 'http', status: 400, body: `<html>Bad request: wstoken=${ctx.sim.token}&wsfunction=core_webservice_get_site_info</html>` });
    const report = await test(id);
    expect(report.reachable).toBe(false);
    expect(report.problems[0]!.message).toMatch(/wstoken=\[token\]/);
  });

  it('checks mappings stored while Moodle could not say: wrong cmid, unknown course, missing item', async () => {
    const conn = await ctx.newConnection();
    ctx.sim.setDown(true);
    const make = async (lmsCourseId: number, target: Record<string, unknown>) =>
      (await ctx.newMapping({ connectionId: conn.id, assessmentId: (await ctx.newAssessment({ speechaceCourseId: `check-${++n}` })).id, lmsCourseId, target })).id;
    const wrongCmid = await make(2, { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignWithComments.cmid });
    const unknownCourse = await make(99, ASSIGN_WITH_COMMENTS);
    const missingItem = await make(2, { ...LTI, cmid: 77 });
    ctx.sim.setDown(false);

    const report = await test(conn.id);
    expect(report.ok).toBe(false);
    const byId = new Map(report.mappings.map((m) => [m.mappingId, m]));
    expect(byId.get(wrongCmid)!.itemFound).toBe(false);
    expect(byId.get(wrongCmid)!.problems).toEqual([
      expect.objectContaining({ code: 'target_mismatch', message: expect.stringMatching(/assignment 1 has course-module id 2, not 3 \(course module 3 is assignment 2\)/) }),
    ]);
    expect(byId.get(unknownCourse)!.problems).toEqual([expect.objectContaining({ code: 'course_not_found', message: expect.stringMatching(/no course with id 99/) })]);
    expect(byId.get(missingItem)!).toMatchObject({ itemFound: false, problems: [expect.objectContaining({ code: 'item_not_found' })] });
  });

  it('answers 404 for an unknown connection, 401 without a token and 403 for a viewer', async () => {
    await ctx.admin('post', '/api/v1/connections/00000000-0000-4000-8000-000000000000/test').expect(404);
    const { id } = await connectionWith([]);
    await ctx.t.http.post(`/api/v1/connections/${id}/test`).expect(401);
    const viewer = await ctx.admin('post', '/api/v1/tokens').send({ name: 'viewer', role: 'viewer' }).expect(201);
    await ctx.t.http.post(`/api/v1/connections/${id}/test`).set('authorization', `Bearer ${viewer.body.token as string}`).expect(403);
  });
});
