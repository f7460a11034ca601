import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { CredentialCipher } from '../../src/common/crypto/credential-cipher';
import { SCOPES } from '../lti-platform-simulator/lti-platform-simulator';
import { LtiSyncContext, LTI_SITE } from '../support/lti-sync-context';

/** Admin work on lti-ags connections: mappings, the connection test, line item lists, key rotation. */
describe('lti-ags administration', () => {
  let ctx: LtiSyncContext;

  beforeAll(async () => {
    ctx = await LtiSyncContext.start();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  describe('mappings', () => {
    it('keeps the line item URL (query string included) and refuses what does not fit the connection kind', async () => {
      const created = await ctx.newMapping({ speechaceQuizId: 'q-keep' });
      expect(created.target).toEqual({ type: 'lineitem', lineItemUrl: ctx.platform.lineItemUrl(ctx.item) });

      const moodle = await ctx.admin('post', '/api/v1/connections').send({ name: 'm', kind: 'moodle', baseUrl: 'http://127.0.0.1:9', token: 'x'.repeat(32) });
      const cases: [Record<string, unknown>, string][] = [
        [{ connectionId: moodle.body.id }, 'target.type'],
        [{ target: { type: 'assign', assignmentId: 1, cmid: 2 } }, 'target.type'],
        [{ userMatch: 'email' }, 'userMatch'],
        [{ target: { type: 'lineitem' } }, 'target.lineItemUrl'],
        [{ target: { type: 'lineitem', lineItemUrl: 42 } }, 'target.lineItemUrl'],
        [{ target: { type: 'lineitem', lineItemUrl: 'ftp://x/y' } }, 'target.lineItemUrl'],
        [{ target: { type: 'lineitem', lineItemUrl: `${ctx.platform.baseUrl}/mod/lti/services.php/2/lineitems/999/lineitem?type_id=1` } }, 'target.lineItemUrl'],
      ];
      for (const [change, field] of cases) {
        const res = await ctx.admin('post', '/api/v1/mappings').send(ctx.mappingBody(change));
        expect({ change, status: res.status }).toEqual({ change, status: 400 });
        // The message begins with the field it names, once (a console shows it beside that field).
        const messages = [res.body.message as string | string[]].flat();
        expect({ change, messages }).toEqual({ change, messages: expect.arrayContaining([expect.stringMatching(new RegExp(`^${field.replace('.', '\\.')}[ :]`))]) });
      }
      const patched = await ctx.admin('patch', `/api/v1/mappings/${created.id}`).send({ userMatch: 'username' });
      expect(patched.status).toBe(400);
    });

    it('creates the mapping with a warning when the platform cannot be asked', async () => {
      ctx.platform.failNext('lineitem', 1, { status: 503 });
      const res = await ctx.admin('post', '/api/v1/mappings').send(ctx.mappingBody({ speechaceQuizId: 'q-warn' }));
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([expect.stringContaining('could not check the line item')]);
    });
  });

  describe('connection test', () => {
    it('reports the granted scopes and each mapped line item', async () => {
      const report = await ctx.admin('post', `/api/v1/connections/${ctx.connectionId}/test`);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ ok: true, reachable: true, tokenValid: true, scopes: { missing: [], granted: expect.arrayContaining([SCOPES.score]) } });
      expect(report.body.mappings[0]).toMatchObject({ itemFound: true, grademin: 0, grademax: 100, label: 'Speechace speaking test (LTI)', problems: [] });
    });

    it('names a scope the platform does not grant', async () => {
      const platform = ctx.platform;
      const before = platform.allowedScopes;
      platform.allowedScopes = [SCOPES.lineItemRead, SCOPES.resultRead];
      const other = await ctx.newConnection({ name: 'scope-less' });
      const report = await ctx.admin('post', `/api/v1/connections/${other.id}/test`);
      platform.allowedScopes = before;
      expect(report.body).toMatchObject({ ok: false, tokenValid: true, scopes: { missing: [SCOPES.score] } });
      expect(report.body.problems).toEqual([expect.objectContaining({ code: 'scope_missing', message: expect.stringContaining(SCOPES.score) })]);
    });

    it('says the platform refused the assertion when the client id is wrong', async () => {
      const wrong = await ctx.newConnection({ name: 'wrong client', clientId: 'nobody' });
      const report = await ctx.admin('post', `/api/v1/connections/${wrong.id}/test`);
      expect(report.body).toMatchObject({ ok: false, reachable: true, tokenValid: false, problems: [expect.objectContaining({ code: 'lti_token_refused', message: expect.stringContaining('invalid_client') })] });
    });
  });

  describe('line items', () => {
    it("lists a Moodle course's line items by course id, and any container by URL (following Moodle's malformed Link header)", async () => {
      const second = ctx.platform.state.addLineItem(LTI_SITE.courseId, 'Second speaking test', 9);
      const byCourse = await ctx.admin('get', `/api/v1/connections/${ctx.connectionId}/lineitems?courseId=${LTI_SITE.courseId}`);
      expect(byCourse.status).toBe(200);
      expect(byCourse.body).toEqual([
        expect.objectContaining({ lineItemUrl: ctx.platform.lineItemUrl(ctx.item), label: 'Speechace speaking test (LTI)', scoreMaximum: 100 }),
        expect.objectContaining({ lineItemUrl: ctx.platform.lineItemUrl(second), label: 'Second speaking test', scoreMaximum: 9 }),
      ]);
      const paged = await ctx.admin('get', `/api/v1/connections/${ctx.connectionId}/lineitems`).query({ containerUrl: `${ctx.platform.containerUrl(LTI_SITE.courseId)}&limit=1` });
      expect(paged.status).toBe(200);
      expect(paged.body.map((i: { label: string }) => i.label)).toEqual(['Speechace speaking test (LTI)', 'Second speaking test']);
      expect(ctx.platform.count('lineitems')).toBe(3);
    });

    it('answers 400 for a missing or doubled course, or a moodle connection', async () => {
      expect((await ctx.admin('get', `/api/v1/connections/${ctx.connectionId}/lineitems`)).status).toBe(400);
      expect((await ctx.admin('get', `/api/v1/connections/${ctx.connectionId}/lineitems?courseId=x`)).body.message).toEqual(expect.arrayContaining([expect.stringContaining('courseId')]));
      const both = await ctx.admin('get', `/api/v1/connections/${ctx.connectionId}/lineitems`).query({ courseId: 2, containerUrl: ctx.platform.containerUrl(2) });
      expect([both.status, both.body.message]).toEqual([400, expect.stringContaining('exactly one')]);
      const moodle = await ctx.admin('post', '/api/v1/connections').send({ name: 'm', baseUrl: 'http://127.0.0.1:9', token: 'x'.repeat(32) });
      const refused = await ctx.admin('get', `/api/v1/connections/${moodle.body.id as string}/lineitems?courseId=2`);
      expect([refused.status, refused.body.message]).toEqual([400, expect.stringContaining('moodle connection')]);
    });
  });

  describe('key rotation, with the platform reading our JWKS', () => {
    let jwksUrl: string;

    beforeAll(async () => {
      const server = ctx.t.app.getHttpServer() as Server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
      ctx.platform.useKeysetUrl(jwksUrl);
    });

    /** An assertion signed with a stored key, as the service would sign it (to show what the platform accepts). */
    async function assertionSignedWith(kid: string): Promise<string> {
      const [row] = (await ctx.t.db.query('SELECT private_key_encrypted FROM lti_tool_keys WHERE kid = $1', [kid])) as { private_key_encrypted: string }[];
      const key = await importPKCS8(new CredentialCipher(ctx.t.config).decrypt(row!.private_key_encrypted), 'RS256');
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(ctx.platform.clientId).setSubject(ctx.platform.clientId).setAudience(ctx.platform.tokenUrl).setIssuedAt(now).setExpirationTime(now + 60).setJti(randomUUID()).sign(key);
    }

    async function askToken(assertion: string) {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: SCOPES.score });
      const res = await fetch(ctx.platform.tokenUrl, { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('signs with the new key after a rotation; the old key verifies until it is deleted', async () => {
      const oldKid = (await ctx.admin('get', '/api/v1/lti/tool')).body.kid as string;
      const newKid = (await ctx.admin('post', '/api/v1/lti/keys/rotate')).body.kid as string;
      expect(await ctx.deliver(ctx.callbackBody({ userId: '3', score: { overall: 6.3 } }))).toMatchObject({ state: 'synced', grade: 70 });
      expect(ctx.platform.assertions.at(-1)!.header.kid).toBe(newKid);

      expect((await askToken(await assertionSignedWith(oldKid))).status).toBe(200);
      const oldAssertion = await assertionSignedWith(oldKid);
      expect((await ctx.admin('delete', `/api/v1/lti/keys/${oldKid}`)).status).toBe(204);
      expect(await askToken(oldAssertion)).toEqual({ status: 400, body: { error: 'Signature verification failed' } });
      expect((await askToken(await assertionSignedWith(newKid))).status).toBe(200);
    });
  });
});

describe('lti-ags outbound limits', () => {
  let ctx: LtiSyncContext;

  beforeAll(async () => {
    ctx = await LtiSyncContext.start({ LMS_MAX_ANSWER_BYTES: '65536', LMS_ALLOWED_HOSTS: '127.0.0.1' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('reads no more of an answer than LMS_MAX_ANSWER_BYTES', async () => {
    ctx.platform.failNext('lineitem', 1, { kind: 'huge', bytes: 200_000 });
    const res = await ctx.admin('post', '/api/v1/mappings').send(ctx.mappingBody({ speechaceQuizId: 'huge' }));
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('LMS_MAX_ANSWER_BYTES');
  });

  it('calls no line item URL outside LMS_ALLOWED_HOSTS, at creation or for a row changed by hand', async () => {
    const elsewhere = ctx.platform.lineItemUrl(ctx.item).replace('127.0.0.1', 'localhost');
    const res = await ctx.admin('post', '/api/v1/mappings').send(ctx.mappingBody({ target: { type: 'lineitem', lineItemUrl: elsewhere } }));
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('LMS_ALLOWED_HOSTS');

    await ctx.t.db.query(`UPDATE mappings SET target = jsonb_build_object('type', 'lineitem', 'lineItemUrl', $1::text) WHERE id = $2`, [elsewhere, ctx.mappingId]);
    const before = ctx.platform.requests.length;
    const sync = await ctx.deliver(ctx.callbackBody({ userId: '3' }));
    expect(sync).toMatchObject({ state: 'failed', reason: expect.stringContaining('LMS_ALLOWED_HOSTS') });
    expect(ctx.platform.requests.slice(before).filter((r) => r.target !== 'token')).toEqual([]);
  });
});

describe('lti-ags access tokens near their expiry', () => {
  let ctx: LtiSyncContext;

  beforeAll(async () => {
    ctx = await LtiSyncContext.start({}, { tokenLifetimeS: 2 });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('asks for a new token shortly before expires_in, not after a refusal', async () => {
    expect(await ctx.deliver(ctx.callbackBody({ userId: '3' }))).toMatchObject({ state: 'synced' });
    const tokens = ctx.platform.count('token');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await ctx.deliver(ctx.callbackBody({ userId: '4' }))).toMatchObject({ state: 'synced' });
    expect(ctx.platform.count('token')).toBe(tokens + 1);
    expect(ctx.platform.requests.filter((r) => r.status === 401)).toEqual([]);
  });
});
