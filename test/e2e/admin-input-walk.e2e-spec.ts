import { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocument } from '../../src/app.setup';
import { GradeSyncContext, mappingBody, SITE } from '../support/grade-sync-context';

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};

interface Case {
  route: string;
  field: string;
  variant: string;
  body: Record<string, unknown>;
  /** A required field, or a nested one: it must be refused. Optional top-level fields may treat null as "not given". */
  mustRefuse: boolean;
}

let unique = 0;
const next = () => `${Date.now().toString(36)}${++unique}`;

/**
 * Walks every admin route that takes a JSON body, as the OpenAPI document describes it, and sends
 * each field missing, null and of the wrong type (nested fields too). Nothing may answer 5xx; a
 * refusal is a 400 whose message names the field; an accepted null leaves the resource readable.
 */
describe('every admin body field: missing, null, wrong type', () => {
  let ctx: GradeSyncContext;
  let doc: OpenAPIObject;
  const ids: Record<string, string> = {};

  /** A valid body for each route with a JSON body; a new route must be added here, or the walk fails. */
  const VALID: Record<string, () => Record<string, unknown>> = {
    'POST /api/v1/tokens': () => ({ name: `walk ${next()}`, role: 'viewer', lmsCourseIds: [2] }),
    'POST /api/v1/connections': () => ({ name: `walk ${next()}`, kind: 'moodle', baseUrl: ctx.sim.baseUrl, token: ctx.sim.token, rateLimitPerSecond: 5, maxConcurrency: 2, enabled: true }),
    'PATCH /api/v1/connections/{id}': () => ({ name: `walk ${next()}`, kind: 'moodle', baseUrl: ctx.sim.baseUrl, token: ctx.sim.token, rateLimitPerSecond: 5, maxConcurrency: 2, enabled: true }),
    'POST /api/v1/assessments': () => ({ name: 'walk', speechaceCourseId: `walk-${next()}`, callbackKey: 'walk-key-0123456789' }),
    'PATCH /api/v1/assessments/{id}': () => ({ name: `walk ${next()}` }),
    'POST /api/v1/assessments/{id}/keys': () => ({ callbackKey: `walk-key-${next()}` }),
    'POST /api/v1/mappings': () => ({ ...mappingBody(ids.assessment!, ids.connection!), speechaceQuizId: next(), attemptPolicy: 'latest', enabled: true, requireSignedUrl: false }),
    'PATCH /api/v1/mappings/{id}': () => ({
      speechaceQuizId: 'q1',
      lmsCourseId: SITE.courseId,
      target: { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid },
      userMatch: 'id',
      scoreField: 'overall',
      sourceScale: { min: 0, max: 9 },
      attemptPolicy: 'highest',
      enabled: true,
      requireSignedUrl: false,
    }),
    'POST /api/v1/mappings/{id}/callback-url': () => ({ user: '4' }),
    'POST /api/v1/mappings/{id}/replay': () => ({ from: '2025-01-01T00:00:00Z', to: '2035-01-01T00:00:00Z' }),
    'POST /api/v1/syncs/retry': () => ({ state: ['failed'], mappingId: ids.mapping, assessmentId: ids.assessment, lmsCourseId: 2, user: '4', errorCode: 'x', from: '2025-01-01T00:00:00Z', to: '2035-01-01T00:00:00Z' }),
  };

  const resolve = (schema: Schema): Schema => (schema.$ref ? resolve((doc.components!.schemas as Record<string, Schema>)[schema.$ref.split('/').pop()!]!) : schema);

  /** Wrong-typed values for a schema: what a confused client or a hostile one might send. */
  function wrongValues(schema: Schema): [string, unknown][] {
    const s = resolve(schema);
    if (s.enum) return [['not one of the options', 'no-such-option'], ['a number', 42]];
    if (s.oneOf) return [['a number', 42], ['an object', { a: 1 }]];
    switch (s.type) {
      case 'string':
        return [['a number', 12345], ['an object', { a: 1 }], ['an array', ['a']]];
      case 'integer':
      case 'number':
        return [['a string', 'abc'], ['a boolean', true], ['an object', { a: 1 }]];
      case 'boolean':
        return [['a string', 'yes'], ['a number', 1]];
      case 'array':
        return [['a string', 'x'], ['an array of wrong items', [{ a: 1 }]]];
      default:
        return [['a string', 'x'], ['an array', [1]], ['a number', 7]];
    }
  }

  function cases(route: string, schema: Schema, base: Record<string, unknown>, prefix: string, nested: boolean): Case[] {
    const s = resolve(schema);
    const out: Case[] = [];
    const set = (value: unknown, name: string) => ({ ...base, [name]: value });
    for (const [name, propSchema] of Object.entries(s.properties ?? {})) {
      const field = `${prefix}${name}`;
      const required = (s.required ?? []).includes(name);
      const mustRefuse = required || nested;
      if (required) {
        const { [name]: _dropped, ...without } = base;
        out.push({ route, field, variant: 'missing', body: without, mustRefuse: true });
      }
      out.push({ route, field, variant: 'null', body: set(null, name), mustRefuse });
      for (const [variant, value] of wrongValues(propSchema)) out.push({ route, field, variant, body: set(value, name), mustRefuse: true });
      const inner = resolve(propSchema);
      const value = base[name];
      if (inner.properties && value && typeof value === 'object' && !Array.isArray(value)) {
        for (const c of cases(route, inner, value as Record<string, unknown>, `${field}.`, true)) out.push({ ...c, body: set(c.body, name) });
      }
    }
    return out;
  }

  const pathOf = (route: string) =>
    route
      .split(' ')[1]!
      .replace('/connections/{id}', `/connections/${ids.connection}`)
      .replace('/assessments/{id}', `/assessments/${ids.assessment}`)
      .replace('/mappings/{id}', `/mappings/${ids.mapping}`);

  const bodyRoutes = () =>
    Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops as Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })))
      .filter(({ route, op }) => route.includes('/api/v1/') && op.requestBody?.content['application/json']);

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    doc = openApiDocument(ctx.t.app);
    ids.connection = (await ctx.newConnection()).id;
    ids.assessment = (await ctx.newAssessment({ speechaceCourseId: 'walk-base' })).id;
    ids.mapping = (await ctx.newMapping({ assessmentId: ids.assessment, connectionId: ids.connection })).id;
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('has a valid body for every admin route that takes one', () => {
    const routes = bodyRoutes().map((r) => r.route);
    expect(routes.length).toBeGreaterThanOrEqual(11);
    expect(routes.filter((r) => !VALID[r])).toEqual([]);
  });

  it('accepts each valid body as it is', async () => {
    for (const { route } of bodyRoutes()) {
      const res = await ctx.admin(route.split(' ')[0]!.toLowerCase() as 'post' | 'patch', pathOf(route)).send(VALID[route]!());
      expect({ route, status: res.status }).toEqual({ route, status: expect.any(Number) });
      expect(res.status).toBeLessThan(300);
    }
  });

  it('answers every missing, null or wrong-typed field with a 400 naming it, never a 5xx', async () => {
    const problems: string[] = [];
    let sent = 0;
    for (const { route, op } of bodyRoutes()) {
      const schema = op.requestBody!.content['application/json']!.schema;
      for (const c of cases(route, schema, VALID[route]!(), '', false)) {
        const method = route.split(' ')[0]!.toLowerCase() as 'post' | 'patch';
        const res = await ctx.admin(method, pathOf(route)).send(c.body);
        sent++;
        const what = `${route} with ${c.field} ${c.variant}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (res.status >= 500) problems.push(what);
        else if (res.status === 400) {
          const leaf = c.field.split('.').pop()!;
          if (!JSON.stringify(res.body.message).includes(leaf)) problems.push(`${what} (message does not name ${leaf})`);
        } else if (c.mustRefuse) problems.push(`${what} (expected 400)`);
        else if (res.status < 300 && method === 'patch') {
          const after = await ctx.admin('get', pathOf(route));
          if (after.status !== 200) problems.push(`${what} (then GET answered ${after.status})`);
        }
      }
    }
    expect(sent).toBeGreaterThan(150);
    expect(problems).toEqual([]);
  });

  it.each([
    ['PATCH', '/api/v1/mappings/{id}', { sourceScale: null }, 'sourceScale'],
    ['PATCH', '/api/v1/mappings/{id}', { target: null }, 'target'],
    ['PATCH', '/api/v1/mappings/{id}', { userMatch: null }, 'userMatch'],
    ['PATCH', '/api/v1/connections/{id}', { name: null }, 'name'],
    ['PATCH', '/api/v1/connections/{id}', { token: null }, 'token'],
    ['PATCH', '/api/v1/assessments/{id}', { name: null }, 'name'],
    ['POST', '/api/v1/mappings', { target: undefined }, 'target'],
    ['POST', '/api/v1/mappings', { sourceScale: undefined }, 'sourceScale'],
    ['POST', '/api/v1/mappings', { target: { type: 'assign' } }, 'target.cmid'],
  ])('%s %s with %j → 400 naming %s (the cases that answered 500)', async (method, path, change, field) => {
    const route = `${method} ${path}`;
    const res = await ctx.admin(method.toLowerCase() as 'post' | 'patch', pathOf(route)).send({ ...VALID[route]!(), ...change });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain(field);
  });
});
