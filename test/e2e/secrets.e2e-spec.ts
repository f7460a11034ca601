import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { MoodleSimulator } from '../moodle-simulator/moodle-simulator';
import { seedSite, SITE } from '../support/grade-sync-context';
import { createDatabase } from '../support/test-app';
import { runId, TEST_REDIS_URL } from '../support/test-env';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

/** The real process, logging at trace level: no secret may show up in its output or its answers. */
describe('secrets stay secret', () => {
  const moodleToken = `moodle-secret-${randomBytes(8).toString('hex')}`;
  const callbackKey = `speechace-key-${randomBytes(8).toString('hex')}`;
  const adminToken = `admin-secret-${randomBytes(8).toString('hex')}`;
  const encryptionKey = randomBytes(32).toString('base64');
  const signingKey = randomBytes(32).toString('base64');
  let sim: MoodleSimulator;
  let child: ChildProcess;
  let output = '';
  let base: string;
  let databaseUrl: string;

  beforeAll(async () => {
    sim = await MoodleSimulator.start({ token: moodleToken });
    seedSite(sim);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../../src/main.ts')], {
      env: {
        ...process.env,
        // A developer's .env beside the checkout (npm run setup) must not leak in, e.g. its LMS_ALLOWED_HOSTS.
        ENV_FILE: '',
        PORT: String(port),
        DATABASE_URL: (databaseUrl = await createDatabase()),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: `sgs_t_${runId()}_secrets`,
        ADMIN_API_TOKEN: adminToken,
        ENCRYPTION_KEY: encryptionKey,
        SIGNING_KEY: signingKey,
        LOG_LEVEL: 'trace',
        SYNC_BATCH_WINDOW_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor('the service to be ready', async () => ((await request(base).get('/health/ready')).status === 200 ? true : undefined), 60_000, 200);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await sim?.close();
  });

  const secretsOfTheRun: string[] = [];

  it('never logs, stores or answers with the Moodle token, the callback key, the admin token or the encryption key', async () => {
    const auth = { authorization: `Bearer ${adminToken}` };
    const answers: string[] = [];
    const keep = (res: request.Response) => {
      answers.push(res.text);
      return res;
    };
    const conn = keep(await request(base).post('/api/v1/connections').set(auth).send({ name: 'm', kind: 'moodle', baseUrl: sim.baseUrl, token: moodleToken }));
    const asmt = keep(await request(base).post('/api/v1/assessments').set(auth).send({ name: 'a', speechaceCourseId: 'secret-1', callbackKey }));
    keep(await request(base).post('/api/v1/mappings').set(auth).send({
      assessmentId: asmt.body.id, connectionId: conn.body.id, lmsCourseId: SITE.courseId,
      target: { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid },
      userMatch: 'id', scoreField: 'overall', sourceScale: { min: 0, max: 9 },
    }));
    const body = { key: callbackKey, courseId: 'secret-1', quizId: 1, userId: '4', score: { overall: 6 }, reportUrl: 'https://speak.speechace.co/r/1' };
    const posted = keep(await request(base).post('/speechace/callback').send(body));
    keep(await request(base).post('/speechace/callback').send({ ...body, key: `${callbackKey}x` }));
    keep(await request(base).post('/speechace/callback?key=' + callbackKey).send('garbage'));
    sim.failNext(1, { kind: 'error', errorcode: 'invalidtoken', exception: 'moodle_exception', message: `Invalid token ${moodleToken}` });
    keep(await request(base).post(`/api/v1/connections/${conn.body.id as string}/test`).set(auth));
    await waitFor('the sync to finish', async () => {
      const res = await request(base).get(`/api/v1/syncs/${posted.body.syncs[0].id as string}`).set(auth);
      return ['synced', 'failed'].includes(res.body.state) ? keep(res) : undefined;
    });
    keep(await request(base).get(`/api/v1/submissions/${posted.body.submissionId as string}`).set(auth));
    keep(await request(base).get('/api/v1/audit').set(auth));
    keep(await request(base).get('/metrics'));

    // More of a realistic run: a viewer API token in use, callbacks as a form, with the key in the
    // query, with an escaped member name, a malformed one, and a sync that is retried.
    const viewer = (await request(base).post('/api/v1/tokens').set(auth).send({ name: 'v', role: 'viewer' })).body.token as string;
    secretsOfTheRun.push(viewer);
    keep(await request(base).get('/api/v1/syncs').set({ authorization: `Bearer ${viewer}` }));
    const form = `key=${callbackKey}&courseId=secret-1&quizId=1&userId=5&score%5Boverall%5D=5&reportUrl=https%3A%2F%2Fspeak.speechace.co%2Fr%2F2`;
    keep(await request(base).post(`/speechace/callback?key=${callbackKey}`).type('form').send(form));
    sim.failNext(2, { kind: 'http', status: 503 });
    const escaped = `{"k\\u0065y":"${callbackKey}","courseId":"secret-1","quizId":1,"userId":"4","score":{"overall":7},"reportUrl":"https://speak.speechace.co/r/3"}`;
    const retried = keep(await request(base).post('/speechace/callback').set('content-type', 'application/json').send(escaped));
    expect(retried.status).toBe(202);
    keep(await request(base).post('/speechace/callback').set('content-type', 'application/json').send(`{key: "${callbackKey}", courseId: "secret-1"}`));
    // V8's parse errors quote the start of the text: neither answer may carry it.
    keep(await request(base).post('/speechace/callback').set('content-type', 'application/json').send(`${callbackKey} is the key`));
    keep(await request(base).post('/api/v1/connections').set(auth).set('content-type', 'application/json').send(`${moodleToken} {"token": 1}`));
    await waitFor('the retried sync to finish', async () => {
      const res = await request(base).get(`/api/v1/syncs/${retried.body.syncs[0].id as string}`).set(auth);
      return ['synced', 'failed'].includes(res.body.state) && res.body.attempts.length > 1 ? keep(res) : undefined;
    });
    for (const sub of (await request(base).get('/api/v1/submissions').set(auth)).body.items as { id: string }[]) {
      keep(await request(base).get(`/api/v1/submissions/${sub.id}`).set(auth));
    }

    expect(output.length).toBeGreaterThan(1000);
    // The callback route logs its own "request completed" line (it is served ahead of the request logger), key redacted.
    const callbackLines = output.split('\n').filter((line) => line.includes('"request completed"') && line.includes('/speechace/callback'));
    expect(callbackLines.length).toBeGreaterThanOrEqual(3);
    expect(callbackLines.some((line) => line.includes(`"id":"${posted.headers['x-request-id'] as string}"`) && line.includes('"statusCode":202'))).toBe(true);
    expect(callbackLines.some((line) => line.includes('key=[redacted]'))).toBe(true);
    const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', databaseUrl], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
    expect(dump).toContain('speak.speechace.co/r/3'); // the dump holds the run's rows
    for (const secret of [moodleToken, callbackKey, adminToken, encryptionKey, signingKey, ...secretsOfTheRun]) {
      expect({ secret, inLogs: output.includes(secret) }).toEqual({ secret, inLogs: false });
      expect({ secret, inAnswers: answers.some((a) => a.includes(secret)) }).toEqual({ secret, inAnswers: false });
      expect({ secret, inDatabase: dump.includes(secret) }).toEqual({ secret, inDatabase: false });
    }
  });
});
