import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { giveDatabaseBack, takeDatabaseAway } from '../support/test-env';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';
import { freePort } from '../support/ports';
import { RedisProcess } from '../support/redis-process';
import { waitFor } from '../support/wait';

/** Faults injected for real: Redis stopped, a worker killed mid-push, the LMS down, PostgreSQL refusing connections. */
describe('surviving faults', () => {
  const lti = { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid };

  async function seedStudents(ctx: GradeSyncContext, first: number, count: number): Promise<number[]> {
    const ids = Array.from({ length: count }, (_, i) => first + i);
    for (const id of ids) {
      ctx.sim.addUser({ id, username: `u${id}`, email: `u${id}@example.edu`, idnumber: `I${id}` });
      ctx.sim.enrol(SITE.courseId, id);
    }
    return ids;
  }

  async function postAll(ctx: GradeSyncContext, courseId: string, users: number[], concurrency = 25): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < users.length; i += concurrency) {
      const slice = users.slice(i, i + concurrency);
      const answers = await Promise.all(slice.map((u) => ctx.postCallback(ctx.callbackBody({ courseId, userId: String(u), score: { overall: (u % 9) + 0.45 } }))));
      statuses.push(...answers.map((a) => a.status));
    }
    return statuses;
  }

  async function statesOf(ctx: GradeSyncContext): Promise<Record<string, number>> {
    const rows = (await ctx.t.db.query('SELECT state, count(*)::int AS n FROM syncs GROUP BY state')) as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Grade entries Moodle received per student, over every write call. */
  function writesPerStudent(ctx: GradeSyncContext): Map<number, number> {
    const counts = new Map<number, number>();
    for (const call of ctx.sim.callsTo('core_grades_update_grades')) {
      if (call.fault) continue;
      for (const [k, v] of Object.entries(call.params)) if (/^grades\[\d+\]\[studentid\]$/.test(k)) counts.set(Number(v), (counts.get(Number(v)) ?? 0) + 1);
    }
    return counts;
  }

  function expectGraded(ctx: GradeSyncContext, users: number[]): void {
    const item = ctx.sim.gradeItemIdFor(SITE.lti.cmid)!;
    for (const u of users) expect(ctx.sim.gradeOf(item, u).raw).toBeCloseTo((((u % 9) + 0.45) / 9) * 100, 4);
  }

  describe('Redis stopped and restarted under load', () => {
    let redis: RedisProcess;
    let ctx: GradeSyncContext;
    beforeAll(async () => {
      redis = await RedisProcess.start(16000 + Math.floor(Math.random() * 20000));
      ctx = await GradeSyncContext.start({ REDIS_URL: redis.url, OUTBOX_INTERVAL_MS: '200', OUTBOX_STALE_AFTER_MS: '2000' });
    });
    afterAll(async () => {
      await ctx.close();
      await redis.down();
    });

    it('accepts all 500 callbacks with 202 and grades every one exactly once', async () => {
      const users = await seedStudents(ctx, 1000, 500);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'redis-fault' })).id, target: lti });
      const before = await postAll(ctx, 'redis-fault', users.slice(0, 150));
      await redis.down();
      const during = await postAll(ctx, 'redis-fault', users.slice(150, 300), 50);
      expect((await ctx.t.http.get('/health/ready')).status).toBe(503);
      await redis.up();
      const after = await postAll(ctx, 'redis-fault', users.slice(300));
      expect([...before, ...during, ...after].every((s) => s === 202)).toBe(true);

      await waitFor('every sync to be synced', async () => ((await statesOf(ctx)).synced === 500 ? true : undefined), 120_000, 500);
      expect(await statesOf(ctx)).toEqual({ synced: 500 });
      const writes = writesPerStudent(ctx);
      expect(users.filter((u) => writes.get(u) !== 1)).toEqual([]);
      expectGraded(ctx, users);
    });
  });

  describe('a worker killed in the middle of a push', () => {
    let ctx: GradeSyncContext;
    const workers: ChildProcess[] = [];
    beforeAll(async () => {
      ctx = await GradeSyncContext.start({ ROLE: 'api' });
    });
    afterAll(async () => {
      for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
      await ctx.close();
    });

    const startWorker = async (env: Record<string, string> = {}) => {
      const c = ctx.t.config;
      // Each worker its own port: a worker that is still alive (frozen) keeps its own.
      const port = String(await freePort());
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../../src/main.ts')], {
        env: {
          ...process.env,
          ENV_FILE: '',
          ROLE: 'worker',
          PORT: port,
          DATABASE_URL: c.DATABASE_URL,
          REDIS_URL: c.REDIS_URL,
          QUEUE_PREFIX: c.QUEUE_PREFIX,
          ADMIN_API_TOKEN: c.ADMIN_API_TOKEN,
          ENCRYPTION_KEY: c.ENCRYPTION_KEY,
          SIGNING_KEY: c.SIGNING_KEY,
          SYNC_LEASE_MS: '3000',
          SYNC_BATCH_WINDOW_MS: '0',
          OUTBOX_INTERVAL_MS: '300',
          OUTBOX_STALE_AFTER_MS: '1000',
          LOG_LEVEL: process.env.DEBUG_WORKER ? 'info' : 'warn',
          ...env,
        },
        stdio: process.env.DEBUG_WORKER ? ['ignore', 'inherit', 'inherit'] : 'ignore',
      });
      workers.push(child);
      return child;
    };

    const stopAll = async () => {
      for (const w of workers.filter((w) => w.exitCode === null && w.signalCode === null)) {
        const gone = new Promise((r) => w.once('exit', r));
        w.kill('SIGKILL');
        await gone;
      }
    };

    it('lands every grade within 60 s of a SIGKILL mid-batch, with the default lease, exactly once', async () => {
      const users = await seedStudents(ctx, 3000, 40);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'kill' })).id, target: lti });
      ctx.sim.setLatencyMs(1500);
      // The default SYNC_LEASE_MS (30 s) and outbox timings: only the batch window is shortened.
      const defaults = { SYNC_LEASE_MS: '30000', OUTBOX_INTERVAL_MS: '5000', OUTBOX_STALE_AFTER_MS: '60000' };
      const first = await startWorker(defaults);
      expect((await postAll(ctx, 'kill', users)).every((s) => s === 202)).toBe(true);

      await waitFor('a grade write to be in flight', async () => (ctx.sim.callsTo('core_grades_update_grades').length > 0 ? true : undefined), 60_000, 20);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const killedAt = Date.now();
      ctx.sim.setLatencyMs(0);
      await startWorker(defaults);

      await waitFor('every sync to be synced', async () => ((await statesOf(ctx)).synced === 40 ? true : undefined), 60_000, 300);
      expect(Date.now() - killedAt).toBeLessThan(60_000);
      expectGraded(ctx, users);
      const synced = (await ctx.t.db.query(
        `SELECT sync_id, count(*)::int AS n FROM sync_attempts WHERE outcome = 'synced' GROUP BY sync_id HAVING count(*) <> 1`,
      )) as unknown[];
      expect(synced).toEqual([]);
      // The killed push landed in Moodle before the worker died; its retry reads it back and does not write again.
      expect(users.filter((u) => writesPerStudent(ctx).get(u) !== 1)).toEqual([]);
    }, 120_000);

    it('writes each student exactly once when Moodle is slower than the lease (the heartbeat keeps the claim)', async () => {
      await stopAll();
      const users = await seedStudents(ctx, 7000, 30);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'slow' })).id, target: lti });
      ctx.sim.clearCalls();
      ctx.sim.setLatencyMs(2500);
      // Two workers, a 1.5 s lease, 2.5 s per LMS call, 10 grades per write call: one batch takes ~15 s.
      const env = { SYNC_LEASE_MS: '1500', LMS_TIMEOUT_MS: '10000', SYNC_BATCH_SIZE: '10' };
      await startWorker(env);
      await startWorker(env);
      expect((await postAll(ctx, 'slow', users)).every((s) => s === 202)).toBe(true);
      await waitFor('every sync to be synced', async () => ((await statesOf(ctx)).synced === 70 ? true : undefined), 90_000, 300);
      ctx.sim.setLatencyMs(0);
      expectGraded(ctx, users);
      expect(users.filter((u) => writesPerStudent(ctx).get(u) !== 1)).toEqual([]);
    }, 120_000);

    it('stops a worker frozen past its lease from pushing again or overwriting the worker that took over (the fence)', async () => {
      await stopAll();
      const users = await seedStudents(ctx, 8000, 20);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'frozen' })).id, target: lti });
      ctx.sim.clearCalls();
      ctx.sim.setLatencyMs(1000);
      const env = { SYNC_LEASE_MS: '1500', LMS_TIMEOUT_MS: '10000', OUTBOX_INTERVAL_MS: '300' };
      const frozen = await startWorker(env);
      expect((await postAll(ctx, 'frozen', users)).every((s) => s === 202)).toBe(true);
      // Freeze it at its first LMS call (a read), before any write: a stop-the-world pause, a suspended VM.
      await waitFor('the first LMS call', async () => (ctx.sim.calls.length > 0 ? true : undefined), 60_000, 5);
      frozen.kill('SIGSTOP');
      await startWorker(env);
      await waitFor('every sync to be synced', async () => ((await statesOf(ctx)).synced === 90 ? true : undefined), 60_000, 200);
      const settled = (await ctx.t.db.query(`SELECT id, state, reason, grade, updated_at FROM syncs ORDER BY id`)) as unknown[];
      frozen.kill('SIGCONT');
      // Long enough for the thawed worker to answer its read, try its next call and record what it would.
      await new Promise((r) => setTimeout(r, 4000));
      ctx.sim.setLatencyMs(0);
      expect(users.filter((u) => writesPerStudent(ctx).get(u) !== 1)).toEqual([]);
      expect(await ctx.t.db.query(`SELECT id, state, reason, grade, updated_at FROM syncs ORDER BY id`)).toEqual(settled);
      const attempts = (await ctx.t.db.query(
        `SELECT a.outcome, count(*)::int AS n FROM sync_attempts a JOIN syncs s ON s.id = a.sync_id JOIN submissions sub ON sub.id = s.submission_id
          WHERE sub.speechace_course_id = 'frozen' GROUP BY a.outcome`,
      )) as { outcome: string; n: number }[];
      expect(attempts).toEqual([{ outcome: 'synced', n: 20 }]);
      expectGraded(ctx, users);
    }, 120_000);

    it('on SIGTERM finishes the push in flight before exiting', async () => {
      await stopAll();
      const users = await seedStudents(ctx, 4000, 5);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'sigterm' })).id, target: lti });
      ctx.sim.clearCalls();
      ctx.sim.setLatencyMs(1000);
      const worker = await startWorker();
      expect((await postAll(ctx, 'sigterm', users)).every((s) => s === 202)).toBe(true);
      await waitFor('a grade write to be in flight', async () => (ctx.sim.callsTo('core_grades_update_grades').length > 0 ? true : undefined), 60_000, 20);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
      worker.kill('SIGTERM');
      // Nest closes the app (Bull waits for the active job), then re-raises the signal to exit.
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
      ctx.sim.setLatencyMs(0);
      const [row] = (await ctx.t.db.query(`SELECT count(*)::int AS n FROM syncs s JOIN mappings m ON m.id = s.mapping_id WHERE m.target_cmid = $1 AND s.lease_until > now()`, [SITE.lti.cmid])) as { n: number }[];
      expect(row!.n).toBe(0);
      const written = [...writesPerStudent(ctx).keys()].filter((u) => users.includes(u));
      const states = (await ctx.t.db.query(
        `SELECT s.lms_user_id, s.state FROM syncs s JOIN submissions sub ON sub.id = s.submission_id WHERE sub.speechace_course_id = 'sigterm'`,
      )) as { lms_user_id: number; state: string }[];
      for (const user of written) expect(states.find((s) => s.lms_user_id === user)?.state).toBe('synced');
    });
  });

  describe('the LMS down, then back', () => {
    let ctx: GradeSyncContext;
    beforeAll(async () => {
      ctx = await GradeSyncContext.start({ SYNC_MAX_ATTEMPTS: '30', SYNC_BACKOFF_BASE_MS: '100', SYNC_BACKOFF_MAX_MS: '500' });
    });
    afterAll(() => ctx.close());

    it('retries while Moodle answers 503 and syncs everything once it recovers', async () => {
      const users = await seedStudents(ctx, 5000, 10);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'lms-down' })).id, target: lti });
      ctx.sim.setDown(true);
      await postAll(ctx, 'lms-down', users);
      await waitFor('retries while down', async () => {
        const [row] = (await ctx.t.db.query(`SELECT count(DISTINCT sync_id)::int AS n FROM sync_attempts WHERE outcome = 'retry'`)) as { n: number }[];
        return row!.n === 10 ? true : undefined;
      });
      ctx.sim.setDown(false);
      await waitFor('all synced', async () => ((await statesOf(ctx)).synced === 10 ? true : undefined), 60_000, 200);
      expectGraded(ctx, users);
    });

    it('grades 50 identical callbacks sent at once exactly once', async () => {
      const [user] = await seedStudents(ctx, 6000, 1);
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'fifty' })).id, target: lti });
      ctx.sim.clearCalls();
      const body = JSON.stringify(ctx.callbackBody({ courseId: 'fifty', userId: String(user), score: { overall: 5.4 } }));
      const answers = await Promise.all(Array.from({ length: 50 }, () => ctx.postCallback(body)));
      expect(new Set(answers.map((a) => a.body.submissionId)).size).toBe(1);
      const sync = await ctx.waitForFinal(answers.find((a) => a.status === 202)!.body.syncs[0].id);
      expect(sync.state).toBe('synced');
      expect(writesPerStudent(ctx).get(user!)).toBe(1);
    });
  });

  describe('PostgreSQL refusing connections', () => {
    let ctx: GradeSyncContext;
    beforeAll(async () => {
      ctx = await GradeSyncContext.start();
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'pg-down' })).id, target: lti });
    });
    afterAll(async () => {
      await giveDatabaseBack(ctx.t.config.DATABASE_URL);
      await ctx.close();
    });

    it('answers 503 (never 2xx) while the callback cannot be stored, and 202 again once it can', async () => {
      await takeDatabaseAway(ctx.t.config.DATABASE_URL);
      const body = ctx.callbackBody({ courseId: 'pg-down', userId: '4', score: { overall: 4.5 } });
      const down = await ctx.postCallback(body);
      expect(down.status).toBe(503);
      expect(down.body.message).toMatch(/could not be stored/);
      expect((await ctx.t.http.get('/health/ready')).status).toBe(503);

      await giveDatabaseBack(ctx.t.config.DATABASE_URL);
      const up = await waitFor('the database to take callbacks again', async () => {
        const res = await ctx.postCallback(body);
        return res.status === 202 ? res : undefined;
      });
      expect((await ctx.waitForFinal(up.body.syncs[0].id)).state).toBe('synced');
    });
  });
});
