import { randomBytes } from 'node:crypto';
import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { CredentialCipher } from '../../src/common/crypto/credential-cipher';
import { AppConfig } from '../../src/config/app-config';
import { SYNC_QUEUE } from '../../src/sync/sync.queue';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';
import { giveDatabaseBack, takeDatabaseAway } from '../support/test-env';
import { waitFor } from '../support/wait';

/** Syncs that must never stall: a job lost to a database blip, a token that cannot be read, a disabled mapping or connection. */
describe('no sync stalls', () => {
  const lti = { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid };

  describe('a job that fails before its claim (database unreachable for a moment)', () => {
    let ctx: GradeSyncContext;
    beforeAll(async () => {
      // The job fires 1.5 s after the callback: time enough to take the database away first.
      ctx = await GradeSyncContext.start({ SYNC_BATCH_WINDOW_MS: '1500', OUTBOX_INTERVAL_MS: '300', OUTBOX_PENDING_GRACE_MS: '500' });
    });
    afterAll(async () => {
      await giveDatabaseBack(ctx.t.config.DATABASE_URL);
      await ctx.close();
    });

    it('still lands the sync, without any admin action', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'blip' })).id, target: lti });
      const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'blip', userId: '4', score: { overall: 6.3 } }));
      expect(res.status).toBe(202);
      const syncId = res.body.syncs[0].id as string;
      const queue = ctx.t.app.get<Queue>(getQueueToken(SYNC_QUEUE));

      await takeDatabaseAway(ctx.t.config.DATABASE_URL);
      const failed = await waitFor('the job to fail on its claim', async () => {
        const jobs = await queue.getFailed();
        return jobs.find((j) => j.data.syncId === syncId);
      }, 20_000, 100);
      expect(failed.failedReason).toBeTruthy();
      await giveDatabaseBack(ctx.t.config.DATABASE_URL);

      const sync = await ctx.waitForFinal(syncId, 30_000);
      expect(sync.state).toBe('synced');
      expect(ctx.sim.gradeOf(ctx.sim.gradeItemIdFor(SITE.lti.cmid)!, 4).raw).toBeCloseTo((6.3 / 9) * 100, 4);
    });
  });

  describe('a connection token that cannot be decrypted', () => {
    let ctx: GradeSyncContext;
    beforeAll(async () => {
      ctx = await GradeSyncContext.start({ SYNC_MAX_ATTEMPTS: '3' });
    });
    afterAll(() => ctx.close());

    it('is an attempt with a reason, counted against SYNC_MAX_ATTEMPTS, then failed', async () => {
      const connection = await ctx.newConnection();
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'bad-key' })).id, connectionId: connection.id, target: lti });
      // Sealed with another ENCRYPTION_KEY, as after a key change without re-entering the token.
      const otherKey = new CredentialCipher({ encryptionKey: randomBytes(32) } as AppConfig).encrypt(ctx.sim.token);
      await ctx.t.db.query('UPDATE connections SET token_encrypted = $1 WHERE id = $2', [otherKey, connection.id]);

      const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'bad-key', userId: '4' }));
      expect(res.status).toBe(202);
      const sync = await ctx.waitForFinal(res.body.syncs[0].id as string, 30_000);
      expect(sync.state).toBe('failed');
      expect(sync.reason).toMatch(/^gave up after 3 attempts; last error: the connection's token cannot be decrypted/);
      expect(sync.reason).toMatch(/ENCRYPTION_KEY does not match the key it was stored with \(set ENCRYPTION_KEY_PREVIOUS to that key\); or re-enter the connection token/);
      expect(sync.attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed']);
      expect((sync.attempts as unknown as { errorCode: string }[]).every((a) => a.errorCode === 'token_undecryptable')).toBe(true);
      expect(ctx.sim.callsTo('core_grades_update_grades')).toHaveLength(0);

      // The connection check and a new mapping say so instead of failing with a 500.
      const check = await ctx.admin('post', `/api/v1/connections/${connection.id}/test`);
      expect(check.status).toBe(200);
      expect(check.body).toMatchObject({ ok: false, problems: [{ code: 'token_undecryptable' }] });
      const another = await ctx.admin('post', '/api/v1/mappings').send({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'bad-key-2' })).id,
        connectionId: connection.id,
        lmsCourseId: SITE.courseId,
        target: lti,
        userMatch: 'id',
        scoreField: 'overall',
        sourceScale: { min: 0, max: 9 },
      });
      expect(another.status).toBe(201);
      expect(another.body.warnings[0]).toMatch(/^could not check the mapping against Moodle: the connection's token cannot be decrypted/);

      // The repair the README names: re-enter the token, retry by error code.
      expect((await ctx.admin('patch', `/api/v1/connections/${connection.id}`).send({ token: ctx.sim.token })).status).toBe(200);
      const retried = await ctx.admin('post', '/api/v1/syncs/retry').send({ errorCode: 'token_undecryptable' });
      expect(retried.body).toEqual({ requeued: 1 });
      expect((await ctx.waitForFinal(sync.id)).state).toBe('synced');
    });
  });

  describe('a disabled mapping or connection', () => {
    let ctx: GradeSyncContext;
    beforeAll(async () => {
      ctx = await GradeSyncContext.start({ SYNC_MAX_ATTEMPTS: '30', SYNC_BACKOFF_BASE_MS: '300', SYNC_BACKOFF_MAX_MS: '600' });
    });
    afterAll(() => ctx.close());

    const stateOf = async (id: string) => (await ctx.sync(id)).state;

    it('pauses a retrying sync when its mapping is disabled, and resumes it when enabled again', async () => {
      const mapping = await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'pause-m' })).id, target: lti });
      ctx.sim.setDown(true);
      const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'pause-m', userId: '4', score: { overall: 3.15 } }));
      const syncId = res.body.syncs[0].id as string;
      await waitFor('a retry', async () => ((await ctx.sync(syncId)).attempts.length > 0 ? true : undefined));

      expect((await ctx.admin('patch', `/api/v1/mappings/${mapping.id}`).send({ enabled: false })).status).toBe(200);
      await waitFor('the sync to be paused', async () => ((await stateOf(syncId)) === 'paused' ? true : undefined), 10_000, 100);
      const paused = await ctx.sync(syncId);
      expect(paused.reason).toBe('paused: the mapping is disabled; enable it to resume');
      ctx.sim.setDown(false);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await stateOf(syncId)).toBe('paused');
      expect(ctx.sim.callsTo('core_grades_update_grades').filter((c) => !c.fault)).toHaveLength(0);

      const listed = await ctx.admin('get', '/api/v1/syncs?state=paused');
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).toContain(syncId);
      const metrics = await ctx.t.http.get('/metrics');
      expect(metrics.text).toMatch(/sgs_syncs\{state="paused"\} 1/);
      expect((await ctx.admin('post', `/api/v1/syncs/${syncId}/retry`)).status).toBe(409);

      expect((await ctx.admin('patch', `/api/v1/mappings/${mapping.id}`).send({ enabled: true })).status).toBe(200);
      const done = await ctx.waitForFinal(syncId);
      expect(done.state).toBe('synced');
      expect(ctx.sim.gradeOf(ctx.sim.gradeItemIdFor(SITE.lti.cmid)!, 4).raw).toBeCloseTo((3.15 / 9) * 100, 4);
    });

    it('pauses the syncs of a disabled connection at their claim, and resumes them when it is enabled', async () => {
      const connection = await ctx.newConnection();
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'pause-c' })).id, connectionId: connection.id, target: lti });
      const disabled = await ctx.admin('patch', `/api/v1/connections/${connection.id}`).send({ enabled: false });
      expect(disabled.status).toBe(200);
      expect(disabled.body.enabled).toBe(false);

      const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'pause-c', userId: '5', score: { overall: 8.1 } }));
      expect(res.status).toBe(202);
      const syncId = res.body.syncs[0].id as string;
      await waitFor('the sync to be paused', async () => ((await stateOf(syncId)) === 'paused' ? true : undefined), 10_000, 100);
      const paused = await ctx.sync(syncId);
      expect(paused.reason).toBe('paused: the connection is disabled; enable it to resume');
      expect(paused.attempts).toHaveLength(0);

      expect((await ctx.admin('patch', `/api/v1/connections/${connection.id}`).send({ enabled: true })).status).toBe(200);
      expect((await ctx.waitForFinal(syncId)).state).toBe('synced');
      expect(ctx.sim.gradeOf(ctx.sim.gradeItemIdFor(SITE.lti.cmid)!, 5).raw).toBeCloseTo((8.1 / 9) * 100, 4);
    });
  });
});
