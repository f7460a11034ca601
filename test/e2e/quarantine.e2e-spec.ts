import { CALLBACK_KEY, GradeSyncContext } from '../support/grade-sync-context';
import { specFixture } from '../support/spec-fixtures';

interface Quarantined {
  id: string;
  status: number;
  reason: string;
  body: string;
  bodyBytes: number;
  query: string | null;
  contentType: string | null;
  requestId: string;
}

describe('quarantine of callbacks refused for their body', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());
  beforeEach(async () => {
    await ctx.t.db.query('DELETE FROM callback_quarantine');
  });

  async function listed(query = ''): Promise<{ items: Quarantined[]; nextCursor: string | null }> {
    return (await ctx.admin('get', `/api/v1/quarantine${query}`).expect(200)).body;
  }

  async function metric(name: string): Promise<number> {
    const text = (await ctx.t.http.get('/metrics').expect(200)).text;
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').pop()) : NaN;
  }

  it('keeps the documented example (not valid JSON), encrypted, lists it without its key, and counts it', async () => {
    const before = await metric('sgs_quarantined_total{outcome="bad_request"}');
    const raw = specFixture('documented-example.txt');
    const res = await ctx.postCallback(raw.toString('utf8'), { query: `courseid=2&key=${CALLBACK_KEY}` }).expect(400);
    const { items, nextCursor } = await listed();
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 400, bodyBytes: raw.length, query: 'courseid=2', contentType: 'application/json', requestId: res.headers['x-request-id'] });
    expect(items[0]!.reason).toMatch(/not valid JSON/);
    expect(items[0]!.body).toContain('"courseId": 1234');
    expect(items[0]!.body).not.toContain(CALLBACK_KEY);
    const stored = JSON.stringify(await ctx.t.db.query('SELECT * FROM callback_quarantine'));
    expect(stored).not.toContain(CALLBACK_KEY);
    expect(stored).not.toContain('speak.speechace.co');
    expect(await metric('sgs_quarantined_total{outcome="bad_request"}')).toBe(before + 1);
    expect(await metric('sgs_quarantine_rows')).toBe(1);
  });

  it('keeps 400 (fields), 404 (unknown assessment) and 415, but not 401 (key), 413, 429 or a good callback', async () => {
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'q-known' })).id });
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-known' })).expect(202);
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-known', key: 'wrong-key-123' })).expect(401);
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-known', key: undefined })).expect(401);
    await ctx.postCallback('x'.repeat(70 * 1024)).expect(413);
    expect((await listed()).items).toEqual([]);

    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-known', score: undefined })).expect(400);
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-unknown' })).expect(404);
    await ctx.postCallback('{"courseId":1}', { contentType: 'image/png' }).expect(415);
    expect((await listed()).items.map((i) => i.status)).toEqual([415, 404, 400]);
    const paged = await listed('?limit=2');
    expect(paged.items).toHaveLength(2);
    const rest = await listed(`?limit=2&cursor=${paged.nextCursor!}`);
    expect(rest.items.map((i) => i.status)).toEqual([400]);
    expect(rest.nextCursor).toBeNull();
  });

  it('replays a callback for an assessment registered later: stored, synced, and out of the quarantine', async () => {
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-later', userId: '5' })).expect(404);
    const [item] = (await listed()).items;
    await ctx.admin('post', `/api/v1/quarantine/${item!.id}/replay`).expect(400); // still unknown

    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'q-later' })).id });
    const replayed = await ctx.admin('post', `/api/v1/quarantine/${item!.id}/replay`).expect(200);
    expect(replayed.body).toMatchObject({ submissionId: expect.any(String), duplicate: false, syncs: [expect.objectContaining({ state: 'pending' })] });
    expect((await ctx.waitForFinal(replayed.body.syncs[0].id as string)).state).toBe('synced');
    expect((await listed()).items).toEqual([]);
    await ctx.admin('post', `/api/v1/quarantine/${item!.id}/replay`).expect(404);
    const audit = (await ctx.admin('get', '/api/v1/audit').expect(200)).body;
    expect(JSON.stringify(audit)).toContain('quarantine.replay');
    // Stored without its key, like any callback.
    const sub = await ctx.admin('get', `/api/v1/submissions/${replayed.body.submissionId as string}`).expect(200);
    expect(sub.body.rawBody).not.toContain(CALLBACK_KEY);
  });

  it('replays only with a valid key: the admin cannot turn a keyless body into a grade', async () => {
    await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'q-keyless' })).id });
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-keyless', score: { overall: 'lots' } })).expect(400);
    await ctx.postCallback(ctx.callbackBody({ courseId: 'q-keyless', key: 'not-the-key-00', score: 'x' })).expect(400);
    const items = (await listed()).items;
    for (const item of items) {
      const res = await ctx.admin('post', `/api/v1/quarantine/${item.id}/replay`).expect(400);
      expect(res.body.message).toMatch(/is still refused \((400|401)\)/);
    }
    expect((await listed()).items).toHaveLength(2);
  });
});

describe('quarantine bounds', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ QUARANTINE_MAX_ROWS: '3' });
  });
  afterAll(() => ctx.close());

  it('keeps at most QUARANTINE_MAX_ROWS, dropping the oldest', async () => {
    for (let i = 0; i < 6; i++) await ctx.postCallback(`not json ${i}`).expect(400);
    const items = (await ctx.admin('get', '/api/v1/quarantine').expect(200)).body.items as Quarantined[];
    expect(items.map((i) => i.body)).toEqual(['not json 5', 'not json 4', 'not json 3']);
  });
});

describe('migration QuarantineAndKeylessBodies', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  it('removes the key from bodies and queries stored before intake did', async () => {
    await ctx.newMapping();
    const json = await ctx.postCallback(ctx.callbackBody()).expect(202);
    const form = await ctx.postCallback(`key=${CALLBACK_KEY}&courseId=1234&quizId=1&userId=5&score[overall]=3`, { contentType: 'application/x-www-form-urlencoded' }).expect(202);
    // As an older version stored them: with the key.
    await ctx.t.db.query(`UPDATE submissions SET raw_body = $1, raw_query = $2 WHERE id = $3`, [`{"key":"${CALLBACK_KEY}","courseId":1234}`, `key=${CALLBACK_KEY}&courseid=2`, json.body.submissionId]);
    await ctx.t.db.query(`UPDATE submissions SET raw_body = $1 WHERE id = $2`, [`courseId=1234&k%65y=${CALLBACK_KEY}`, form.body.submissionId]);
    const { stripStoredKeys } = await import('../../src/database/migrations/1796093241538-QuarantineAndKeylessBodies');
    const runner = ctx.t.db.createQueryRunner();
    try {
      await stripStoredKeys(runner);
    } finally {
      await runner.release();
    }
    const rows = (await ctx.t.db.query('SELECT id, raw_body, raw_query FROM submissions ORDER BY seq')) as { id: string; raw_body: string; raw_query: string | null }[];
    expect(rows.map((r) => [r.raw_body, r.raw_query])).toEqual([['{"courseId":1234}', 'courseid=2'], ['courseId=1234', null]]);
  });
});
