import { MappingEntity } from '../../src/mappings/mapping.entity';
import { GradeSyncContext, mappingBody, seedSite, SITE } from '../support/grade-sync-context';
import { freePort } from '../support/ports';

/** Mappings are checked against Moodle on create and on a change of course or target. */
describe('mapping validation against Moodle', () => {
  let ctx: GradeSyncContext;
  let connectionId: string;
  let n = 0;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    connectionId = (await ctx.newConnection()).id;
  });
  afterAll(() => ctx.close());
  afterEach(() => {
    ctx.sim.reset();
    seedSite(ctx.sim);
  });

  async function post(overrides: Record<string, unknown>, connection = connectionId) {
    const assessmentId = (await ctx.newAssessment({ speechaceCourseId: `valid-${++n}` })).id;
    const res = await ctx.admin('post', '/api/v1/mappings').send(mappingBody(assessmentId, connection, overrides));
    expect(JSON.stringify(res.body)).not.toContain(ctx.sim.token);
    return res;
  }

  const mappingCount = () => ctx.t.db.getRepository(MappingEntity).count();

  describe('accepts targets Moodle confirms', () => {
    it('an assignment with feedback comments, without warnings', async () => {
      const res = await post({});
      expect(res.status).toBe(201);
      expect(res.body.warnings).toBeUndefined();
      expect(ctx.sim.callsTo('mod_assign_get_assignments')).toHaveLength(1);
      expect(ctx.sim.callsTo('gradereport_user_get_grade_items')).toHaveLength(1);
    });

    it('an external-tool activity, without warnings', async () => {
      const res = await post({ target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 } });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toBeUndefined();
    });

    it('an assignment with feedback comments off, warning that the feedback text is dropped', async () => {
      const res = await post({ target: { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid } });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(/assignment 1 has feedback comments turned off/)]);
    });
  });

  describe('refuses targets Moodle says are wrong, and stores nothing', () => {
    it.each([
      ['an assignment id with the cmid of another assignment', { type: 'assign', assignmentId: 1, cmid: 3 }, /assignment 1 has course-module id 2, not 3 \(course module 3 is assignment 2\)/],
      ['the cmid given as the assignment id', { type: 'assign', assignmentId: 3, cmid: 3 }, /course module 3 is assignment 2, not assignment 3/],
      ['an assignment id with the cmid of an external tool', { type: 'assign', assignmentId: 2, cmid: 4 }, /assignment 2 has course-module id 3, not 4/],
      ['an assignment that does not exist', { type: 'assign', assignmentId: 99, cmid: 99 }, /course 2 has no assignment with id 99/],
      ['an activity whose cmid is an assignment', { type: 'activity', component: 'mod_lti', cmid: 2, itemNumber: 0 }, /course module 2 is a assign activity, not mod_lti/],
      ['an activity without a grade item', { type: 'activity', component: 'mod_lti', cmid: 77, itemNumber: 0 }, /no grade item for course module 77/],
      ['another item number of the activity', { type: 'activity', component: 'mod_lti', cmid: 4, itemNumber: 1 }, /no grade item for course module 4 \(item number 1\)/],
    ])('%s', async (_name, target, message) => {
      const before = await mappingCount();
      const res = await post({ target });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^The mapping does not match Moodle \(course 2\): /);
      expect(res.body.message).toMatch(message);
      expect(await mappingCount()).toBe(before);
    });

    it('a course that does not exist', async () => {
      const res = await post({ lmsCourseId: 99 });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/Moodle has no course with id 99 \(lmsCourseId\)/);
    });

    it('a wrong pair even when the token may not list assignments: the grade item tells', async () => {
      ctx.sim.denyFunction('mod_assign_get_assignments');
      const res = await post({ target: { type: 'assign', assignmentId: 1, cmid: 3 } });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/course module 3 is assign instance 2, not assignment 1/);
    });
  });

  describe('refuses grade items whose grade type cannot take our grades (400 saying why)', () => {
    function addItems() {
      ctx.sim.addAssignment({ id: 10, cmid: 20, courseId: SITE.courseId, name: 'Scale task', gradeType: 'scale', scale: { id: 3, items: ['Poor', 'Fair', 'Good'] } });
      ctx.sim.addAssignment({ id: 11, cmid: 21, courseId: SITE.courseId, name: 'Ungraded task', gradeType: 'none' });
      ctx.sim.addActivity({ component: 'mod_lti', instance: 5, cmid: 22, courseId: SITE.courseId, name: 'Scale tool', gradeType: 'scale', scale: { items: ['Not yet', 'Achieved'] } });
      ctx.sim.addActivity({ component: 'mod_lti', instance: 6, cmid: 23, courseId: SITE.courseId, name: 'Text tool', gradeType: 'text' });
      ctx.sim.addActivity({ component: 'mod_lti', instance: 7, cmid: 24, courseId: SITE.courseId, name: 'Tool without grade', gradeType: 'none' });
    }

    it.each([
      ['an assignment graded with a scale', { type: 'assign', assignmentId: 10, cmid: 20 }, /assignment 10 is graded with a scale \(scale 3\).*set its grade type to Point/],
      ['an assignment with grade type None', { type: 'assign', assignmentId: 11, cmid: 21 }, /assignment 11 has grade type None: there is no grade to write/],
      ['an activity graded with a scale', { type: 'activity', component: 'mod_lti', cmid: 22, itemNumber: 0 }, /"Scale tool" is graded with a scale \(Not yet to Achieved\)/],
      ['an activity with grade type Text', { type: 'activity', component: 'mod_lti', cmid: 23, itemNumber: 0 }, /"Text tool" has grade type Text/],
      // Moodle's grade tree leaves items of type None out of the report: the item is not there to write.
      ['an activity with grade type None', { type: 'activity', component: 'mod_lti', cmid: 24, itemNumber: 0 }, /no grade item for course module 24/],
    ])('%s', async (_name, target, message) => {
      addItems();
      const before = await mappingCount();
      const res = await post({ target });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
      expect(await mappingCount()).toBe(before);
    });

    it('on PATCH of the target too, keeping the stored one', async () => {
      addItems();
      const id = (await post({})).body.id as string;
      const res = await ctx.admin('patch', `/api/v1/mappings/${id}`).send({ target: { type: 'activity', component: 'mod_lti', cmid: 22, itemNumber: 0 } });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/is graded with a scale/);
      expect((await ctx.admin('get', `/api/v1/mappings/${id}`).expect(200)).body.target).toEqual({ type: 'assign', assignmentId: 2, cmid: 3 });
    });
  });

  describe('creates with a warning when Moodle cannot say', () => {
    it('Moodle down (HTTP 503): stored, with the reason', async () => {
      ctx.sim.setDown(true);
      const res = await post({});
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(/^could not check the mapping against Moodle: .*HTTP 503/)]);
      await ctx.admin('get', `/api/v1/mappings/${res.body.id as string}`).expect(200);
    });

    it.each([
      ['answers HTML', { kind: 'html' as const }, /not JSON/],
      ['times out', { kind: 'hang' as const }, /did not answer within/],
    ])('Moodle %s', async (_name, fault, reason) => {
      ctx.sim.failNext(1, fault);
      const res = await post({});
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(reason)]);
    });

    it('nobody listening on the connection\'s port', async () => {
      const closed = (await ctx.newConnection({ baseUrl: `http://127.0.0.1:${await freePort()}` })).id;
      const res = await post({}, closed);
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(/^could not check the mapping against Moodle: .*Could not reach the LMS: ECONNREFUSED/)]);
    });

    it('a function missing from the token\'s service: the warning names it and lists the causes', async () => {
      ctx.sim.denyFunction('mod_assign_get_assignments');
      const res = await post({});
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(/^could not check the mapping against Moodle: Moodle refused mod_assign_get_assignments \(accessexception.*possible causes: the function mod_assign_get_assignments is not in the external service/)]);
    });

    it('a missing capability: the warning names it', async () => {
      ctx.sim.revokeCapability('moodle/grade:viewall');
      const res = await post({});
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(/gradereport_user_get_grade_items: Moodle error nopermissiontoviewgrades.*moodle\/grade:viewall/)]);
    });

    it('a suspended web-service user', async () => {
      ctx.sim.setTokenState('suspended');
      const res = await post({});
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringMatching(/wsaccessusersuspended/)]);
    });

    it('a wrong token, without ever showing it', async () => {
      const wrong = (await ctx.newConnection({ token: 'a-wrong-token-for-this-site' })).id;
      const res = await post({}, wrong);
      expect(res.status).toBe(201);
      expect(JSON.stringify(res.body)).not.toContain('a-wrong-token-for-this-site');
      expect(res.body.warnings).toEqual([expect.stringMatching(/invalidtoken/)]);
    });
  });

  describe('on update', () => {
    it('checks a new target or course, refuses a wrong one and keeps the stored one', async () => {
      const created = await post({});
      const id = created.body.id as string;
      const wrong = await ctx.admin('patch', `/api/v1/mappings/${id}`).send({ target: { type: 'assign', assignmentId: 1, cmid: 3 } });
      expect(wrong.status).toBe(400);
      expect(wrong.body.message).toMatch(/assignment 1 has course-module id 2, not 3/);
      const stored = await ctx.admin('get', `/api/v1/mappings/${id}`).expect(200);
      expect(stored.body.target).toEqual({ type: 'assign', assignmentId: 2, cmid: 3 });

      await ctx.admin('patch', `/api/v1/mappings/${id}`).send({ lmsCourseId: 99 }).expect(400);
      const moved = await ctx.admin('patch', `/api/v1/mappings/${id}`).send({ target: { type: 'assign', assignmentId: 1, cmid: 2 } }).expect(200);
      expect(moved.body.warnings).toEqual([expect.stringMatching(/feedback comments turned off/)]);
    });

    it('does not ask Moodle when neither course nor target changes', async () => {
      const id = (await post({})).body.id as string;
      ctx.sim.setDown(true);
      ctx.sim.clearCalls();
      const res = await ctx.admin('patch', `/api/v1/mappings/${id}`).send({ enabled: false }).expect(200);
      expect(res.body.warnings).toBeUndefined();
      expect(ctx.sim.calls).toHaveLength(0);
    });
  });
});
