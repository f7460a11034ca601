import { SubmissionEntity } from '../../src/submissions/submission.entity';
import { SyncEntity } from '../../src/sync/sync.entity';
import { CALLBACK_KEY, GradeSyncContext, SITE } from '../support/grade-sync-context';
import { specFixture } from '../support/spec-fixtures';

const fixture = (name: string) => specFixture(name).toString('utf8');

describe('POST /speechace/callback (intake)', () => {
  let ctx: GradeSyncContext;
  let mapping: { id: string; assessmentId: string };

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    mapping = (await ctx.newMapping()) as typeof mapping;
  });
  afterAll(() => ctx.close());

  const submissions = () => ctx.t.db.getRepository(SubmissionEntity);
  const syncs = () => ctx.t.db.getRepository(SyncEntity);

  it('stores the JSON fixture and answers 202 with the submission and one sync per matching mapping', async () => {
    const res = await ctx.postCallback(fixture('callback.json'), { query: 'userid=4' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ submissionId: expect.any(String), duplicate: false, syncs: [{ id: expect.any(String), mappingId: mapping.id, state: expect.stringMatching(/pending|queued/) }] });
    const stored = await submissions().findOneByOrFail({ id: res.body.submissionId });
    // Stored byte for byte, less the key member (and its comma).
    expect(stored.rawBody).toBe(fixture('callback.json').replace(`"key":"${CALLBACK_KEY}",`, ''));
    expect(fixture('callback.json')).toContain(`"key":"${CALLBACK_KEY}",`);
    expect(stored.scores).toEqual({ overall: 4, pronunciation: 7.6, fluency: 6.5, vocab: 6.6, grammar: 5.5 });
    expect(stored.speechaceUserId).toBe('1234a');
    expect(stored.userRef).toBe('4');
  });

  it('accepts the form-encoded fixture with nested score[overall]', async () => {
    const body = fixture('callback.form.txt').replace('a698bd97924e08e68ef1db96a8', 'form-attempt');
    const res = await ctx.postCallback(body, { contentType: 'application/x-www-form-urlencoded', query: 'userid=5' });
    expect(res.status).toBe(202);
    const stored = await submissions().findOneByOrFail({ id: res.body.submissionId });
    expect(stored.scores.overall).toBe(4);
    expect(stored.scores.grammar).toBe(5.5);
    expect(stored.speechaceCourseId).toBe('1234');
    expect(stored.contentType).toBe('application/x-www-form-urlencoded');
  });

  it('refuses the documented example (not valid JSON) with a 400 that says so, and stores nothing', async () => {
    const before = await submissions().count();
    const res = await ctx.postCallback(fixture('documented-example.txt'));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/not valid JSON/);
    expect(await submissions().count()).toBe(before);
  });

  it('reads ids given as strings or numbers and scores given as numeric strings', async () => {
    const res = await ctx.postCallback(ctx.callbackBody({ courseId: '1234', quizId: 456, userId: 4, score: { overall: '6.5' } }));
    expect(res.status).toBe(202);
    const stored = await submissions().findOneByOrFail({ id: res.body.submissionId });
    expect(stored.scores).toEqual({ overall: 6.5 });
    expect(stored.speechaceQuizId).toBe('456');
  });

  it('keeps a zero score as a real score', async () => {
    const res = await ctx.postCallback(ctx.callbackBody({ score: { overall: 0 } }));
    expect(res.status).toBe(202);
    const sync = await syncs().findOneByOrFail({ id: res.body.syncs[0].id });
    expect(sync.sourceScore).toBe(0);
  });

  it('lets the query userid win over the body userId, and selects mappings by query courseid/testid', async () => {
    const other = await ctx.newMapping({
      assessmentId: mapping.assessmentId,
      target: { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid },
    });
    const res = await ctx.postCallback(ctx.callbackBody({ userId: '1234a' }), { query: `courseid=${SITE.courseId}&testid=${SITE.assignNoComments.cmid}&userid=5` });
    expect(res.status).toBe(202);
    expect(res.body.syncs.map((s: { mappingId: string }) => s.mappingId)).toEqual([other.id]);
    const stored = await submissions().findOneByOrFail({ id: res.body.submissionId });
    expect(stored).toMatchObject({ userRef: '5', speechaceUserId: '1234a', queryCourseId: '2', queryTestId: '2' });

    const none = await ctx.postCallback(ctx.callbackBody(), { query: 'courseid=999&userid=5' });
    expect(none.status).toBe(202);
    expect(none.body.syncs).toEqual([]);
    await ctx.admin('patch', `/api/v1/mappings/${other.id}`).send({ enabled: false }).expect(200);
  });

  it('answers a repeat with the same submissionId, duplicate: true, and creates nothing', async () => {
    const body = ctx.callbackBody();
    const first = await ctx.postCallback(body);
    const countBefore = { submissions: await submissions().count(), syncs: await syncs().count() };
    const again = await ctx.postCallback(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ submissionId: first.body.submissionId, duplicate: true });
    expect(again.body.syncs.map((s: { id: string }) => s.id)).toEqual(first.body.syncs.map((s: { id: string }) => s.id));
    expect(await submissions().count()).toBe(countBefore.submissions);
    expect(await syncs().count()).toBe(countBefore.syncs);
  });

  it('stores 20 concurrent repeats once', async () => {
    const body = JSON.stringify(ctx.callbackBody());
    const answers = await Promise.all(Array.from({ length: 20 }, () => ctx.postCallback(body)));
    const ids = new Set(answers.map((a) => a.body.submissionId as string));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.duplicate === true)).toHaveLength(19);
    expect(await syncs().count({ where: { submissionId: [...ids][0] } })).toBe(1);
  });

  it('answers 401 for a wrong key and for a missing key, and stores nothing', async () => {
    const before = await submissions().count();
    const wrong = await ctx.postCallback(ctx.callbackBody({ key: 'not-the-key' }));
    expect(wrong.status).toBe(401);
    const { key: _omitted, ...withoutKey } = ctx.callbackBody();
    const missing = await ctx.postCallback(withoutKey);
    expect(missing.status).toBe(401);
    expect(missing.body.message).toMatch(/no key/);
    expect(await submissions().count()).toBe(before);
  });

  it('answers 404 for a courseId no assessment is registered for', async () => {
    const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'nope' }));
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/No assessment is registered for Speechace courseId "nope"/);
  });

  it('stores a valid callback of an assessment with no mapping yet, with no sync', async () => {
    await ctx.newAssessment({ speechaceCourseId: 'unmapped-1', callbackKey: CALLBACK_KEY });
    const res = await ctx.postCallback(ctx.callbackBody({ courseId: 'unmapped-1' }));
    expect(res.status).toBe(202);
    expect(res.body.syncs).toEqual([]);
  });

  it.each([
    ['no score', { score: undefined }, /score is required/],
    ['no overall', { score: { fluency: 5 } }, /score.overall is required/],
    ['a non-numeric score', { score: { overall: 'high' } }, /score.overall must be a number/],
    ['a negative score', { score: { overall: -1 } }, /score.overall must be a number/],
    ['no courseId', { courseId: undefined }, /courseId is required/],
    ['an object as quizId', { quizId: { a: 1 } }, /quizId must be/],
    ['a non-http reportUrl', { reportUrl: 'javascript:alert(1)' }, /reportUrl must be an http/],
  ])('answers 400 naming the problem for %s', async (_name, overrides, message) => {
    const res = await ctx.postCallback(ctx.callbackBody(overrides));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('answers 413 for a body over the limit and 415 for an unsupported content type', async () => {
    const big = await ctx.postCallback(JSON.stringify({ ...ctx.callbackBody(), pad: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    const multipart = await ctx.postCallback('--x\r\n', { contentType: 'multipart/form-data; boundary=x' });
    expect(multipart.status).toBe(415);
  });

  describe('the route itself (served ahead of Express, so it must behave like the other routes)', () => {
    it('echoes a sent X-Request-Id, makes one up otherwise, and sends the rate-limit headers', async () => {
      const sent = await ctx.t.http
        .post('/speechace/callback')
        .set('content-type', 'application/json')
        .set('x-request-id', 'trace-abc.123')
        .send(JSON.stringify(ctx.callbackBody({ userId: '9101' })));
      expect(sent.status).toBe(202);
      expect(sent.headers['x-request-id']).toBe('trace-abc.123');
      expect(sent.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(Number(sent.headers['x-ratelimit-limit'])).toBeGreaterThan(0);
      expect(Number(sent.headers['x-ratelimit-remaining'])).toBeLessThan(Number(sent.headers['x-ratelimit-limit']));
      const made = await ctx.postCallback(ctx.callbackBody({ userId: '9102' }));
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('matches the path as Express did (any case, optional trailing slash) and leaves other methods to the 404 of the API', async () => {
      const upper = await ctx.t.http.post('/Speechace/Callback/?userid=9103').set('content-type', 'application/json').send(JSON.stringify(ctx.callbackBody()));
      expect(upper.status).toBe(202);
      expect((await submissions().findOneByOrFail({ id: upper.body.submissionId })).userRef).toBe('9103');
      const get = await ctx.t.http.get('/speechace/callback');
      expect(get.status).toBe(404);
      expect(get.body).toMatchObject({ statusCode: 404 });
      expect((await ctx.t.http.post('/speechace/callbacks').send('{}')).status).toBe(404);
    });

    it('answers the same JSON error shape as the rest of the API', async () => {
      const res = await ctx.postCallback('{"courseId":');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: expect.any(String), ...(res.body.error ? { error: expect.any(String) } : {}) });
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
    });
  });
});
