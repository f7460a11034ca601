import { GradeSyncContext, SITE } from '../support/grade-sync-context';

describe('grade sync: a callback becomes a grade in Moodle', () => {
  let ctx: GradeSyncContext;
  const itemOf = (cmid: number) => ctx.sim.gradeItemIdFor(cmid)!;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());
  beforeEach(() => ctx.sim.clearCalls());

  describe('assignment targets (mod_assign_save_grades)', () => {
    it('writes the scaled grade and a feedback comment with the component scores and report link', async () => {
      const mapping = await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'assign-1' })).id });
      const body = ctx.callbackBody({ courseId: 'assign-1', userId: '4', score: { overall: 7.2, pronunciation: 7.6 } });
      const sync = await ctx.deliver(body);
      expect(sync).toMatchObject({ state: 'synced', grade: 80, lmsUserId: 4, mappingId: mapping.id });
      expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 4)).toBe(80);
      expect(ctx.sim.gradeOf(itemOf(SITE.assignWithComments.cmid), 4).raw).toBe(80);
      const feedback = ctx.sim.assignFeedbackOf(SITE.assignWithComments.id, 4) ?? '';
      expect(feedback).toContain('Overall 7.2');
      expect(feedback).toContain('Pronunciation 7.6');
      expect(feedback).toContain(String(body.reportUrl));
      expect(ctx.sim.callsTo('core_grades_update_grades')).toHaveLength(0);
      expect(sync.attempts).toHaveLength(1);
      expect(sync.attempts[0]!.calls.map((c) => c.function)).toContain('mod_assign_save_grades');
    });

    it('grades a form-encoded callback with identifiers in the query string', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'form-1' })).id });
      const form = 'version=1.0&key=IlYq1zwpMrCaUAW3&courseId=form-1&quizId=456&userId=1234a&score%5Boverall%5D=5.85&score%5Bfluency%5D=6.5&reportUrl=https%3A%2F%2Fspeak.speechace.co%2Fplacement%2Freport%2Fform1';
      const res = await ctx.postCallback(form, { contentType: 'application/x-www-form-urlencoded', query: `courseid=${SITE.courseId}&testid=${SITE.assignWithComments.cmid}&userid=5` });
      expect(res.status).toBe(202);
      const sync = await ctx.waitForFinal(res.body.syncs[0].id);
      expect(sync).toMatchObject({ state: 'synced', lmsUserId: 5, grade: 65 });
      expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 5)).toBe(65);
    });

    it('still saves the grade on an assignment without feedback comments', async () => {
      await ctx.newMapping({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'assign-2' })).id,
        target: { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid },
      });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'assign-2', userId: '5', score: { overall: 4.5 } }));
      expect(sync).toMatchObject({ state: 'synced', grade: 50 });
      expect(ctx.sim.assignGradeOf(SITE.assignNoComments.id, 5)).toBe(50);
    });
  });

  describe('activity targets (core_grades_update_grades)', () => {
    it('writes the grade of an External tool activity', async () => {
      await ctx.newMapping({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'lti-1' })).id,
        target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 },
      });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'lti-1', userId: '4', score: { overall: 9 } }));
      expect(sync).toMatchObject({ state: 'synced', grade: 100 });
      expect(ctx.sim.gradeOf(itemOf(SITE.lti.cmid), 4).raw).toBe(100);
      expect(ctx.sim.callsTo('mod_assign_save_grades')).toHaveLength(0);
    });

    it('records a locked item (answer 4) as blocked, not synced', async () => {
      await ctx.newMapping({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'lti-locked' })).id,
        target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 },
      });
      ctx.sim.lockItem(itemOf(SITE.lti.cmid), true);
      try {
        const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'lti-locked', userId: '5', score: { overall: 3 } }));
        expect(sync.state).toBe('blocked');
        expect(sync.reason).toMatch(/locked/);
        expect(ctx.sim.gradeOf(itemOf(SITE.lti.cmid), 5).raw).not.toBe(33.33333);
      } finally {
        ctx.sim.lockItem(itemOf(SITE.lti.cmid), false);
      }
    });
  });

  describe('matching the LMS user', () => {
    it.each([
      ['idnumber', 'S0002', 5, 6.3, 70],
      ['username', 'student1', 4, 5.4, 60],
      ['email', 'student2@example.edu', 5, 7.65, 85],
    ])('matches on %s', async (userMatch, value, expectedId, overall, grade) => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: `match-${userMatch}` })).id, userMatch });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: `match-${userMatch}`, userId: value, score: { overall } }));
      expect(sync).toMatchObject({ state: 'synced', lmsUserId: expectedId, grade });
      expect(ctx.sim.callsTo('core_user_get_users_by_field')[0]!.params).toMatchObject({ field: userMatch, 'values[0]': value });
    });

    it('fails at once, without writing, for a user that does not exist', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'ghost' })).id, userMatch: 'username' });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'ghost', userId: 'nobody' }));
      expect(sync.state).toBe('failed');
      expect(sync.reason).toMatch(/no Moodle user has username "nobody"/);
      expect(sync.attempts).toHaveLength(1);
      expect(ctx.sim.callsTo('mod_assign_save_grades')).toHaveLength(0);
    });

    it('refuses a user who is not enrolled in the course (Moodle itself would accept the grade)', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'outsider' })).id });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'outsider', userId: String(SITE.outsider.id) }));
      expect(sync.state).toBe('failed');
      expect(sync.reason).toMatch(/not actively enrolled in course 2/);
      expect(ctx.sim.callsTo('mod_assign_save_grades')).toHaveLength(0);
    });
  });

  describe('scale conversion', () => {
    let n = 0;
    const deliverScore = async (overall: number, scale = { min: 0, max: 9 }) => {
      const courseId = `scale-${++n}`;
      await ctx.newMapping({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: courseId })).id,
        target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 },
        sourceScale: scale,
      });
      return ctx.deliver(ctx.callbackBody({ courseId, userId: '4', score: { overall } }));
    };

    it('maps the bottom of the scale to the item minimum: a zero is a real grade', async () => {
      ctx.sim.setGrade(itemOf(SITE.lti.cmid), 4, 55);
      const sync = await deliverScore(0);
      expect(sync).toMatchObject({ state: 'synced', grade: 0 });
      expect(ctx.sim.gradeOf(itemOf(SITE.lti.cmid), 4).raw).toBe(0);
    });

    it('maps the top of the scale to the item maximum', async () => {
      const sync = await deliverScore(9);
      expect(sync).toMatchObject({ state: 'synced', grade: 100 });
    });

    it('converts from a non-zero-based scale and rounds to 5 decimals', async () => {
      const sync = await deliverScore(2, { min: 1, max: 4 });
      expect(sync).toMatchObject({ state: 'synced', grade: 33.33333 });
    });

    it('fails a score outside the source scale with a reason instead of clamping it', async () => {
      const sync = await deliverScore(9.5);
      expect(sync.state).toBe('failed');
      expect(sync.reason).toMatch(/outside the mapping's source scale 0–9/);
      expect(ctx.sim.callsTo('core_grades_update_grades')).toHaveLength(0);
    });
  });

  describe('locks and overrides: Moodle says success, reading back says otherwise', () => {
    it('records a teacher override as blocked and leaves the teacher\'s grade', async () => {
      await ctx.newMapping({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'override' })).id,
        target: { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid },
      });
      ctx.sim.overrideGrade(itemOf(SITE.assignNoComments.cmid), 4, 90);
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'override', userId: '4', score: { overall: 3.6 } }));
      expect(sync.state).toBe('blocked');
      expect(sync.reason).toMatch(/overrode/);
      expect(ctx.sim.gradeOf(itemOf(SITE.assignNoComments.cmid), 4).final).toBe(90);
    });

    it('records a locked student grade as blocked', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'grade-locked' })).id });
      ctx.sim.lockGrade(itemOf(SITE.assignWithComments.cmid), 5);
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'grade-locked', userId: '5', score: { overall: 1.8 } }));
      expect(sync.state).toBe('blocked');
      expect(sync.reason).toMatch(/locked/);
    });
  });

  describe('failures', () => {
    it('retries transient failures (HTTP 503, HTML, garbage, timeout) and then syncs', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'flaky' })).id, target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid } });
      ctx.sim.failNext(1, { kind: 'http', status: 503 });
      ctx.sim.failNext(1, { kind: 'html' });
      ctx.sim.failNext(1, { kind: 'garbage' });
      ctx.sim.failNext(1, { kind: 'hang' });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'flaky', userId: '5', score: { overall: 2.7 } }));
      expect(sync).toMatchObject({ state: 'synced', grade: 30 });
      expect(sync.attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'retry', 'synced']);
      expect(sync.attempts[3]!.calls[0]!.error).toMatch(/^timeout/);
      expect(ctx.sim.gradeOf(itemOf(SITE.lti.cmid), 5).raw).toBe(30);
    });

    it('fails at once, without retrying, on a permanent Moodle error', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'no-access' })).id });
      ctx.sim.failNext(1, { kind: 'error', errorcode: 'accessexception', exception: 'webservice_access_exception', message: 'Access control exception' });
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'no-access', userId: '4' }));
      expect(sync.state).toBe('failed');
      expect(sync.reason).toMatch(/accessexception/);
      expect(sync.attempts).toHaveLength(1);
    });

    it('gives up after SYNC_MAX_ATTEMPTS transient failures with the last error as the reason', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'down' })).id });
      ctx.sim.failNext(5, { kind: 'http', status: 502 }); // SYNC_MAX_ATTEMPTS is 5 in tests; each attempt dies on its first call
      const sync = await ctx.deliver(ctx.callbackBody({ courseId: 'down', userId: '4' }));
      expect(sync.state).toBe('failed');
      expect(sync.reason).toMatch(/gave up after 5 attempts; last error: LMS answered HTTP 502/);
      expect(sync.attempts).toHaveLength(5);
    });
  });
});
