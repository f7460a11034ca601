import { LmsCallLimiter } from '../../src/lms/lms-call.limiter';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';

describe('per-connection LMS limits', () => {
  let ctx: GradeSyncContext;
  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ SYNC_CONCURRENCY: '4', SYNC_BATCH_WINDOW_MS: '0' });
  });
  afterAll(() => ctx.close());

  it('never has more calls in flight to one Moodle than the connection allows, however many jobs run', async () => {
    const connection = await ctx.newConnection({ maxConcurrency: 1, rateLimitPerSecond: 50 });
    expect(connection).toMatchObject({ maxConcurrency: 1, rateLimitPerSecond: 50 });
    const targets = [
      { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid },
      { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid },
      { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid },
    ];
    let n = 0;
    for (const target of targets) {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: `limits-${++n}` })).id, connectionId: connection.id, target });
    }
    ctx.sim.setLatencyMs(150);
    const posted = await Promise.all(
      [1, 2, 3].flatMap((i) => ['4', '5'].map((user) => ctx.postCallback(ctx.callbackBody({ courseId: `limits-${i}`, userId: user, score: { overall: 2.25 * i } })))),
    );
    const finals = await Promise.all(posted.map((p) => ctx.waitForFinal(p.body.syncs[0].id, 60_000)));
    ctx.sim.setLatencyMs(0);
    expect(finals.map((s) => s.state)).toEqual(Array(6).fill('synced'));
    expect(ctx.sim.stats().maxConcurrentSeen).toBe(1);
  });

  it('ends a wait for a slot after maxWaitMs, and runs beforeCall only once the slot is held', async () => {
    const limiter = ctx.t.app.get(LmsCallLimiter);
    const limits = { perSecond: 100, concurrency: 1 };
    const order: string[] = [];
    let release!: () => void;
    const holding = limiter.gate('slot-wait-test', limits).run(() => new Promise<void>((resolve) => (release = resolve)));
    const waiting = limiter.gate('slot-wait-test', limits, { maxWaitMs: 300, beforeCall: async () => void order.push('fence') }).run(async () => order.push('call'));
    const started = Date.now();
    await expect(waiting).rejects.toMatchObject({ code: 'lms_busy', kind: 'transient' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(order).toEqual([]);
    release();
    await holding;
    await limiter.gate('slot-wait-test', limits, { maxWaitMs: 300, beforeCall: async () => void order.push('fence') }).run(async () => order.push('call'));
    expect(order).toEqual(['fence', 'call']);
  });

  it('gives the slots to the callers of a process in the order they asked, past one that gave up', async () => {
    const limiter = ctx.t.app.get(LmsCallLimiter);
    const limits = { perSecond: 1000, concurrency: 1 };
    const order: string[] = [];
    const work = (name: string) => async () => {
      order.push(name);
      await new Promise((resolve) => setTimeout(resolve, 40));
    };
    const runs: Promise<unknown>[] = [];
    runs.push(limiter.gate('line-test', limits).run(work('first')));
    const impatient = limiter.gate('line-test', limits, { maxWaitMs: 10 }).run(work('impatient'));
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      runs.push(limiter.gate('line-test', limits, { maxWaitMs: 10_000 }).run(work(name)));
    }
    await expect(impatient).rejects.toMatchObject({ code: 'lms_busy' });
    await Promise.all(runs);
    // Without the line, each freed slot went to whichever waiter polled Redis first.
    expect(order).toEqual(['first', 'a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('answers 400 for limits out of range', async () => {
    const res = await ctx.admin('post', '/api/v1/connections').send({ name: 'x', kind: 'moodle', baseUrl: ctx.sim.baseUrl, token: 't', maxConcurrency: 0, rateLimitPerSecond: 'fast' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(/maxConcurrency/);
    expect(JSON.stringify(res.body.message)).toMatch(/rateLimitPerSecond/);
  });
});
