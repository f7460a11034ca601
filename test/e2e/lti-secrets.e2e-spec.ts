import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { CredentialCipher } from '../../src/common/crypto/credential-cipher';
import { loadConfig } from '../../src/config/app-config';
import { LtiPlatformSimulator } from '../lti-platform-simulator/lti-platform-simulator';
import { createDatabase } from '../support/test-app';
import { runId, TEST_REDIS_URL } from '../support/test-env';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

/** The real process at trace level with an LTI platform: no private key, access token or assertion may show up. */
describe('LTI secrets stay secret', () => {
  const adminToken = `admin-secret-${randomBytes(8).toString('hex')}`;
  const encryptionKey = randomBytes(32).toString('base64');
  const signingKey = randomBytes(32).toString('base64');
  const callbackKey = `lti-callback-key-${randomBytes(6).toString('hex')}`;
  let platform: LtiPlatformSimulator;
  let child: ChildProcess;
  let output = '';
  let base: string;
  let databaseUrl: string;

  beforeAll(async () => {
    platform = await LtiPlatformSimulator.start();
    platform.state.enrol(2, 3, 4);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../../src/main.ts')], {
      env: {
        ...process.env,
        ENV_FILE: '',
        PORT: String(port),
        DATABASE_URL: (databaseUrl = await createDatabase()),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `sgs_t_${runId()}_lti_secrets`,
        ADMIN_API_TOKEN: adminToken,
        ENCRYPTION_KEY: encryptionKey,
        SIGNING_KEY: signingKey,
        PUBLIC_BASE_URL: base,
        LOG_LEVEL: 'trace',
        SYNC_BATCH_WINDOW_MS: '0',
        SYNC_BACKOFF_BASE_MS: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor('the service to be ready', async () => ((await request(base).get('/health/ready')).status === 200 ? true : undefined), 60_000, 200);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await platform?.close();
  });

  it('keeps private keys, access tokens and client assertions out of logs, answers and (unsealed) the database', async () => {
    const auth = { authorization: `Bearer ${adminToken}` };
    const answers: string[] = [];
    const keep = (res: request.Response) => {
      answers.push(res.text);
      return res;
    };
    keep(await request(base).post('/api/v1/lti/keys/rotate').set(auth));
    platform.useKeysetUrl(keep(await request(base).get('/api/v1/lti/tool').set(auth)).body.jwksUrl as string);
    keep(await request(base).get('/.well-known/jwks.json'));
    const item = platform.state.addLineItem(2, 'Speaking (LTI)', 100);
    const conn = keep(await request(base).post('/api/v1/connections').set(auth).send({ name: 'lti', kind: 'lti-ags', issuer: platform.issuer, clientId: platform.clientId, deploymentId: platform.deploymentId, tokenUrl: platform.tokenUrl }));
    const asmt = keep(await request(base).post('/api/v1/assessments').set(auth).send({ name: 'a', speechaceCourseId: 'lti-secret', callbackKey }));
    keep(await request(base).post('/api/v1/mappings').set(auth).send({
      assessmentId: asmt.body.id, connectionId: conn.body.id, lmsCourseId: 2, target: { type: 'lineitem', lineItemUrl: platform.lineItemUrl(item) },
      userMatch: 'id', scoreField: 'overall', sourceScale: { min: 0, max: 9 },
    }));
    keep(await request(base).post(`/api/v1/connections/${conn.body.id as string}/test`).set(auth));
    keep(await request(base).get(`/api/v1/connections/${conn.body.id as string}/lineitems?courseId=2`).set(auth));
    const earlierTokens = [...platform.state.tokens.keys()];
    platform.revokeTokens(); // the next push gets a 401 and asks for a fresh token: both tokens pass through the service
    platform.failNext('results', 1, { status: 503 });
    const posted = keep(await request(base).post('/speechace/callback').send({ key: callbackKey, courseId: 'lti-secret', quizId: 1, userId: '4', score: { overall: 6.3 }, reportUrl: 'https://speak.speechace.co/r/lti' }));
    await waitFor('the sync to finish', async () => {
      const res = await request(base).get(`/api/v1/syncs/${posted.body.syncs[0].id as string}`).set(auth);
      return res.body.state === 'synced' ? keep(res) : undefined;
    });
    keep(await request(base).get('/api/v1/audit').set(auth));

    const cipher = new CredentialCipher(loadConfig({ ADMIN_API_TOKEN: adminToken, ENCRYPTION_KEY: encryptionKey, SIGNING_KEY: signingKey }));
    const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', databaseUrl], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
    const sealed = [...dump.matchAll(/\bv1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g)].map((m) => m[0]);
    const privateKeys = sealed.map((s) => cipher.decrypt(s)).filter((p) => p.startsWith('-----BEGIN PRIVATE KEY-----'));
    expect(privateKeys).toHaveLength(2);
    const bodies = privateKeys.map((pem) => pem.split('\n').slice(1, -2).join('')); // the base64 of each key, whatever its line breaks
    const accessTokens = [...earlierTokens, ...platform.state.tokens.keys()];
    const assertions = platform.requests.filter((r) => r.target === 'token').map((r) => new URLSearchParams(r.body).get('client_assertion')!);
    expect(accessTokens.length + assertions.length).toBeGreaterThanOrEqual(4);
    for (const secret of [...bodies.flatMap((b) => [b, b.slice(0, 64)]), ...accessTokens, ...assertions]) {
      expect({ secret: secret.slice(0, 24), inLogs: output.includes(secret) }).toEqual({ secret: secret.slice(0, 24), inLogs: false });
      expect({ secret: secret.slice(0, 24), inAnswers: answers.some((a) => a.includes(secret)) }).toEqual({ secret: secret.slice(0, 24), inAnswers: false });
      expect({ secret: secret.slice(0, 24), inDatabase: dump.includes(secret) }).toEqual({ secret: secret.slice(0, 24), inDatabase: false });
    }
    expect(output).not.toMatch(/PRIVATE KEY/);
  });
});
