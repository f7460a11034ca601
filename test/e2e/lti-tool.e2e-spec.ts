import { randomBytes } from 'node:crypto';
import { importSPKI } from 'jose';
import { CredentialCipher } from '../../src/common/crypto/credential-cipher';
import { loadConfig } from '../../src/config/app-config';
import { checkStoredCredentials, unreadableToolKeysMessage } from '../../src/startup/stored-credentials.check';
import { ADMIN_TOKEN, createTestApp, TestApp } from '../support/test-app';

/** The tool's keys as an LTI platform and an admin see them, and lti-ags connections' validation. */
describe('LTI tool keys and lti-ags connections', () => {
  let t: TestApp;
  const admin = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => t.http[method](path).set('authorization', `Bearer ${ADMIN_TOKEN}`);
  const lti = { name: 'Moodle via LTI', kind: 'lti-ags', issuer: 'http://moodle.test', clientId: 'kP2Xw0FmYb9d1Qe', deploymentId: '1', tokenUrl: 'http://moodle.test/mod/lti/token.php' };

  beforeAll(async () => {
    t = await createTestApp({ LMS_ALLOWED_HOSTS: 'moodle.test,127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('publishes the JWKS without a token, and the tool view to admins only', async () => {
    const jwks = await t.http.get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' });
    expect(Object.keys(jwks.body.keys[0])).not.toContain('d');

    expect((await t.http.get('/api/v1/lti/tool')).status).toBe(401);
    const tool = await admin('get', '/api/v1/lti/tool');
    expect(tool.status).toBe(200);
    expect(tool.body).toMatchObject({ jwksUrl: 'http://sync.test/.well-known/jwks.json', kid: jwks.body.keys[0].kid, keys: [{ kid: jwks.body.keys[0].kid, current: true }] });
    expect(tool.body.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
    await importSPKI(tool.body.publicKeyPem as string, 'RS256');
  });

  it('rotates: the new key is current, the old one stays published until deleted; the current one cannot be deleted', async () => {
    const before = (await admin('get', '/api/v1/lti/tool')).body;
    const rotated = await admin('post', '/api/v1/lti/keys/rotate');
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid).not.toBe(before.kid);
    expect(rotated.body.publicKeyPem).not.toBe(before.publicKeyPem);
    expect(rotated.body.keys.map((k: { kid: string; current: boolean }) => [k.kid, k.current])).toEqual([[rotated.body.kid, true], [before.kid, false]]);
    const kids = (await t.http.get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual([rotated.body.kid, before.kid]);

    const current = await admin('delete', `/api/v1/lti/keys/${encodeURIComponent(rotated.body.kid as string)}`);
    expect(current.status).toBe(409);
    expect(current.body.message).toContain('current key');
    expect((await admin('delete', '/api/v1/lti/keys/no-such-kid')).status).toBe(404);

    expect((await admin('delete', `/api/v1/lti/keys/${encodeURIComponent(before.kid as string)}`)).status).toBe(204);
    expect((await t.http.get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.body.kid]);
  });

  it('keeps the private keys out of every answer, and sealed in the database', async () => {
    const rows = (await t.db.query('SELECT private_key_encrypted FROM lti_tool_keys')) as { private_key_encrypted: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.private_key_encrypted).toMatch(/^v1\./);
    const answers = [await t.http.get('/.well-known/jwks.json'), await admin('get', '/api/v1/lti/tool'), await admin('get', '/api/v1/audit')].map((r) => r.text);
    for (const text of answers) expect(text).not.toMatch(/PRIVATE KEY|"d":/);
  });

  it('creates an lti-ags connection (audience defaults to the token URL) and keeps moodle connections as they were', async () => {
    const created = await admin('post', '/api/v1/connections').send(lti);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'lti-ags', baseUrl: lti.issuer, hasToken: false, issuer: lti.issuer, clientId: lti.clientId, deploymentId: '1', tokenUrl: lti.tokenUrl, audience: lti.tokenUrl });

    const moodle = await admin('post', '/api/v1/connections').send({ name: 'm', baseUrl: 'http://moodle.test', token: 'x'.repeat(32) });
    expect(moodle.status).toBe(201);
    expect(moodle.body).toMatchObject({ kind: 'moodle', hasToken: true });
    expect(moodle.body).not.toHaveProperty('clientId');

    const patched = await admin('patch', `/api/v1/connections/${created.body.id as string}`).send({ audience: 'https://moodle.test/aud', clientId: 'other' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ audience: 'https://moodle.test/aud', clientId: 'other' });
  });

  it.each([
    [{ ...lti, issuer: undefined }, 'issuer'],
    [{ ...lti, clientId: '' }, 'clientId'],
    [{ ...lti, deploymentId: 5 }, 'deploymentId'],
    [{ ...lti, tokenUrl: undefined }, 'tokenUrl'],
    [{ ...lti, tokenUrl: 'ftp://moodle.test/token' }, 'tokenUrl'],
    [{ ...lti, tokenUrl: 'https://u:p@moodle.test/token' }, 'tokenUrl'],
    [{ ...lti, tokenUrl: 'https://elsewhere.example.com/token' }, 'LMS_ALLOWED_HOSTS'],
    [{ ...lti, token: 'abc' }, 'token'],
    [{ ...lti, baseUrl: 'http://moodle.test' }, 'baseUrl'],
    [{ ...lti, kind: 'lti' }, 'kind'],
    [{ name: 'm', kind: 'moodle', baseUrl: 'http://moodle.test', token: 'abc', clientId: 'x' }, 'clientId'],
    [{ name: 'm', kind: 'moodle', token: 'abc' }, 'baseUrl'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const res = await admin('post', '/api/v1/connections').send(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain(field);
  });

  it('refuses to change a connection kind', async () => {
    const created = await admin('post', '/api/v1/connections').send(lti);
    const res = await admin('patch', `/api/v1/connections/${created.body.id as string}`).send({ kind: 'moodle' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('kind');
  });
});

/** ENCRYPTION_KEY rotation at start-up covers the tool keys' private halves (main.ts runs this check before the app). */
describe('LTI tool keys under an ENCRYPTION_KEY rotation', () => {
  it('re-encrypts them with the new key when ENCRYPTION_KEY_PREVIOUS holds the old one, and reports them when no key opens them', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const app = await createTestApp({ ENCRYPTION_KEY: oldKey });
    const databaseUrl = app.config.DATABASE_URL;
    const kid = (await app.http.get('/.well-known/jwks.json')).body.keys[0].kid as string;
    const sealed = async () => ((await app.db.query('SELECT private_key_encrypted AS s FROM lti_tool_keys')) as { s: string }[])[0]!.s;
    const before = await sealed();
    const cipher = (env: Record<string, string>) => new CredentialCipher(loadConfig({ ADMIN_API_TOKEN: ADMIN_TOKEN, SIGNING_KEY: randomBytes(32).toString('base64'), ...env }));
    const newKey = randomBytes(32).toString('base64');

    expect(await checkStoredCredentials(databaseUrl, cipher({ ENCRYPTION_KEY: newKey }))).toMatchObject({ unreadableToolKeys: [kid], resealedToolKeys: 0 });
    expect(unreadableToolKeysMessage([kid])).toContain('ENCRYPTION_KEY_PREVIOUS');

    expect(await checkStoredCredentials(databaseUrl, cipher({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey }))).toMatchObject({ unreadableToolKeys: [], resealedToolKeys: 1 });
    const after = await sealed();
    expect(after).not.toBe(before);
    expect(cipher({ ENCRYPTION_KEY: newKey }).decrypt(after)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await checkStoredCredentials(databaseUrl, cipher({ ENCRYPTION_KEY: newKey }))).toMatchObject({ unreadableToolKeys: [], resealedToolKeys: 0 });
    await app.close();
  });
});
