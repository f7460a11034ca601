import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { MoodleSimulator } from '../moodle-simulator/moodle-simulator';
import { seedSite } from '../support/grade-sync-context';
import { freePort } from '../support/ports';
import { REPO_ROOT, ServiceProcess } from '../support/service-process';
import { createDatabase } from '../support/test-app';
import { runId, TEST_REDIS_URL } from '../support/test-env';
import { waitFor } from '../support/wait';

const key = () => randomBytes(32).toString('base64');
const ADMIN = `startup-admin-${randomBytes(6).toString('hex')}`;

/** Start-up as an operator meets it: the real process, its exit code and its one line of explanation. */
jest.setTimeout(120_000);

describe('start-up', () => {
  const running: ServiceProcess[] = [];
  let databaseUrl: string;
  let sim: MoodleSimulator;

  const baseEnv = async (overrides: Record<string, string> = {}) => ({
    PORT: String(await freePort()),
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `sgs_t_${runId()}_startup`,
    ADMIN_API_TOKEN: ADMIN,
    SIGNING_KEY: key(),
    STARTUP_WAIT_MS: '1500',
    ...overrides,
  });

  const start = (env: Record<string, string>, how?: 'ts-node' | 'npm-start-prod') => {
    const service = ServiceProcess.start(env, how);
    running.push(service);
    return service;
  };

  const ready = async (service: ServiceProcess, port: string) => {
    const outcome = await waitFor(
      'the service to be ready',
      async () => {
        if (!service.running) return 'exited';
        return (await request(`http://127.0.0.1:${port}`).get('/health/ready')).status === 200 ? 'ready' : undefined;
      },
      60_000,
      200,
    );
    if (outcome === 'exited') throw new Error(`the service exited: ${service.output}`);
  };

  /** Nest closes the app on SIGTERM, then ends the process with the same signal. */
  const cleanStop = (exit: { code: number | null; signal: NodeJS.Signals | null }) => exit.code === 0 || exit.signal === 'SIGTERM';

  /** Waits for an exit that should come on its own, within `ms`. */
  const exitOf = async (service: ServiceProcess, ms = 30_000) => {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms: ${service.output}`)), ms));
    return Promise.race([service.exited, timeout]);
  };

  beforeAll(async () => {
    databaseUrl = await createDatabase();
    sim = await MoodleSimulator.start({ token: 'startup-moodle-token' });
    seedSite(sim);
  });
  afterAll(async () => {
    for (const s of running) await s.stop();
    await sim?.close();
  });

  describe('ENCRYPTION_KEY', () => {
    const oldKey = key();
    const newKey = key();
    let connectionId: string;

    const storedToken = async () => {
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        return (await db.query<{ t: string }>('SELECT token_encrypted AS t FROM connections WHERE id = $1', [connectionId])).rows[0]!.t;
      } finally {
        await db.end();
      }
    };

    it('stores a connection token under the first key, and SIGTERM stops the process cleanly', async () => {
      const env = await baseEnv({ ENCRYPTION_KEY: oldKey });
      const service = start(env);
      await ready(service, env.PORT);
      const created = await request(`http://127.0.0.1:${env.PORT}`)
        .post('/api/v1/connections')
        .set('authorization', `Bearer ${ADMIN}`)
        .send({ name: 'Rotated Moodle', kind: 'moodle', baseUrl: sim.baseUrl, token: 'startup-moodle-token' });
      expect(created.status).toBe(201);
      connectionId = created.body.id as string;
      service.child.kill('SIGTERM');
      expect(cleanStop(await exitOf(service, 20_000))).toBe(true);
      expect(service.output).not.toMatch(/\n\s+at /);
    });

    it('refuses to start with another key, within seconds, naming ENCRYPTION_KEY and the connection', async () => {
      const service = start(await baseEnv({ ENCRYPTION_KEY: newKey }));
      const exit = await exitOf(service);
      expect(exit.code).toBe(78);
      expect(service.output).toMatch(/cannot start: ENCRYPTION_KEY: does not decrypt the stored LMS token of 1 connection\(s\): "Rotated Moodle"/);
      expect(service.output).toContain('ENCRYPTION_KEY_PREVIOUS');
      expect(service.output).not.toContain(newKey);
    });

    it('re-encrypts with the new key when ENCRYPTION_KEY_PREVIOUS holds the old one', async () => {
      const before = await storedToken();
      const env = await baseEnv({ ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey, LOG_LEVEL: 'info' });
      const service = start(env);
      await ready(service, env.PORT);
      expect(service.output).toContain('re-encrypted 1 stored LMS token(s) and quarantined bodies with the new ENCRYPTION_KEY');
      expect(await storedToken()).not.toBe(before);
      await service.stop();
    });

    it('then runs on the new key alone, and the token still works against Moodle', async () => {
      const env = await baseEnv({ ENCRYPTION_KEY: newKey });
      const service = start(env);
      await ready(service, env.PORT);
      const report = await request(`http://127.0.0.1:${env.PORT}`).post(`/api/v1/connections/${connectionId}/test`).set('authorization', `Bearer ${ADMIN}`);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ reachable: true, tokenValid: true });
      await service.stop();
    });

    it('starts with ENCRYPTION_KEY_LOST=1 when the old key is gone, and warns', async () => {
      const env = await baseEnv({ ENCRYPTION_KEY: key(), ENCRYPTION_KEY_LOST: '1' });
      const service = start(env);
      await ready(service, env.PORT);
      expect(service.output).toMatch(/WARNING ENCRYPTION_KEY: does not decrypt .* Starting anyway \(ENCRYPTION_KEY_LOST=1\)/);
      await service.stop();
    });
  });

  describe('one clear line and a non-zero exit', () => {
    it.each([
      ['PostgreSQL cannot be reached', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/sgs_nowhere' }, 69, /cannot start: PostgreSQL at 127\.0\.0\.1:1\/sgs_nowhere \(DATABASE_URL\) does not answer/],
      ['Redis cannot be reached', { REDIS_URL: 'redis://127.0.0.1:1' }, 69, /cannot start: Redis at 127\.0\.0\.1:1 \(REDIS_URL\) does not answer/],
      ['the admin token is the old published placeholder', { ADMIN_API_TOKEN: 'change-me-admin-token' }, 78, /ADMIN_API_TOKEN: is a published placeholder/],
      ['ENCRYPTION_KEY is missing', {}, 78, /ENCRYPTION_KEY: is required but not set/],
    ])('when %s', async (_name, overrides: Record<string, string>, code, message) => {
      const env: Record<string, string> = await baseEnv({ ENCRYPTION_KEY: key(), ...overrides });
      if (_name === 'ENCRYPTION_KEY is missing') delete env.ENCRYPTION_KEY;
      const service = start(env);
      const exit = await exitOf(service);
      expect(exit.code).toBe(code);
      expect(service.output).toMatch(message);
      expect(service.output.trim().split('\n').filter((l) => l.includes('cannot start') || /^\s+[A-Z_]+:/.test(l)).length).toBeGreaterThan(0);
      expect(service.output).not.toMatch(/\n\s+at /); // no stack trace
    });

    it('when the port is taken, before any worker starts', async () => {
      const blocker: Server = createServer();
      const port = await freePort();
      await new Promise<void>((r) => blocker.listen(port, '0.0.0.0', r));
      try {
        const service = start(await baseEnv({ ENCRYPTION_KEY: key(), PORT: String(port) }));
        expect((await exitOf(service)).code).toBe(69);
        expect(service.output).toContain(`cannot start: PORT ${port} is already in use by another process`);
      } finally {
        blocker.close();
      }
    });
  });

  describe('npm run start:prod', () => {
    beforeAll(() => {
      const built = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', timeout: 120_000 });
      if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr.toString()}`);
    });

    it('hands SIGTERM to node, which stops cleanly', async () => {
      const env = await baseEnv({ ENCRYPTION_KEY: key(), DATABASE_URL: await createDatabase() });
      const service = start(env, 'npm-start-prod');
      await ready(service, env.PORT);
      // The compiled server finds the console that `npm run build` put beside it.
      const consolePage = await request(`http://127.0.0.1:${env.PORT}`).get('/console');
      expect([consolePage.status, consolePage.text]).toEqual([200, expect.stringContaining('<div id="app">')]);
      const nodePid = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(service.child.pid)]).toString().trim().split('\n')[0]);
      expect(nodePid).toBeGreaterThan(0);
      service.child.kill('SIGTERM');
      await exitOf(service, 20_000);
      await waitFor('node to exit', async () => (isAlive(nodePid) ? undefined : true), 20_000, 100);
    });
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
