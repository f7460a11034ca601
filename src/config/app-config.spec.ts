import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { AppConfig, ConfigError, loadConfig } from './app-config';

const VALID = {
  ADMIN_API_TOKEN: 'admin-token-0123456789',
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  SIGNING_KEY: randomBytes(32).toString('base64'),
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** The settings a ConfigError names, one per line "  NAME: …". */
function namedSettings(error: ConfigError): string[] {
  return [...new Set([...error.message.matchAll(/^\s+([A-Z_]+):/gm)].map((m) => m[1]!))];
}

describe('loadConfig', () => {
  it('fills every other setting with its default', () => {
    const config = loadConfig(VALID);
    expect(config).toBeInstanceOf(AppConfig);
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/speechace_grade_sync',
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'sgs',
      ROLE: 'all',
      SYNC_MAX_ATTEMPTS: 8,
      SYNC_BACKOFF_BASE_MS: 5000,
      SYNC_BACKOFF_MAX_MS: 900_000,
      SYNC_CONCURRENCY: 4,
      SYNC_LEASE_MS: 30_000,
      LMS_TIMEOUT_MS: 15_000,
      LMS_CACHE_TTL_MS: 300_000,
      OUTBOX_INTERVAL_MS: 5000,
      CALLBACK_BODY_LIMIT: '64kb',
      LOG_LEVEL: 'info',
    });
    expect(config.PUBLIC_BASE_URL).toBeUndefined();
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.runsApi).toBe(true);
    expect(config.runsWorker).toBe(true);
  });

  it('decodes the encryption key to 32 bytes', () => {
    const config = loadConfig(VALID);
    expect(config.encryptionKey).toEqual(Buffer.from(VALID.ENCRYPTION_KEY, 'base64'));
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('reads integer settings from strings', () => {
    const config = loadConfig({ ...VALID, PORT: '8080', SYNC_MAX_ATTEMPTS: ' 3 ', LMS_TIMEOUT_MS: '2500', LMS_CACHE_TTL_MS: '0' });
    expect(config.PORT).toBe(8080);
    expect(config.SYNC_MAX_ATTEMPTS).toBe(3);
    expect(config.LMS_TIMEOUT_MS).toBe(2500);
    expect(config.LMS_CACHE_TTL_MS).toBe(0);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ ...VALID, PORT: '', ROLE: '', PUBLIC_BASE_URL: '' });
    expect(config).toMatchObject({ PORT: 3000, ROLE: 'all' });
    expect(config.PUBLIC_BASE_URL).toBeUndefined();
  });

  it('ignores unrelated environment variables', () => {
    const config = loadConfig({ ...VALID, PATH: '/usr/bin', HOME: '/root' }) as unknown as Record<string, unknown>;
    expect(config.PATH).toBeUndefined();
    expect(config.HOME).toBeUndefined();
  });

  it('strips trailing slashes from PUBLIC_BASE_URL', () => {
    expect(loadConfig({ ...VALID, PUBLIC_BASE_URL: 'https://grades.example.edu/sync//' }).publicBaseUrl).toBe('https://grades.example.edu/sync');
  });

  it.each([
    ['api', true, false],
    ['worker', false, true],
    ['all', true, true],
  ])('ROLE=%s runs the API: %p, the worker: %p', (role, api, worker) => {
    const config = loadConfig({ ...VALID, ROLE: role });
    expect(config.runsApi).toBe(api);
    expect(config.runsWorker).toBe(worker);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['QUEUE_PREFIX', 'has space'],
    ['ADMIN_API_TOKEN', 'short'],
    ['ENCRYPTION_KEY', 'not base64 !!'],
    ['ROLE', 'scheduler'],
    ['SYNC_MAX_ATTEMPTS', '0'],
    ['SYNC_MAX_ATTEMPTS', '101'],
    ['SYNC_MAX_ATTEMPTS', '2.5'],
    ['SYNC_BACKOFF_BASE_MS', '0'],
    ['SYNC_BACKOFF_MAX_MS', '0'],
    ['SYNC_CONCURRENCY', '65'],
    ['SYNC_LEASE_MS', '999'],
    ['LMS_TIMEOUT_MS', '99'],
    ['LMS_TIMEOUT_MS', '1e4'],
    ['LMS_CACHE_TTL_MS', '-1'],
    ['OUTBOX_INTERVAL_MS', '50'],
    ['CALLBACK_BODY_LIMIT', '64'],
    ['CALLBACK_BODY_LIMIT', '1gb'],
    ['PUBLIC_BASE_URL', 'ftp://grades.example.edu'],
    ['PUBLIC_BASE_URL', 'grades.example.edu'],
    ['LOG_LEVEL', 'verbose'],
    ['SIGNING_KEY', randomBytes(16).toString('base64')],
    ['ENCRYPTION_KEY_PREVIOUS', randomBytes(31).toString('base64')],
    ['SIGNING_KEY_PREVIOUS', 'a b'],
    ['ALLOW_INSECURE_DEFAULTS', 'yes'],
    ['ENCRYPTION_KEY_LOST', 'true'],
    ['STARTUP_WAIT_MS', '-5'],
  ])('names %s when it is %p', (name, value) => {
    const error = configError({ ...VALID, [name]: value });
    expect(namedSettings(error)).toEqual([name]);
  });

  it.each(['ADMIN_API_TOKEN', 'ENCRYPTION_KEY', 'SIGNING_KEY'])('names %s when it is missing', (name) => {
    const env: Record<string, string> = { ...VALID };
    delete env[name];
    expect(namedSettings(configError(env))).toEqual([name]);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['31 bytes', randomBytes(31).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['64 bytes', randomBytes(64).toString('base64')],
  ])('refuses an ENCRYPTION_KEY of %s and says it must be 32 bytes', (_name, key) => {
    const error = configError({ ...VALID, ENCRYPTION_KEY: key });
    expect(namedSettings(error)).toEqual(['ENCRYPTION_KEY']);
    expect(error.message).toMatch(/32 bytes/);
  });

  it('names every bad setting in one error', () => {
    const error = configError({ ADMIN_API_TOKEN: 'x', ENCRYPTION_KEY: randomBytes(8).toString('base64'), PORT: 'abc', ROLE: 'x', LOG_LEVEL: 'loud' });
    expect(namedSettings(error).sort()).toEqual(['ADMIN_API_TOKEN', 'ENCRYPTION_KEY', 'LOG_LEVEL', 'PORT', 'ROLE', 'SIGNING_KEY']);
  });

  it('never prints the secrets it refuses', () => {
    const badToken = 'tooShortSecret';
    const badKey = randomBytes(16).toString('base64');
    const error = configError({ ADMIN_API_TOKEN: badToken, ENCRYPTION_KEY: badKey });
    expect(error.message).not.toContain(badToken);
    expect(error.message).not.toContain(badKey);
  });

  describe('published and placeholder secrets', () => {
    const COMPOSE_KEY = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
    it.each([
      ['ADMIN_API_TOKEN', 'change-me-admin-token'],
      ['ADMIN_API_TOKEN', 'replace-with-a-long-random-token'],
      ['ADMIN_API_TOKEN', 'aaaaaaaaaaaaaaaaaaaa'],
      ['ENCRYPTION_KEY', COMPOSE_KEY],
      ['ENCRYPTION_KEY', Buffer.alloc(32).toString('base64')],
      ['SIGNING_KEY', COMPOSE_KEY],
    ])('refuses %s=%p unless ALLOW_INSECURE_DEFAULTS=1', (name, value) => {
      const error = configError({ ...VALID, [name]: value });
      expect(namedSettings(error)).toEqual([name]);
      expect(error.message).toMatch(/ALLOW_INSECURE_DEFAULTS=1/);
      const allowed = loadConfig({ ...VALID, [name]: value, ALLOW_INSECURE_DEFAULTS: '1' });
      expect(allowed.insecureSecrets).toHaveLength(1);
      expect(allowed.insecureSecrets[0]).toMatch(new RegExp(`^${name}:`));
    });

    it('refuses a SIGNING_KEY equal to ENCRYPTION_KEY', () => {
      expect(namedSettings(configError({ ...VALID, SIGNING_KEY: VALID.ENCRYPTION_KEY }))).toEqual(['SIGNING_KEY']);
    });

    it('accepts generated secrets without a warning', () => {
      expect(loadConfig(VALID).insecureSecrets).toEqual([]);
    });
  });

  it('lists the current signing key first, then the previous ones', () => {
    const old1 = randomBytes(32).toString('base64');
    const old2 = randomBytes(32).toString('base64');
    const config = loadConfig({ ...VALID, SIGNING_KEY_PREVIOUS: `${old1},${old2}` });
    expect(config.signingKeys.map((k) => k.toString('base64'))).toEqual([VALID.SIGNING_KEY, old1, old2]);
  });
});
