import { createTestApp, TestApp } from '../support/test-app';

describe('health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is live', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
  });

  it('is ready when PostgreSQL and Redis answer', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('serves the OpenAPI document', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/speechace/callback', '/api/v1/mappings', '/health/ready']));
  });
});

describe('a ROLE=worker process over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ROLE: 'worker' });
  });
  afterAll(() => t.close());

  it('serves health and metrics only', async () => {
    await t.http.get('/health/ready').expect(200);
    await t.http.get('/metrics').expect(200);
    const refused = await t.http.post('/speechace/callback').send({});
    expect(refused.status).toBe(404);
    expect(refused.body.message).toMatch(/worker process/);
    await t.http.get('/api/v1/connections').expect(404);
  });
});

