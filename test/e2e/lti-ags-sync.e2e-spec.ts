import { LtiSyncContext, LTI_SITE } from '../support/lti-sync-context';

/** Speechace callbacks become AGS scores on an LTI platform (the simulator answers as Moodle 5.0.6 does). */
describe('lti-ags sync', () => {
  let ctx: LtiSyncContext;

  beforeAll(async () => {
    ctx = await LtiSyncContext.start();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('pushes the score with the exact media type, rescaled to the line item, with the feedback text, and reads it back', async () => {
    const body = ctx.callbackBody({ userId: '3' });
    const sync = await ctx.deliver(body);
    expect(sync).toMatchObject({ state: 'synced', grade: 80, lmsUserId: 3 });
    expect(ctx.held(3)).toMatchObject({ grade: 80, comment: `Speechace scores: Overall 7.2, Pronunciation 7.6, Fluency 6.5.\nFull Speechace report: ${body.reportUrl as string}` });

    const posts = ctx.platform.requests.filter((r) => r.target === 'scores');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.contentType).toBe('application/vnd.ims.lis.v1.score+json');
    expect(posts[0]!.url).toBe(`${ctx.platform.baseUrl}/mod/lti/services.php/2/lineitems/${ctx.item.itemId}/lineitem/scores?type_id=1`);
    const score = JSON.parse(posts[0]!.body);
    expect(score).toMatchObject({ userId: '3', scoreGiven: 80, scoreMaximum: 100, activityProgress: 'Completed', gradingProgress: 'FullyGraded' });
    const submission = (await ctx.admin('get', `/api/v1/syncs/${sync.id}`)).body;
    const received = (await ctx.admin('get', `/api/v1/submissions/${submission.submissionId as string}`)).body.receivedAt as string;
    expect(score.timestamp).toBe(new Date(received).toISOString());

    const calls = sync.attempts[0]!.calls;
    // The token came with the mapping's line item check: one token serves this process until shortly before it expires.
    expect(calls.map((c) => [c.function, c.httpStatus])).toEqual([['GET lineitem', 200], ['POST scores', 200], ['GET results', 200]]);
    const token = ctx.platform.requests.find((r) => r.target === 'token')!;
    const secrets = [...ctx.platform.state.tokens.keys(), new URLSearchParams(token.body).get('client_assertion')!];
    for (const secret of secrets) expect(JSON.stringify(sync)).not.toContain(secret);
  });

  it('sends the assertion a platform expects: RS256 with our kid, iss = sub = client id, aud = token URL, iat, exp, jti', async () => {
    const tool = (await ctx.admin('get', '/api/v1/lti/tool')).body;
    const { header, claims } = ctx.platform.assertions[0]!;
    expect(header).toMatchObject({ alg: 'RS256', kid: tool.kid });
    expect(claims).toMatchObject({ iss: ctx.platform.clientId, sub: ctx.platform.clientId, aud: ctx.platform.tokenUrl, jti: expect.any(String) });
    expect(claims.exp! - claims.iat!).toBeGreaterThan(0);
  });

  it('asks for one token for many pushes, and for a fresh one once when the platform refuses it (401)', async () => {
    const tokensBefore = ctx.platform.count('token');
    for (const userId of ['4', '5']) expect(await ctx.deliver(ctx.callbackBody({ userId }))).toMatchObject({ state: 'synced' });
    expect(ctx.platform.count('token')).toBe(tokensBefore);

    ctx.platform.revokeTokens();
    const sync = await ctx.deliver(ctx.callbackBody({ userId: '5', score: { overall: 4.5 } }));
    expect(sync).toMatchObject({ state: 'synced', grade: 50 });
    expect(ctx.platform.count('token')).toBe(tokensBefore + 1);
    expect(sync.attempts).toHaveLength(1);
    const calls = sync.attempts[0]!.calls;
    expect(calls.slice(0, 3).map((c) => [c.function, c.httpStatus])).toEqual([['GET lineitem', 401], ['token', 200], ['GET lineitem', 200]]);
    expect(calls.filter((c) => c.httpStatus === 401)).toHaveLength(1);
    const tokenCall = calls.find((c) => c.function === 'token')!;
    expect(tokenCall.params).toEqual({ url: ctx.platform.tokenUrl, grant_type: 'client_credentials', scope: expect.stringContaining('/score'), kid: expect.any(String), client_id: ctx.platform.clientId });
    expect(tokenCall.body).toContain('"access_token": "[secret]"');
    for (const secret of ctx.platform.state.tokens.keys()) expect(JSON.stringify(sync)).not.toContain(secret);
  });

  it('treats 409 on a retried push as applied when the platform holds the grade', async () => {
    ctx.platform.failNext('results', 1, { status: 500 });
    const sync = await ctx.deliver(ctx.callbackBody({ userId: '4', score: { overall: 9 } }));
    expect(sync).toMatchObject({ state: 'synced', grade: 100, reason: expect.stringContaining('409') });
    expect(sync.attempts.map((a) => a.outcome)).toEqual(['retry', 'synced']);
    expect(sync.attempts[1]!.calls.find((c) => c.function === 'POST scores')!.httpStatus).toBe(409);
    expect(ctx.held(4)!.grade).toBe(100);
  });

  it("waits as a 429's Retry-After asks, then pushes", async () => {
    ctx.platform.failNext('scores', 1, { status: 429, retryAfter: '2' });
    const sync = await ctx.deliver(ctx.callbackBody({ userId: '3', score: { overall: 3.6 } }));
    expect(sync).toMatchObject({ state: 'synced', grade: 40 });
    expect(sync.attempts.map((a) => [a.outcome, a.errorCode])).toEqual([['retry', 'http_429'], ['synced', null]]);
    const waited = Date.parse(sync.attempts[1]!.startedAt) - Date.parse(sync.attempts[0]!.startedAt);
    expect(waited).toBeGreaterThanOrEqual(2000);
  });

  it('is blocked by a newer grade on the platform, and says what the platform holds', async () => {
    ctx.platform.state.setGrade(ctx.item.itemId, 5, { grade: 55, comment: 'teacher', timemodified: Math.floor(Date.now() / 1000) + 120 });
    const sync = await ctx.deliver(ctx.callbackBody({ userId: '5' }));
    expect(sync).toMatchObject({ state: 'blocked', reason: expect.stringContaining('55 of 100') });
    expect(ctx.held(5)!.grade).toBe(55);
  });

  it('replaces the grade with a later attempt under "latest", and a repeat creates nothing', async () => {
    const first = ctx.callbackBody({ userId: '4', score: { overall: 1.8 } });
    const second = ctx.callbackBody({ userId: '4', score: { overall: 2.7 } });
    expect(await ctx.deliver(first)).toMatchObject({ state: 'synced', grade: 20 });
    expect(await ctx.deliver(second)).toMatchObject({ state: 'synced', grade: 30 });
    expect(ctx.held(4)!.grade).toBe(30);

    const posts = ctx.platform.count('scores');
    const repeat = await ctx.t.http.post('/speechace/callback').set('content-type', 'application/json').send(JSON.stringify(second));
    expect(repeat.status).toBe(200);
    expect(repeat.body.duplicate).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(ctx.platform.count('scores')).toBe(posts);
    expect(ctx.held(4)!.grade).toBe(30);
  });

  it('sends once more, a second later, when the platform refuses (409) for a grade of the same whole second', async () => {
    while (Date.now() % 1000 > 100) await new Promise((r) => setTimeout(r, 10));
    ctx.platform.state.setGrade(ctx.item.itemId, 3, { grade: 10, comment: 'earlier attempt', timemodified: Math.floor(Date.now() / 1000) });
    const sync = await ctx.deliver(ctx.callbackBody({ userId: '3', score: { overall: 8.1 } }));
    expect(sync).toMatchObject({ state: 'synced', grade: 90 });
    const posts = sync.attempts[0]!.calls.filter((c) => c.function === 'POST scores');
    expect(posts.map((c) => c.httpStatus)).toEqual([409, 200]);
    expect(Date.parse(posts[1]!.params.timestamp!) - Date.parse(posts[0]!.params.timestamp!)).toBeGreaterThan(0);
    expect(ctx.held(3)!.grade).toBe(90);
  });

  it('fails for good, with the reason, for a user who is not enrolled', async () => {
    const sync = await ctx.deliver(ctx.callbackBody({ userId: String(LTI_SITE.notEnrolled) }));
    expect(sync).toMatchObject({ state: 'failed', reason: expect.stringContaining('Incorrect score received') });
    expect(sync.attempts).toHaveLength(1);
    expect(sync.attempts[0]!.errorCode).toBe('lti_score_refused');
  });

  it('fails for good, without retrying, when the platform answers status 0 for a non-numeric user id', async () => {
    const before = ctx.platform.count('scores');
    const sync = await ctx.deliver(ctx.callbackBody({ userId: 'student-abc' }));
    expect(sync).toMatchObject({ state: 'failed', reason: expect.stringContaining('not a number') });
    expect(sync.attempts).toHaveLength(1);
    expect(ctx.platform.count('scores')).toBe(before + 1);
  });

  it('counts AGS calls in the LMS call histogram', async () => {
    const metrics = (await ctx.t.http.get('/metrics')).text;
    expect(metrics).toMatch(/sgs_lms_call_duration_seconds_count\{function="lti POST scores",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/sgs_lms_call_duration_seconds_count\{function="lti POST scores",outcome="permanent"\} [1-9]/);
    expect(metrics).toMatch(/sgs_lms_call_duration_seconds_count\{function="lti token",outcome="ok"\} [1-9]/);
  });
});
