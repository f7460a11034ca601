import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { SYNC_QUEUE } from '../../src/sync/sync.queue';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';
import { waitFor } from '../support/wait';

/** Pending syncs of one grade item go to Moodle together, and each student is still judged alone. */
describe('batched pushes', () => {
  let ctx: GradeSyncContext;
  let queue: Queue;
  const STUDENTS = Array.from({ length: 30 }, (_, i) => 100 + i);

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ SYNC_BATCH_SIZE: '25' });
    queue = ctx.t.app.get<Queue>(getQueueToken(SYNC_QUEUE));
    for (const id of STUDENTS) {
      ctx.sim.addUser({ id, username: `s${id}`, email: `s${id}@example.edu`, idnumber: `N${id}` });
      ctx.sim.enrol(SITE.courseId, id);
    }
  });
  afterAll(() => ctx.close());

  /** Posts every callback while this worker is paused, so the batch boundaries do not depend on timing. */
  async function postAllPaused(courseId: string, scores: Map<number, number>): Promise<string[]> {
    await queue.pause(true);
    try {
      const answers = await Promise.all([...scores].map(([userId, overall]) => ctx.postCallback(ctx.callbackBody({ courseId, userId: String(userId), score: { overall } }))));
      return answers.map((a) => {
        expect(a.status).toBe(202);
        return a.body.syncs[0].id as string;
      });
    } finally {
      await queue.resume(true);
    }
  }

  it('writes 30 grades of one activity in two calls of at most SYNC_BATCH_SIZE', async () => {
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'batch-lti' })).id, target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid } });
    ctx.sim.clearCalls();
    const scores = new Map(STUDENTS.map((id, i) => [id, (i % 9) + 0.9]));
    const ids = await postAllPaused('batch-lti', scores);
    const finals = await Promise.all(ids.map((id) => ctx.waitForFinal(id)));
    expect(finals.map((s) => s.state)).toEqual(ids.map(() => 'synced'));
    const writes = ctx.sim.callsTo('core_grades_update_grades');
    expect(writes).toHaveLength(2);
    const sizes = writes.map((w) => Object.keys(w.params).filter((k) => /^grades\[\d+\]\[studentid\]$/.test(k)).length).sort((a, b) => a - b);
    expect(sizes).toEqual([5, 25]);
    // Both calls belong to one claim (SYNC_WRITES_PER_READ_BACK), so one course-wide read-back confirms them.
    const firstWrite = ctx.sim.calls.findIndex((c) => c.wsfunction === 'core_grades_update_grades');
    const readBacks = ctx.sim.calls.slice(firstWrite).filter((c) => c.wsfunction === 'gradereport_user_get_grade_items');
    expect(readBacks).toHaveLength(1);
    for (const [userId, overall] of scores) {
      expect(ctx.sim.gradeOf(ctx.sim.gradeItemIdFor(SITE.lti.cmid)!, userId).raw).toBeCloseTo((overall / 9) * 100, 4);
    }
  });

  it('wakes the worker with a few queue jobs for a burst of one grade item, not one job per callback', async () => {
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'batch-wakeups' })).id, target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid } });
    await queue.pause(true);
    let ids: string[];
    try {
      const answers = await Promise.all(STUDENTS.map((userId) => ctx.postCallback(ctx.callbackBody({ courseId: 'batch-wakeups', userId: String(userId), score: { overall: 7 } }))));
      ids = answers.map((a) => a.body.syncs[0].id as string);
      const jobs = await waitFor('the wake-up jobs to reach Redis', async () => {
        const counts = await queue.getJobCounts();
        const n = counts.waiting + counts.delayed;
        return n > 0 ? n : undefined;
      });
      expect(jobs).toBeLessThan(STUDENTS.length / 3);
    } finally {
      await queue.resume(true);
    }
    const finals = await Promise.all(ids.map((id) => ctx.waitForFinal(id)));
    expect(finals.map((s) => s.state)).toEqual(ids.map(() => 'synced'));
  });

  it('one locked grade in a batch is blocked; the others in the same call are synced', async () => {
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'batch-locked' })).id, target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid } });
    const locked = STUDENTS[3]!;
    ctx.sim.lockGrade(ctx.sim.gradeItemIdFor(SITE.lti.cmid)!, locked);
    ctx.sim.clearCalls();
    const scores = new Map(STUDENTS.slice(0, 10).map((id) => [id, 8.55]));
    const ids = await postAllPaused('batch-locked', scores);
    const finals = await Promise.all(ids.map((id) => ctx.waitForFinal(id)));
    const byUser = new Map(finals.map((s) => [s.lmsUserId as number, s]));
    expect(byUser.get(locked)!.state).toBe('blocked');
    expect([...byUser].filter(([id]) => id !== locked).map(([, s]) => s.state)).toEqual(Array(9).fill('synced'));
    expect(ctx.sim.callsTo('core_grades_update_grades')).toHaveLength(1);
    ctx.sim.lockGrade(ctx.sim.gradeItemIdFor(SITE.lti.cmid)!, locked, false);
  });

  it('batches assignment grades with a feedback comment each, and a transient failure retries the whole batch once', async () => {
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'batch-assign' })).id });
    ctx.sim.clearCalls();
    ctx.sim.failNext(1, { kind: 'http', status: 503 }, { wsfunction: 'mod_assign_save_grades' });
    const scores = new Map(STUDENTS.slice(10, 20).map((id, i) => [id, i * 0.9]));
    const ids = await postAllPaused('batch-assign', scores);
    const finals = await Promise.all(ids.map((id) => ctx.waitForFinal(id)));
    expect(finals.map((s) => s.state)).toEqual(Array(10).fill('synced'));
    expect(ctx.sim.callsTo('mod_assign_save_grades')).toHaveLength(2);
    for (const [userId, overall] of scores) {
      expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, userId)).toBeCloseTo(overall * (100 / 9), 4);
      expect(ctx.sim.assignFeedbackOf(SITE.assignWithComments.id, userId)).toContain(`Overall ${overall}`);
    }
  });
});
