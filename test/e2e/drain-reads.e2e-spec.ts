import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { SYNC_QUEUE } from '../../src/sync/sync.queue';
import { SimCall } from '../moodle-simulator/types';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';

/**
 * What a burst of assignment grades costs Moodle: the LMS calls by number and kind (issue 13). The
 * course-wide grade report is the dearest call; it is read once after the writes, never before them.
 */
describe('drain reads', () => {
  let ctx: GradeSyncContext;
  let queue: Queue;
  let nextStudent = 400;
  const assign = { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid };
  const assignNoComments = { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid };

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    queue = ctx.t.app.get<Queue>(getQueueToken(SYNC_QUEUE));
  });
  afterAll(() => ctx.close());
  afterEach(() => ctx.sim.clearFaults());

  function students(count: number): number[] {
    return Array.from({ length: count }, () => {
      const id = nextStudent++;
      ctx.sim.addUser({ id, username: `d${id}`, email: `d${id}@example.edu`, idnumber: `D${id}` });
      ctx.sim.enrol(SITE.courseId, id);
      return id;
    });
  }

  async function mapping(overrides: Record<string, unknown>): Promise<string> {
    const speechaceCourseId = `drain-${Math.random().toString(36).slice(2, 8)}`;
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId })).id, ...overrides });
    return speechaceCourseId;
  }

  /** Posts every callback while the worker is paused, so the burst is claimed at once; resolves the final syncs. */
  async function burst(bodies: Record<string, unknown>[]) {
    await queue.pause(true);
    let ids: string[];
    try {
      const answers = await Promise.all(bodies.map((body) => ctx.postCallback(body)));
      ids = answers.map((a) => {
        expect(a.status).toBe(202);
        return a.body.syncs[0].id as string;
      });
    } finally {
      await queue.resume(true);
    }
    return Promise.all(ids.map((id) => ctx.waitForFinal(id)));
  }

  const courseWide = (c: SimCall) => c.wsfunction === 'gradereport_user_get_grade_items' && c.params.userid === '0';
  const isWrite = (c: SimCall) => c.wsfunction === 'mod_assign_save_grades';
  const lastIndexOf = (calls: readonly SimCall[], test: (c: SimCall) => boolean) => calls.reduce((last, c, i) => (test(c) ? i : last), -1);
  /** 0–9 onto the assignment's 0–100. */
  const onItem = (overall: number) => (overall / 9) * 100;

  it('writes a burst into an assignment after cheap reads only, then reads the course once', async () => {
    const users = students(12);
    const courseId = await mapping({ target: assign });
    ctx.sim.clearCalls();
    const finals = await burst(users.map((id, i) => ctx.callbackBody({ courseId, userId: String(id), score: { overall: 1 + (i % 8) } })));
    expect(finals.map((s) => s.state)).toEqual(users.map(() => 'synced'));

    const calls = ctx.sim.calls;
    const firstWrite = calls.findIndex(isWrite);
    const lastWrite = lastIndexOf(calls, isWrite);
    expect(firstWrite).toBeGreaterThan(-1);
    const beforeWriting = calls.slice(0, firstWrite);
    expect(beforeWriting.filter(courseWide)).toEqual([]);
    expect(beforeWriting.map((c) => c.wsfunction)).toContain('mod_assign_get_grades');
    // The item's range and lock come from one student's view of it, not from the whole course.
    expect(beforeWriting.filter((c) => c.wsfunction === 'gradereport_user_get_grade_items')).toHaveLength(1);
    expect(calls.filter(courseWide)).toHaveLength(1);
    expect(calls.findIndex(courseWide)).toBeGreaterThan(lastWrite);
    for (const [i, id] of users.entries()) expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, id)).toBeCloseTo(onItem(1 + (i % 8)), 4);
  });

  it('two grade items of one course written at once share one course-wide read-back and one roster read', async () => {
    const users = students(10);
    const connectionId = (await ctx.newConnection()).id;
    const first = await mapping({ target: assign, connectionId });
    const second = await mapping({ target: assignNoComments, connectionId });
    ctx.sim.clearCalls();
    const finals = await burst([
      ...users.map((id) => ctx.callbackBody({ courseId: first, userId: String(id), score: { overall: 3.6 } })),
      ...users.map((id) => ctx.callbackBody({ courseId: second, userId: String(id), score: { overall: 5.4 } })),
    ]);
    expect(finals.map((s) => s.state)).toEqual(finals.map(() => 'synced'));
    const calls = ctx.sim.calls;
    expect(ctx.sim.callsTo('mod_assign_save_grades').map((c) => c.params.assignmentid).sort()).toEqual([String(SITE.assignNoComments.id), String(SITE.assignWithComments.id)]);
    expect(calls.filter(courseWide)).toHaveLength(1);
    expect(calls.findIndex(courseWide)).toBeGreaterThan(lastIndexOf(calls, isWrite));
    expect(ctx.sim.callsTo('core_enrol_get_enrolled_users')).toHaveLength(1);
  });

  it('records a shared read with every attempt that relied on it, marked shared where another claim sent it', async () => {
    const users = students(8);
    const connectionId = (await ctx.newConnection()).id;
    const first = await mapping({ target: assign, connectionId });
    const second = await mapping({ target: assignNoComments, connectionId });
    ctx.sim.clearCalls();
    const finals = await burst([
      ...users.map((id) => ctx.callbackBody({ courseId: first, userId: String(id), score: { overall: 2.7 } })),
      ...users.map((id) => ctx.callbackBody({ courseId: second, userId: String(id), score: { overall: 6.3 } })),
    ]);
    expect(finals.map((s) => s.state)).toEqual(finals.map(() => 'synced'));
    // Moodle was asked once for the course's roster and once for its grade report after the writes …
    expect(ctx.sim.callsTo('core_enrol_get_enrolled_users')).toHaveLength(1);
    expect(ctx.sim.calls.filter(courseWide)).toHaveLength(1);
    interface Call { function: string; params: Record<string, string>; body: string | null; shared?: boolean; studentPart?: boolean }
    const sharedBy = new Map<string, number>();
    let attemptsWithRoster = 0;
    for (const final of finals) {
      const detail = await ctx.admin('get', `/api/v1/syncs/${final.id}`);
      const calls = (detail.body.attempts as { calls: Call[] }[]).at(-1)!.calls;
      // … and every attempt shows both, the read-back after its own write, whichever claim sent them.
      const write = calls.findIndex((c) => c.function === 'mod_assign_save_grades');
      const readBack = calls.findIndex((c) => c.function === 'gradereport_user_get_grade_items' && c.params.userid === '0');
      expect({ sync: final.id, write: write > -1, readBackAfterWrite: readBack > write }).toEqual({ sync: final.id, write: true, readBackAfterWrite: true });
      // Answers about the whole course are recorded as this student's part only, never other students' grades.
      const ownPart = (c: Call) => ({ function: c.function, studentPart: c.studentPart, userId: Number((JSON.parse(c.body!) as { userid?: number; id?: number }).userid ?? (JSON.parse(c.body!) as { id?: number }).id) });
      for (const c of calls.filter((x) => x.function === 'core_enrol_get_enrolled_users' || (x.function === 'gradereport_user_get_grade_items' && x.params.userid === '0'))) {
        expect(ownPart(c)).toEqual({ function: c.function, studentPart: true, userId: final.lmsUserId });
      }
      const readBackItems = (JSON.parse(calls[readBack]!.body!) as { gradeitems: { itemtype: string; graderaw: number | null }[] }).gradeitems;
      expect(readBackItems.every((i) => i.itemtype === 'mod')).toBe(true);
      expect(readBackItems.some((i) => i.graderaw === final.grade)).toBe(true);
      const rosterCalls = calls.filter((c) => c.function === 'core_enrol_get_enrolled_users').length;
      expect(rosterCalls).toBeLessThanOrEqual(1);
      attemptsWithRoster += rosterCalls;
      for (const c of calls.filter((x) => x.shared)) sharedBy.set(c.function, (sharedBy.get(c.function) ?? 0) + 1);
    }
    // The claim that sent a read records it as its own; the other claim's 8 attempts as shared. (A
    // claim that starts only after the roster read answered uses the cached roster: no call to record.)
    expect(attemptsWithRoster).toBeGreaterThanOrEqual(users.length);
    expect(sharedBy.get('core_enrol_get_enrolled_users') ?? 0).toBeLessThanOrEqual(users.length);
    expect(sharedBy.get('gradereport_user_get_grade_items')).toBeGreaterThanOrEqual(users.length);
  });

  it('skips a grade the assignment and the gradebook already hold, with cheap reads and nothing sent', async () => {
    const [id] = students(1);
    const courseId = await mapping({ target: assign });
    ctx.sim.setAssignGrade(SITE.assignWithComments.id, id!, 50);
    const notified = ctx.sim.notificationsFor(SITE.assignWithComments.id, id!);
    ctx.sim.clearCalls();
    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: String(id), score: { overall: 4.5 } }));
    expect(sync).toMatchObject({ state: 'skipped', grade: 50 });
    expect(sync.reason).toMatch(/^unchanged: Moodle already holds 50/);
    expect(ctx.sim.callsTo('mod_assign_save_grades')).toEqual([]);
    expect(ctx.sim.callsTo('mod_assign_get_grades')).toHaveLength(1);
    expect(ctx.sim.calls.filter(courseWide)).toEqual([]);
    expect(ctx.sim.notificationsFor(SITE.assignWithComments.id, id!)).toBe(notified);
  });

  it('a grade the assignment holds but a teacher overrode in the gradebook is blocked, and nothing is sent', async () => {
    const [id] = students(1);
    const courseId = await mapping({ target: assign });
    ctx.sim.setAssignGrade(SITE.assignWithComments.id, id!, 50);
    ctx.sim.overrideGrade(ctx.sim.gradeItemIdFor(SITE.assignWithComments.cmid), id!, 90);
    ctx.sim.clearCalls();
    const sync = await ctx.deliver(ctx.callbackBody({ courseId, userId: String(id), score: { overall: 4.5 } }));
    expect(sync.state).toBe('blocked');
    expect(sync.reason).toMatch(/overrode/);
    expect(ctx.sim.callsTo('mod_assign_save_grades')).toEqual([]);
    expect(ctx.sim.gradeOf(ctx.sim.gradeItemIdFor(SITE.assignWithComments.cmid), id!).final).toBe(90);
  });

  it('a grade a teacher overrides between the write and the read-back ends blocked; the others are synced', async () => {
    const users = students(6);
    const victim = users[2]!;
    const courseId = await mapping({ target: assign });
    const item = ctx.sim.gradeItemIdFor(SITE.assignWithComments.cmid);
    ctx.sim.afterNextCall('mod_assign_save_grades', () => ctx.sim.overrideGrade(item, victim, 12));
    ctx.sim.clearCalls();
    const finals = await burst(users.map((id) => ctx.callbackBody({ courseId, userId: String(id), score: { overall: 6.3 } })));
    const byUser = new Map(finals.map((s) => [s.lmsUserId as number, s]));
    expect(byUser.get(victim)!.state).toBe('blocked');
    expect(byUser.get(victim)!.reason).toMatch(/a teacher overrode this grade; Moodle holds 12, not 70/);
    expect(users.filter((u) => u !== victim).map((u) => byUser.get(u)!.state)).toEqual(Array(5).fill('synced'));
    expect(ctx.sim.callsTo('mod_assign_save_grades')).toHaveLength(1);
    expect(ctx.sim.gradeOf(item, victim).final).toBe(12);
  });

  it('without mod_assign_get_grades in the service, reads the grade report before writing and still syncs', async () => {
    const users = students(5);
    const courseId = await mapping({ target: assign });
    ctx.sim.denyFunction('mod_assign_get_grades');
    try {
      ctx.sim.clearCalls();
      const finals = await burst(users.map((id) => ctx.callbackBody({ courseId, userId: String(id), score: { overall: 7.2 } })));
      expect(finals.map((s) => s.state)).toEqual(users.map(() => 'synced'));
      const calls = ctx.sim.calls;
      expect(calls.slice(0, calls.findIndex(isWrite)).filter(courseWide).length).toBeGreaterThan(0);
    } finally {
      ctx.sim.allowFunction('mod_assign_get_grades');
    }
  });
});
