import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { SYNC_QUEUE } from '../../src/sync/sync.queue';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';
import { giveDatabaseBack, takeDatabaseAway } from '../support/test-env';
import { waitFor } from '../support/wait';

/**
 * Issue 12, "every grade is the right grade": the five cases reproduced against the old service,
 * each with the student(s) of its own so that tests never share a Moodle grade.
 */
describe('attempt rules: who is the student, which attempts compete, what is one attempt, what one write call may fail', () => {
  let ctx: GradeSyncContext;
  let queue: Queue;
  let n = 0;
  let nextStudent = 200;
  const lti = { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid };
  const ltiItem = () => ctx.sim.gradeItemIdFor(SITE.lti.cmid);
  const onItem = (score: number) => Math.round((score / 9) * 100 * 1e5) / 1e5;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ SYNC_BATCH_SIZE: '4', SYNC_WRITES_PER_READ_BACK: '4' });
    queue = ctx.t.app.get<Queue>(getQueueToken(SYNC_QUEUE));
  });
  afterAll(() => ctx.close());

  function student(email?: string): number {
    const id = ++nextStudent;
    ctx.sim.addUser({ id, username: `u${id}`, email: email ?? `u${id}@example.edu`, idnumber: `N${id}` });
    ctx.sim.enrol(SITE.courseId, id);
    return id;
  }

  async function mapping(overrides: Record<string, unknown>) {
    const courseId = `rules-${++n}`;
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: courseId })).id, target: lti, ...overrides });
    return courseId;
  }

  /** A callback as Speechace sends it without a report URL: the bytes depend only on who and what score. */
  const bare = (courseId: string, userId: string, overall: number) => {
    const body = ctx.callbackBody({ courseId, userId, score: { overall } });
    delete body.reportUrl;
    return body;
  };

  /** Posts callbacks while this worker is paused, so that all are stored before any is decided. */
  async function postAllPaused(bodies: Record<string, unknown>[]): Promise<string[]> {
    await queue.pause(true);
    try {
      const ids: string[] = [];
      for (const body of bodies) {
        const res = await ctx.postCallback(body);
        expect(res.status).toBe(202);
        ids.push(res.body.syncs[0].id as string);
      }
      return ids;
    } finally {
      await queue.resume(true);
    }
  }

  describe('1. a user reference that resolves to the same Moodle user is the same student', () => {
    it('first: "04" after "4" is a second attempt of user 4, not a first attempt of someone else', async () => {
      const id = student();
      const courseId = await mapping({ attemptPolicy: 'first' });
      expect((await ctx.deliver(ctx.callbackBody({ courseId, userId: String(id), score: { overall: 2.7 } }))).state).toBe('synced');
      const again = await ctx.deliver(ctx.callbackBody({ courseId, userId: `0${id}`, score: { overall: 9 } }));
      expect(again.state).toBe('skipped');
      expect(again.reason).toMatch(/attempt policy "first"/);
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBe(30);
    });

    it('e-mail: found whatever the case of the callback, and the same student in any case', async () => {
      const id = student();
      const courseId = await mapping({ attemptPolicy: 'first', userMatch: 'email' });
      const upper = await ctx.deliver(ctx.callbackBody({ courseId, userId: `U${id}@EXAMPLE.EDU`, score: { overall: 4.5 } }));
      expect(upper).toMatchObject({ state: 'synced', lmsUserId: id });
      const lower = await ctx.deliver(ctx.callbackBody({ courseId, userId: `u${id}@example.edu`, score: { overall: 9 } }));
      expect(lower.state).toBe('skipped');
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBe(50);
    });

    it('e-mail: a mixed-case stored address is found from a lower-case callback (PostgreSQL Moodle compares exactly)', async () => {
      const id = student(`Mixed${nextStudent + 1}@Example.com`);
      const courseId = await mapping({ userMatch: 'email' });
      const exact = ctx.sim.callsTo('core_user_get_users_by_field').length;
      const synced = await ctx.deliver(ctx.callbackBody({ courseId, userId: `mixed${id}@example.com`, score: { overall: 9 } }));
      expect(synced).toMatchObject({ state: 'synced', lmsUserId: id });
      expect(ctx.sim.callsTo('core_user_get_users_by_field').length).toBe(exact + 1);
    });

    it('e-mail: an address two users share in different cases is ambiguous, with a reason', async () => {
      const a = student(`Twin${nextStudent + 1}@example.com`);
      student(`twin${a}@example.com`);
      const courseId = await mapping({ userMatch: 'email' });
      const failed = await ctx.deliver(ctx.callbackBody({ courseId, userId: `Twin${a}@example.com`, score: { overall: 9 } }));
      expect(failed.state).toBe('failed');
      expect(failed.reason).toMatch(/2 Moodle users have email/);
    });
  });

  describe('2. only attempts that can be graded compete, whatever the order of work', () => {
    it('first: an attempt skipped as unchanged still is the first attempt', async () => {
      const id = student();
      ctx.sim.setGrade(ltiItem(), id, 30);
      const courseId = await mapping({ attemptPolicy: 'first' });
      expect((await ctx.deliver(ctx.callbackBody({ courseId, userId: String(id), score: { overall: 2.7 } }))).reason).toMatch(/unchanged/);
      const later = await ctx.deliver(ctx.callbackBody({ courseId, userId: String(id), score: { overall: 9 } }));
      expect(later.state).toBe('skipped');
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBe(30);
    });

    it('latest: 4.5 then 12 (outside 0–9) back to back grades the 4.5', async () => {
      const id = student();
      ctx.sim.setGrade(ltiItem(), id, 70);
      const courseId = await mapping({ attemptPolicy: 'latest' });
      const [good, bad] = await postAllPaused([ctx.callbackBody({ courseId, userId: String(id), score: { overall: 4.5 } }), ctx.callbackBody({ courseId, userId: String(id), score: { overall: 12 } })]);
      expect((await ctx.waitForFinal(bad!)).state).toBe('failed');
      expect((await ctx.waitForFinal(good!)).state).toBe('synced');
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBe(50);
    });

    it('latest: an attempt that lost to a later one is graded when that one fails', async () => {
      const id = student();
      const courseId = await mapping({ attemptPolicy: 'latest' });
      const [earlier, later] = await postAllPaused([ctx.callbackBody({ courseId, userId: String(id), score: { overall: 4.5 } }), ctx.callbackBody({ courseId, userId: String(id), score: { overall: 8.1 } })]);
      // The only write call is the later attempt's: the earlier one lost without one.
      ctx.sim.failNext(1, { kind: 'error', errorcode: 'invalidparameter', exception: 'core\\exception\\invalid_parameter_exception', message: 'Invalid parameter value detected' }, { wsfunction: 'core_grades_update_grades' });
      expect((await ctx.waitForFinal(later!)).state).toBe('failed');
      const redecided = await waitFor('the earlier attempt to be graded', async () => {
        const s = await ctx.sync(earlier!);
        return s.state === 'synced' ? s : undefined;
      });
      expect(redecided.attempts.map((a) => a.outcome)).toEqual(['skipped', 'synced']);
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBe(50);
    });
  });

  describe('3. without a reportUrl, distinct attempts with equal scores stay distinct', () => {
    it('latest: 7, 4.5, 7 are three attempts and the grade is the last 7; a true repeat of it is one', async () => {
      const id = student();
      const courseId = await mapping({ attemptPolicy: 'latest' });
      const ids: string[] = [];
      for (const score of [7, 4.5, 7]) {
        const res = await ctx.postCallback(bare(courseId, String(id), score));
        expect(res.status).toBe(202);
        expect(res.body.duplicate).toBe(false);
        ids.push(res.body.submissionId as string);
        await ctx.waitForFinal(res.body.syncs[0].id as string);
      }
      expect(new Set(ids).size).toBe(3);
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBeCloseTo(onItem(7), 5);
      const repeat = await ctx.postCallback(bare(courseId, String(id), 7));
      expect(repeat.status).toBe(200);
      expect(repeat.body).toMatchObject({ duplicate: true, submissionId: ids[2] });
    });

    it('two copies of one callback sent at once are stored once', async () => {
      const id = student();
      const courseId = await mapping({});
      const answers = await Promise.all([1, 2, 3].map(() => ctx.postCallback(bare(courseId, String(id), 6.3))));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 202]);
      expect(new Set(answers.map((a) => a.body.submissionId)).size).toBe(1);
    });
  });

  describe('4. "latest" means the latest taken: a retry after a 503 keeps its place', () => {
    afterAll(async () => {
      await giveDatabaseBack(ctx.t.config.DATABASE_URL);
    });

    it('A answered 503, then B stored, then A retried: B is the latest attempt', async () => {
      const id = student();
      const courseId = await mapping({ attemptPolicy: 'latest' });
      const a = ctx.callbackBody({ courseId, userId: String(id), score: { overall: 7 } });
      // The assessment's key is cached, so the store is the first thing to fail.
      expect((await ctx.postCallback(ctx.callbackBody({ courseId, userId: '999999', score: { overall: 1 } }))).status).toBe(202);
      await takeDatabaseAway(ctx.t.config.DATABASE_URL);
      expect((await ctx.postCallback(a)).status).toBe(503);
      await giveDatabaseBack(ctx.t.config.DATABASE_URL);
      const b = await waitFor('the database to take callbacks again', async () => {
        const res = await ctx.postCallback(ctx.callbackBody({ courseId, userId: String(id), score: { overall: 4.5 } }));
        return res.status === 202 ? res : undefined;
      });
      expect((await ctx.waitForFinal(b.body.syncs[0].id as string)).state).toBe('synced');
      const retry = await ctx.postCallback(a);
      expect(retry.status).toBe(202);
      const late = await ctx.waitForFinal(retry.body.syncs[0].id as string);
      expect(late.state).toBe('skipped');
      expect(late.reason).toMatch(/attempt policy "latest"/);
      expect(ctx.sim.gradeOf(ltiItem(), id).raw).toBe(50);
    });
  });

  describe('5. a failed write call fails only its own syncs', () => {
    const refused = 'invalidparameter';

    it.each([
      ['an activity (core_grades_update_grades)', lti],
      ['an assignment (mod_assign_save_grades)', { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid }],
    ])('%s: one bad entry in the second call of a claim fails that student alone', async (_label, target) => {
      const students = Array.from({ length: 8 }, () => student());
      const bad = students[5]!;
      const courseId = await mapping({ target });
      ctx.sim.failWritesFor(bad, refused, 'core\\exception\\invalid_parameter_exception');
      try {
        const ids = await postAllPaused(students.map((id, i) => ctx.callbackBody({ courseId, userId: String(id), score: { overall: 1 + i } })));
        const finals = await Promise.all(ids.map((id) => ctx.waitForFinal(id)));
        expect(finals.map((s) => s.state)).toEqual(students.map((id) => (id === bad ? 'failed' : 'synced')));
        expect(finals[5]!.reason).toMatch(/invalidparameter/);
        for (const [i, id] of students.entries()) {
          if (id === bad) continue;
          const held = target.type === 'assign' ? ctx.sim.assignGradeOf(SITE.assignWithComments.id, id) : ctx.sim.gradeOf(ltiItem(), id).raw;
          expect(held).toBeCloseTo(onItem(1 + i), 4);
          // Landed entries are never sent again (an assignment would notify the student twice).
          if (target.type === 'assign') expect(ctx.sim.notificationsFor(SITE.assignWithComments.id, id)).toBe(1);
        }
      } finally {
        ctx.sim.failWritesFor(bad, null);
      }
    });

    it('a call refused for a reason that is not about one entry is not split', async () => {
      const students = Array.from({ length: 4 }, () => student());
      const courseId = await mapping({});
      ctx.sim.clearCalls();
      // Refused at whichever of these students comes first (never at another test's write still on its way).
      for (const id of students) ctx.sim.failWritesFor(id, 'nopermissions', 'core\\exception\\required_capability_exception');
      try {
        const ids = await postAllPaused(students.map((id) => ctx.callbackBody({ courseId, userId: String(id), score: { overall: 3 } })));
        const finals = await Promise.all(ids.map((id) => ctx.waitForFinal(id)));
        expect(finals.map((s) => s.state)).toEqual(students.map(() => 'failed'));
        expect(finals.map((s) => s.reason)).toEqual(students.map(() => expect.stringMatching(/nopermissions/)));
        expect(ctx.sim.callsTo('core_grades_update_grades')).toHaveLength(1);
      } finally {
        for (const id of students) ctx.sim.failWritesFor(id, null);
      }
    });
  });
});
