import { GradeSyncContext } from '../support/grade-sync-context';

interface Operation {
  method: string;
  path: string;
}

/** Every /api/v1 route from the OpenAPI document, against no token, a viewer token and the admin token. */
describe('roles on every admin route', () => {
  let ctx: GradeSyncContext;
  let operations: Operation[];
  let viewer: string;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    const doc = await ctx.t.http.get('/docs-json').expect(200);
    operations = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/v1'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path })));
    viewer = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'viewer', role: 'viewer' }).expect(201)).body.token as string;
  });
  afterAll(() => ctx.close());

  const concrete = (path: string) => path.replace(/\{[^}]+\}/g, (name) => (name === '{lmsCourseId}' ? '2' : '00000000-0000-4000-8000-000000000000'));
  const send = (op: Operation, token?: string) => {
    const req = (ctx.t.http as unknown as Record<string, (url: string) => import('supertest').Test>)[op.method]!(concrete(op.path));
    return (token ? req.set('authorization', `Bearer ${token}`) : req).send({});
  };

  it('covers the routes of the contract', () => {
    const names = operations.map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(names).toEqual(expect.arrayContaining(['POST /api/v1/connections', 'POST /api/v1/assessments', 'POST /api/v1/mappings', 'GET /api/v1/submissions/{id}', 'POST /api/v1/tokens']));
  });

  it('answers 401 to every route without a token', async () => {
    for (const op of operations) expect({ ...op, status: (await send(op)).status }).toEqual({ ...op, status: 401 });
  });

  it('answers 403 to a viewer on every route that changes something, and lets it read the others', async () => {
    for (const op of operations) {
      const status = (await send(op, viewer)).status;
      // Admin reads: tokens, audit, quarantine, the LTI tool registration, and a platform's line items (asked of the platform for any course).
      const adminRead = ['/api/v1/tokens', '/api/v1/audit', '/api/v1/quarantine', '/api/v1/lti'].some((p) => op.path.startsWith(p)) || op.path.endsWith('/lineitems');
      const adminOnly = op.method !== 'get' || adminRead;
      if (adminOnly) expect({ ...op, status }).toEqual({ ...op, status: 403 });
      else expect({ ...op, status: [401, 403].includes(status) ? status : 'allowed' }).toEqual({ ...op, status: 'allowed' });
    }
  });

  it('lets the admin token past authorisation on every route', async () => {
    for (const op of operations) {
      const status = (await send(op, (await import('../support/test-app')).ADMIN_TOKEN)).status;
      expect({ ...op, status: [401, 403].includes(status) || status >= 500 ? status : 'allowed' }).toEqual({ ...op, status: 'allowed' });
    }
  });
});
