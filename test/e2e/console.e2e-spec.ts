import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIST } from '../support/console-build';
import { GradeSyncContext } from '../support/grade-sync-context';
import { ADMIN_TOKEN, createTestApp, TestApp } from '../support/test-app';

/** What `npm run build` made and the api/all processes serve at /console; the browser tests drive it. */
describe('the admin console as served', () => {
  let ctx: GradeSyncContext;
  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  it('serves the page with a CSP that allows only our own origin, and revalidates it on every load', async () => {
    const res = await ctx.t.http.get('/console').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // No inline script or style, nothing from another origin.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/<style/);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('answers every console path with the page (the console routes itself), and serves hashed assets as immutable', async () => {
    const deep = await ctx.t.http.get('/console/syncs/0b8a1c2e-0000-4000-8000-000000000000').expect(200);
    expect(deep.text).toContain('<div id="app">');
    const assets = [...deep.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const res = await ctx.t.http.get(asset).expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
    await ctx.t.http.get('/console/assets/no-such-file.js').expect(404);
  });

  it('is under 300 KB for a first load, everything the page loads included', () => {
    const files = [join(CONSOLE_DIST, 'index.html'), ...readdirSync(join(CONSOLE_DIST, 'assets')).map((f) => join(CONSOLE_DIST, 'assets', f))];
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    expect(bytes).toBeLessThan(300 * 1024);
    // Fonts come from the system; images, if any, from our own assets.
    expect(files.filter((f) => /\.(woff2?|ttf|otf)$/.test(f))).toEqual([]);
  });

  describe('GET /api/v1/me', () => {
    it("answers the admin token's role, with no course limit", async () => {
      const res = await ctx.admin('get', '/api/v1/me').expect(200);
      expect(res.body).toEqual({ name: 'bootstrap admin (ADMIN_API_TOKEN)', role: 'admin', lmsCourseIds: null });
    });

    it("answers a viewer token's role and courses", async () => {
      const token = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'course 7 viewer', role: 'viewer', lmsCourseIds: [7, 3] }).expect(201)).body.token as string;
      const res = await ctx.t.http.get('/api/v1/me').set('authorization', `Bearer ${token}`).expect(200);
      expect(res.body).toEqual({ name: 'course 7 viewer', role: 'viewer', lmsCourseIds: [7, 3] });
    });

    it('answers 401 without a token, or with an unknown one', async () => {
      await ctx.t.http.get('/api/v1/me').expect(401);
      await ctx.t.http.get('/api/v1/me').set('authorization', 'Bearer not-a-token').expect(401);
    });
  });

  it('GET /api/v1/syncs/summary counts only the courses the token may see', async () => {
    const mapping = await ctx.newMapping();
    const cb = await ctx.postCallback(ctx.callbackBody()).expect(202);
    await ctx.waitForFinal(cb.body.syncs[0].id as string);
    const all = (await ctx.admin('get', '/api/v1/syncs/summary').expect(200)).body as { byState: Record<string, number>; oldestOpenAgeSeconds: number | null };
    expect(all.byState).toEqual({ pending: 0, queued: 0, paused: 0, synced: 1, blocked: 0, failed: 0, skipped: 0 });
    expect(all.oldestOpenAgeSeconds).toBeNull();

    const other = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'course 99', role: 'viewer', lmsCourseIds: [99] }).expect(201)).body.token as string;
    const limited = (await ctx.t.http.get('/api/v1/syncs/summary').set('authorization', `Bearer ${other}`).expect(200)).body as { byState: Record<string, number> };
    expect(Object.values(limited.byState).every((n) => n === 0)).toBe(true);

    const own = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'course 2', role: 'viewer', lmsCourseIds: [mapping.lmsCourseId as number] }).expect(201)).body.token as string;
    const mine = (await ctx.t.http.get('/api/v1/syncs/summary').set('authorization', `Bearer ${own}`).expect(200)).body as { byState: Record<string, number> };
    expect(mine.byState.synced).toBe(1);
  });
});

describe('which processes serve the console', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('ROLE=api serves it', async () => {
    app = await createTestApp({ ROLE: 'api' });
    await app.http.get('/console').expect(200);
    await app.http.get('/api/v1/me').set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
  });

  it('ROLE=worker does not', async () => {
    app = await createTestApp({ ROLE: 'worker' });
    await app.http.get('/console').expect(404);
    await app.http.get('/console/assets/anything.js').expect(404);
  });
});
