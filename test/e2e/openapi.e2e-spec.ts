import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../src/app.setup';
import { createTestApp, TestApp } from '../support/test-app';

const COMMITTED = join(__dirname, '../../docs/openapi.json');

/** docs/openapi.json is what the code generates; `npm run openapi:update` rewrites it after a deliberate change. */
describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('matches the committed docs/openapi.json', () => {
    const generated = JSON.parse(JSON.stringify(openApiDocument(t.app))) as Record<string, unknown>;
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(COMMITTED, `${JSON.stringify(generated, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as Record<string, unknown>;
    expect(generated).toEqual(committed);
  });

  it('is served at /docs-json with every admin route behind bearer auth', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    const paths = res.body.paths as Record<string, Record<string, { security?: unknown[] }>>;
    for (const [path, operations] of Object.entries(paths)) {
      if (!path.startsWith('/api/v1')) continue;
      for (const [method, operation] of Object.entries(operations)) expect({ route: `${method} ${path}`, secured: Array.isArray(operation.security) }).toEqual({ route: `${method} ${path}`, secured: true });
    }
    expect(Object.keys(paths['/speechace/callback'] ?? {})).toEqual(['post']);
    await t.http.get('/docs').expect(200);
  });
});
