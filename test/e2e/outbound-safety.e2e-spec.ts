import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GradeSyncContext, seedSite } from '../support/grade-sync-context';

/** A listener that records every request body it gets: where a stolen token would land. */
async function listener(): Promise<{ server: Server; port: number; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(`${req.url ?? ''} ${Buffer.concat(chunks).toString('utf8')}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"sitename":"x"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, bodies };
}

describe('outbound calls: where the Moodle token may go and how much of an answer is read', () => {
  let ctx: GradeSyncContext;
  let trap: Awaited<ReturnType<typeof listener>>;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    trap = await listener();
  });
  afterAll(async () => {
    await ctx.close();
    await new Promise<void>((resolve) => trap.server.close(() => resolve()));
  });
  afterEach(() => {
    ctx.sim.reset();
    seedSite(ctx.sim);
    trap.bodies.length = 0;
  });

  it('refuses the issue\'s attack: PATCH baseUrl "…/x#" then a connection test never sends the token to that listener', async () => {
    const conn = await ctx.newConnection();
    const patched = await ctx.admin('patch', `/api/v1/connections/${conn.id}`).send({ baseUrl: `http://127.0.0.1:${trap.port}/x#` });
    expect(patched.status).toBe(400);
    expect(JSON.stringify(patched.body.message)).toMatch(/baseUrl may not contain a query \(\?\) or a fragment \(#\)/);
    // Without the fragment the URL is valid, but a new address needs the token again.
    const moved = await ctx.admin('patch', `/api/v1/connections/${conn.id}`).send({ baseUrl: `http://127.0.0.1:${trap.port}/x` });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toMatch(/^token: changing baseUrl .* needs the token for the new address/);
    const report = await ctx.admin('post', `/api/v1/connections/${conn.id}/test`).expect(200);
    expect(report.body.reachable).toBe(true);
    expect(trap.bodies).toEqual([]);
    expect((await ctx.admin('get', `/api/v1/connections/${conn.id}`).expect(200)).body.baseUrl).toBe(ctx.sim.baseUrl);
  });

  it('refuses user info, a query or another scheme in baseUrl on create and on change, naming baseUrl', async () => {
    const conn = await ctx.newConnection();
    const bad = [
      `http://user:pw@127.0.0.1:${trap.port}`,
      `http://@127.0.0.1:${trap.port}`,
      `http://127.0.0.1:${trap.port}/?x=`,
      `ftp://127.0.0.1:${trap.port}`,
      'javascript:alert(1)',
    ];
    for (const baseUrl of bad) {
      const created = await ctx.admin('post', '/api/v1/connections').send({ name: 'x', kind: 'moodle', baseUrl, token: 'new-token' });
      expect({ baseUrl, status: created.status, names: JSON.stringify(created.body.message).includes('baseUrl') }).toEqual({ baseUrl, status: 400, names: true });
      const patched = await ctx.admin('patch', `/api/v1/connections/${conn.id}`).send({ baseUrl, token: 'new-token' });
      expect({ baseUrl, status: patched.status }).toEqual({ baseUrl, status: 400 });
    }
    // The same address, spelled with a trailing slash or the endpoint path, is not a change.
    await ctx.admin('patch', `/api/v1/connections/${conn.id}`).send({ baseUrl: `${ctx.sim.baseUrl}/webservice/rest/server.php` }).expect(200);
    // A real move, with its token, is fine.
    const moved = await ctx.admin('patch', `/api/v1/connections/${conn.id}`).send({ baseUrl: `http://127.0.0.1:${trap.port}/moodle/`, token: 'token-for-the-new-site' }).expect(200);
    expect(moved.body.baseUrl).toBe(`http://127.0.0.1:${trap.port}/moodle`);
    await ctx.admin('post', `/api/v1/connections/${conn.id}/test`).expect(200);
    expect(trap.bodies).toHaveLength(1);
    expect(trap.bodies[0]).toContain('wstoken=token-for-the-new-site');
    expect(trap.bodies[0]).not.toContain(ctx.sim.token);
  });

  it('never calls a stored baseUrl that breaks the rules (a row changed by hand)', async () => {
    const conn = await ctx.newConnection();
    await ctx.t.db.query('UPDATE connections SET base_url = $1 WHERE id = $2', [`http://127.0.0.1:${trap.port}/x#`, conn.id]);
    const report = await ctx.admin('post', `/api/v1/connections/${conn.id}/test`).expect(200);
    expect(report.body.reachable).toBe(false);
    expect(report.body.problems[0].message).toContain('not calling the LMS');
    expect(trap.bodies).toEqual([]);
  });

  it('reads a 400 MB site info answer only up to its 1 MB limit: the test reports it, echoes none of it, and memory stays flat', async () => {
    const conn = await ctx.newConnection();
    const rssBefore = process.memoryUsage().rss;
    ctx.sim.failNext(1, { kind: 'huge', bytes: 400 * 1024 * 1024 }, { wsfunction: 'core_webservice_get_site_info' });
    const started = Date.now();
    const report = await ctx.admin('post', `/api/v1/connections/${conn.id}/test`).expect(200);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.body.reachable).toBe(false);
    expect(report.body.problems[0].message).toContain('core_webservice_get_site_info answered more than 1048576 bytes');
    expect(report.text.length).toBeLessThan(5000);
    expect(ctx.sim.hugeBytesSent).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });
});

describe('LMS_ALLOWED_HOSTS', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ LMS_ALLOWED_HOSTS: 'moodle.example.edu,localhost' });
  });
  afterAll(() => ctx.close());

  it('refuses a connection to any other host, and never calls one stored before the list was set', async () => {
    const created = await ctx.admin('post', '/api/v1/connections').send({ name: 'x', kind: 'moodle', baseUrl: ctx.sim.baseUrl, token: ctx.sim.token });
    expect(created.status).toBe(400);
    expect(created.body.message).toMatch(/baseUrl's host 127\.0\.0\.1:\d+ is not in LMS_ALLOWED_HOSTS \(moodle\.example\.edu, localhost\)/);
    await ctx.admin('post', '/api/v1/connections').send({ name: 'x', kind: 'moodle', baseUrl: 'https://moodle.example.edu/', token: 't' }).expect(201);

    const { id } = (await ctx.admin('post', '/api/v1/connections').send({ name: 'y', kind: 'moodle', baseUrl: 'https://moodle.example.edu', token: ctx.sim.token }).expect(201)).body as { id: string };
    await ctx.t.db.query('UPDATE connections SET base_url = $1 WHERE id = $2', [ctx.sim.baseUrl, id]);
    const report = await ctx.admin('post', `/api/v1/connections/${id}/test`).expect(200);
    expect(report.body.problems[0].message).toContain('LMS_ALLOWED_HOSTS');
    expect(ctx.sim.calls).toHaveLength(0);
  });
});
