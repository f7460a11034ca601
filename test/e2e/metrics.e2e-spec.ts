import { GradeSyncContext } from '../support/grade-sync-context';

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) map.set(match[1]!, Number(match[2]));
  }
  return map;
}

describe('GET /metrics', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    await ctx.newMapping();
  });
  afterAll(() => ctx.close());

  const scrape = async () => samples((await ctx.t.http.get('/metrics').expect(200)).text);
  const value = (m: Map<string, number>, key: string) => m.get(key) ?? 0;
  const callbacks = (m: Map<string, number>, outcome: string) => value(m, `sgs_callbacks_total{outcome="${outcome}"}`);

  it('serves the text exposition format without a token, with the process metrics', async () => {
    const res = await ctx.t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(res.text).toMatch(/^# TYPE sgs_callbacks_total counter$/m);
    expect(res.text).toMatch(/^# TYPE sgs_lms_call_duration_seconds histogram$/m);
    expect(res.text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(res.text).toMatch(/^nodejs_heap_size_used_bytes /m);
    const m = samples(res.text);
    for (const state of ['pending', 'queued', 'synced', 'blocked', 'failed', 'skipped']) expect(m.has(`sgs_syncs{state="${state}"}`)).toBe(true);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(m.has(`sgs_queue_jobs{state="${state}"}`)).toBe(true);
    expect(m.has('sgs_oldest_open_sync_age_seconds')).toBe(true);
    expect(m.get('sgs_failed_key_attempts_total')).toBe(0);
  });

  it('counts callbacks by outcome and syncs by state after some traffic', async () => {
    const before = await scrape();
    const body = ctx.callbackBody();
    const synced = await ctx.deliver(body);
    expect(synced.state).toBe('synced');
    expect((await ctx.postCallback(body)).status).toBe(200);
    expect((await ctx.postCallback('{}')).status).toBe(400);
    expect((await ctx.postCallback(ctx.callbackBody({ key: 'not-the-key-0000' }))).status).toBe(401);
    expect((await ctx.postCallback(ctx.callbackBody({ courseId: 'nobody' }))).status).toBe(404);
    expect((await ctx.postCallback(JSON.stringify({ pad: 'x'.repeat(70 * 1024) }))).status).toBe(413);
    expect((await ctx.postCallback('<a/>', { contentType: 'application/xml' })).status).toBe(415);

    const after = await scrape();
    const moved = (outcome: string) => callbacks(after, outcome) - callbacks(before, outcome);
    expect(['accepted', 'duplicate', 'bad_request', 'unauthorized', 'unknown_assessment', 'too_large', 'unsupported_type'].map(moved)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(moved('rate_limited')).toBe(0);
    expect(moved('unavailable')).toBe(0);
    expect(value(after, 'sgs_syncs{state="synced"}')).toBeGreaterThanOrEqual(1);
  });

  it('times LMS calls by function and outcome, and counts LMS errors by code', async () => {
    const before = await scrape();
    ctx.sim.failNext(1, { kind: 'error', errorcode: 'sitemaintenance', exception: 'moodle_exception', message: 'Site is being upgraded' });
    const sync = await ctx.deliver(ctx.callbackBody());
    expect(sync.state).toBe('synced');

    const after = await scrape();
    const errors = [...after].filter(([k, v]) => k.startsWith('sgs_lms_errors_total{') && k.includes('code="sitemaintenance"') && v > (before.get(k) ?? 0));
    expect(errors).toHaveLength(1);
    const failedFunction = /function="([^"]+)"/.exec(errors[0]![0])![1];
    expect(value(after, `sgs_lms_call_duration_seconds_count{function="${failedFunction}",outcome="transient"}`)).toBeGreaterThanOrEqual(1);
    const okCalls = [...after].filter(([k, v]) => k.startsWith('sgs_lms_call_duration_seconds_count{') && k.endsWith('outcome="ok"}') && v > 0);
    expect(okCalls.length).toBeGreaterThan(0);
  });

  it('counts failed key attempts: a wrong key for a registered assessment, not a missing key or an unknown assessment', async () => {
    const before = value(await scrape(), 'sgs_failed_key_attempts_total');
    for (let i = 0; i < 3; i++) expect((await ctx.postCallback(ctx.callbackBody({ key: `wrong-key-${i}` }))).status).toBe(401);
    const { key: _omitted, ...withoutKey } = ctx.callbackBody();
    expect((await ctx.postCallback(withoutKey)).status).toBe(401);
    expect((await ctx.postCallback(ctx.callbackBody({ key: 'wrong', courseId: 'nobody' }))).status).toBe(404);
    expect(value(await scrape(), 'sgs_failed_key_attempts_total') - before).toBe(3);
  });

  it('reports the age of the oldest open sync', async () => {
    // An open sync made an hour ago and not due until tomorrow, so no worker or relay touches it.
    await ctx.t.db.query(
      `UPDATE syncs SET state = 'pending', created_at = now() - interval '1 hour', next_attempt_at = now() + interval '1 day'
        WHERE id = (SELECT id FROM syncs ORDER BY created_at LIMIT 1)`,
    );
    const age = value(await scrape(), 'sgs_oldest_open_sync_age_seconds');
    expect(age).toBeGreaterThanOrEqual(3600);
    expect(age).toBeLessThan(2 * 3600);
    expect(value(await scrape(), 'sgs_syncs{state="pending"}')).toBeGreaterThanOrEqual(1);
  });
});
