import { GradeSyncContext, SITE } from '../support/grade-sync-context';

/** Callback URLs to give Speechace, signed per LMS user; key rotation; replay of unmapped submissions. */
describe('callback URLs, key rotation and replay', () => {
  let ctx: GradeSyncContext;
  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  const urlFor = async (mappingId: string, user?: string) => {
    const res = await ctx.admin('post', `/api/v1/mappings/${mappingId}/callback-url`).send(user === undefined ? {} : { user });
    expect(res.status).toBe(200);
    return new URL(res.body.url as string);
  };
  const postTo = (url: URL, body: Record<string, unknown>) => ctx.postCallback(body, { query: url.searchParams.toString() });

  describe('signed callback URLs', () => {
    let mapping: { id: string };
    beforeAll(async () => {
      mapping = await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'signed' })).id, requireSignedUrl: true });
    });

    it('gives the plain URL with the LMS course and activity, and a signed one for one user', async () => {
      const plain = await urlFor(mapping.id);
      expect(plain.origin + plain.pathname).toBe('http://sync.test/speechace/callback');
      expect(Object.fromEntries(plain.searchParams)).toEqual({ courseid: '2', testid: String(SITE.assignWithComments.cmid) });
      const signed = await urlFor(mapping.id, '4');
      expect(Object.fromEntries(signed.searchParams)).toMatchObject({ userid: '4', mid: mapping.id, sig: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    });

    it('grades the user the URL was signed for, whatever the body says', async () => {
      const url = await urlFor(mapping.id, '4');
      const res = await postTo(url, ctx.callbackBody({ courseId: 'signed', userId: '5', score: { overall: 8.1 } }));
      expect(res.status).toBe(202);
      const sync = await ctx.waitForFinal(res.body.syncs[0].id);
      expect(sync).toMatchObject({ state: 'synced', lmsUserId: 4, grade: 90 });
    });

    it('refuses a URL whose userid was changed, or whose sig was tampered with', async () => {
      const url = await urlFor(mapping.id, '4');
      const otherUser = new URL(url);
      otherUser.searchParams.set('userid', '5');
      const res = await postTo(otherUser, ctx.callbackBody({ courseId: 'signed' }));
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/signed callback URL was altered/);
      const tampered = new URL(url);
      tampered.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`);
      expect((await postTo(tampered, ctx.callbackBody({ courseId: 'signed' }))).status).toBe(401);
    });

    it('does not let an unsigned callback (a leaked key) grade through a mapping that requires signed URLs', async () => {
      const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'signed', userId: '5' }), { query: 'userid=5' });
      expect(res.status).toBe(202);
      expect(res.body.syncs).toEqual([]);
    });
  });

  describe('key rotation', () => {
    it('accepts old and new key while both are active, then only the new one', async () => {
      const assessment = await ctx.newAssessment({ speechaceCourseId: 'rotate', callbackKey: 'old-key-0000' });
      const oldKeyId = (assessment.keys as { id: string }[])[0]!.id;
      const added = await ctx.admin('post', `/api/v1/assessments/${assessment.id}/keys`).send({ callbackKey: 'new-key-1111' });
      expect(added.status).toBe(201);
      expect(added.body.keys.map((k: { hint: string }) => k.hint)).toEqual(['00', '11']);
      expect((await ctx.postCallback(ctx.callbackBody({ courseId: 'rotate', key: 'old-key-0000' }))).status).toBe(202);
      expect((await ctx.postCallback(ctx.callbackBody({ courseId: 'rotate', key: 'new-key-1111' }))).status).toBe(202);

      const retired = await ctx.admin('delete', `/api/v1/assessments/${assessment.id}/keys/${oldKeyId}`);
      expect(retired.status).toBe(200);
      expect((await ctx.postCallback(ctx.callbackBody({ courseId: 'rotate', key: 'old-key-0000' }))).status).toBe(401);
      expect((await ctx.postCallback(ctx.callbackBody({ courseId: 'rotate', key: 'new-key-1111' }))).status).toBe(202);
    });

    it('refuses to retire the last active key', async () => {
      const assessment = await ctx.newAssessment({ speechaceCourseId: 'rotate-last' });
      const keyId = (assessment.keys as { id: string }[])[0]!.id;
      const res = await ctx.admin('delete', `/api/v1/assessments/${assessment.id}/keys/${keyId}`);
      expect(res.status).toBe(409);
    });
  });

  describe('replay', () => {
    it('grades submissions that arrived before their mapping existed, once', async () => {
      const assessment = await ctx.newAssessment({ speechaceCourseId: 'early' });
      const early = await ctx.postCallback(ctx.callbackBody({ courseId: 'early', userId: '5', score: { overall: 0.9 } }));
      expect(early.body.syncs).toEqual([]);
      const mapping = await ctx.newMapping({ assessmentId: assessment.id, target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid } });

      const replay = await ctx.admin('post', `/api/v1/mappings/${mapping.id}/replay`).send({});
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ created: 1, queued: 1 });
      const submission = await ctx.admin('get', `/api/v1/submissions/${early.body.submissionId as string}`).expect(200);
      const sync = await ctx.waitForFinal(submission.body.syncs[0].id);
      expect(sync).toMatchObject({ state: 'synced', grade: 10 });

      const again = await ctx.admin('post', `/api/v1/mappings/${mapping.id}/replay`).send({});
      expect(again.body).toEqual({ created: 0, queued: 0 });
    });

    it('answers 400 for a bad time filter and 404 for an unknown mapping', async () => {
      const mapping = await ctx.newMapping();
      await ctx.admin('post', `/api/v1/mappings/${mapping.id}/replay`).send({ from: 'yesterday' }).expect(400);
      await ctx.admin('post', '/api/v1/mappings/00000000-0000-4000-8000-000000000000/replay').send({}).expect(404);
    });
  });
});
