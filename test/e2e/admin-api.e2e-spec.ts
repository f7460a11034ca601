import { SYNC_STATES } from '../../src/sync/sync.entity';
import { ConnectionEntity } from '../../src/connections/connection.entity';
import { GradeSyncContext, mappingBody, SITE } from '../support/grade-sync-context';

describe('admin API (/api/v1)', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  it('answers 401 without a token and with an unknown token', async () => {
    await ctx.t.http.get('/api/v1/connections').expect(401);
    await ctx.t.http.get('/api/v1/connections').set('authorization', 'Bearer nope').expect(401);
    await ctx.t.http.get('/api/v1/connections').set('authorization', 'Basic abc').expect(401);
  });

  describe('connections', () => {
    it('creates, reads, updates and deletes; the token is encrypted at rest and never returned', async () => {
      const created = await ctx.newConnection({ token: 'super-secret-moodle-token' });
      expect(created).toMatchObject({ name: 'Test Moodle', kind: 'moodle', baseUrl: ctx.sim.baseUrl, hasToken: true });
      expect(JSON.stringify(created)).not.toContain('super-secret');
      const row = await ctx.t.db.getRepository(ConnectionEntity).findOneByOrFail({ id: created.id });
      expect(row.tokenEncrypted).not.toContain('super-secret');

      const list = await ctx.admin('get', '/api/v1/connections').expect(200);
      expect(list.body.map((c: { id: string }) => c.id)).toContain(created.id);
      const updated = await ctx.admin('patch', `/api/v1/connections/${created.id}`).send({ name: 'Renamed' }).expect(200);
      expect(updated.body.name).toBe('Renamed');
      await ctx.admin('delete', `/api/v1/connections/${created.id}`).expect(204);
      await ctx.admin('get', `/api/v1/connections/${created.id}`).expect(404);
    });

    it('answers 400 naming each bad field', async () => {
      const res = await ctx.admin('post', '/api/v1/connections').send({ name: '', kind: 'blackboard', baseUrl: 'not a url', extra: 1 });
      expect(res.status).toBe(400);
      const text = JSON.stringify(res.body.message);
      for (const field of ['name', 'kind', 'baseUrl', 'token', 'extra']) expect(text).toContain(field);
    });

    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      await ctx.admin('get', '/api/v1/connections/123').expect(400);
      await ctx.admin('get', '/api/v1/connections/00000000-0000-4000-8000-000000000000').expect(404);
    });

    it('refuses to delete a connection that mappings use', async () => {
      const mapping = await ctx.newMapping();
      const res = await ctx.admin('delete', `/api/v1/connections/${mapping.connectionId as string}`);
      expect(res.status).toBe(409);
    });
  });

  describe('assessments', () => {
    it('creates one without returning the key, and refuses a second with the same Speechace courseId', async () => {
      const a = await ctx.newAssessment({ speechaceCourseId: 'adm-1', callbackKey: 'the-callback-key-1' });
      expect(JSON.stringify(a)).not.toContain('the-callback-key-1');
      expect(a).toMatchObject({ speechaceCourseId: 'adm-1', keys: [{ hint: '-1', retiredAt: null }] });
      const again = await ctx.admin('post', '/api/v1/assessments').send({ name: 'x', speechaceCourseId: 'adm-1', callbackKey: 'another-key-123' });
      expect(again.status).toBe(409);
    });
  });

  describe('mappings', () => {
    it('refuses an activity target that names mod_assign, saying why', async () => {
      const res = await ctx.admin('post', '/api/v1/mappings').send({
        assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'adm-2' })).id,
        connectionId: (await ctx.newConnection()).id,
        lmsCourseId: 2,
        target: { type: 'activity', component: 'mod_assign', cmid: 2, itemNumber: 0 },
        userMatch: 'id',
        scoreField: 'overall',
        sourceScale: { min: 0, max: 9 },
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/mod_assign is refused: Moodle replaces assignment grades/);
    });

    it.each([
      ['an unknown userMatch', { userMatch: 'nickname' }, /userMatch/],
      ['an unknown scoreField', { scoreField: 'accent' }, /scoreField/],
      ['an empty scale', { sourceScale: { min: 5, max: 5 } }, /sourceScale.max \(5\) must be greater/],
      ['an assign target without assignmentId', { target: { type: 'assign', cmid: 2 } }, /assignmentId/],
      ['an unknown assessment', { assessmentId: '00000000-0000-4000-8000-000000000000' }, /does not name an existing assessment/],
      ['an unknown attempt policy', { attemptPolicy: 'average' }, /attemptPolicy/],
    ])('answers 400 for %s', async (_name, overrides, message) => {
      const assessmentId = (await ctx.newAssessment({ speechaceCourseId: `adm-v-${Math.random()}` })).id;
      const res = await ctx.admin('post', '/api/v1/mappings').send(mappingBody(assessmentId, (await ctx.newConnection()).id, overrides));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    });

    it('creates with defaults, reads, disables and refuses deletion once syncs exist', async () => {
      const m = await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'adm-3' })).id });
      expect(m).toMatchObject({ attemptPolicy: 'latest', enabled: true, sourceScale: { min: 0, max: 9 }, target: { type: 'assign', assignmentId: 2, cmid: 3 } });
      const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'adm-3' }));
      expect(res.status).toBe(202);
      await ctx.admin('delete', `/api/v1/mappings/${m.id}`).expect(409);
      const off = await ctx.admin('patch', `/api/v1/mappings/${m.id}`).send({ enabled: false }).expect(200);
      expect(off.body.enabled).toBe(false);
      const after = await ctx.postCallback(ctx.callbackBody({ courseId: 'adm-3' }));
      expect(after.body.syncs).toEqual([]);
    });
  });

  describe('submissions', () => {
    it('shows a submission with its syncs and states, and masks the key in the raw body', async () => {
      await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'adm-4' })).id });
      const posted = await ctx.postCallback(ctx.callbackBody({ courseId: 'adm-4', userId: String(SITE.students[0]!.id), score: { overall: 8.55 } }));
      await ctx.waitForFinal(posted.body.syncs[0].id);
      const res = await ctx.admin('get', `/api/v1/submissions/${posted.body.submissionId as string}`).expect(200);
      expect(res.body).toMatchObject({ id: posted.body.submissionId, speechaceCourseId: 'adm-4', userRef: '4', syncs: [{ state: 'synced' }] });
      expect(SYNC_STATES).toContain(res.body.syncs[0].state);
      expect(res.body.rawBody).not.toContain('IlYq1zwpMrCaUAW3');
      await ctx.admin('get', '/api/v1/submissions/00000000-0000-4000-8000-000000000000').expect(404);
    });
  });
});
