import { plainToInstance, Transform } from 'class-transformer';
import proxyAddr from 'proxy-addr';
import {
  IsBase64,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MinLength,
  Min,
  validateSync,
} from 'class-validator';
import { insecureSecretsIn } from './insecure-secrets';

export const ROLES = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof ROLES)[number];

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** Every setting the service reads from the environment, validated once at start-up. */
export class AppConfig {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/speechace_grade_sync';

  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Prefix of every Redis key the queue uses, so several deployments (or test runs) share one Redis. */
  @IsString()
  @Matches(/^[A-Za-z0-9_:-]+$/, { message: 'QUEUE_PREFIX may only contain letters, digits, _ : -' })
  QUEUE_PREFIX = 'sgs';

  @IsString()
  @MinLength(16, { message: 'ADMIN_API_TOKEN must be at least 16 characters' })
  ADMIN_API_TOKEN!: string;

  @IsString()
  @IsNotEmpty()
  @IsBase64({}, { message: 'ENCRYPTION_KEY must be 32 bytes, base64-encoded' })
  ENCRYPTION_KEY!: string;

  /** The key ENCRYPTION_KEY replaces: what it encrypted is re-encrypted with ENCRYPTION_KEY at start-up. */
  @IsOptional()
  @IsBase64({}, { message: 'ENCRYPTION_KEY_PREVIOUS must be 32 bytes, base64-encoded' })
  ENCRYPTION_KEY_PREVIOUS?: string;

  /** Signs callback URLs (HMAC-SHA256); a secret of its own, so rotating ENCRYPTION_KEY never touches issued URLs. */
  @IsString()
  @IsNotEmpty()
  @IsBase64({}, { message: 'SIGNING_KEY must be 32 bytes, base64-encoded' })
  SIGNING_KEY!: string;

  /** Comma list of signing keys SIGNING_KEY replaced: callback URLs they signed are still accepted. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/=]+(,[A-Za-z0-9+/=]+)*$/, { message: 'SIGNING_KEY_PREVIOUS must be a comma list of base64 keys' })
  SIGNING_KEY_PREVIOUS?: string;

  /** 1 lets the service start with a published placeholder secret (a laptop demo only); it then warns at start-up. */
  @IsIn(['0', '1'], { message: 'ALLOW_INSECURE_DEFAULTS must be 0 or 1' })
  ALLOW_INSECURE_DEFAULTS: '0' | '1' = '0';

  @IsIn(ROLES)
  ROLE: ProcessRole = 'all';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  SYNC_MAX_ATTEMPTS = 8;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  SYNC_BACKOFF_BASE_MS = 5000;

  /** Longest wait between two retries of one sync. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  SYNC_BACKOFF_MAX_MS = 15 * 60 * 1000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  SYNC_CONCURRENCY = 4;

  /** Most grades pushed to one grade item in one LMS call. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  SYNC_BATCH_SIZE = 100;

  /**
   * Most write calls (of SYNC_BATCH_SIZE grades each) one claim makes for a grade item before it
   * reads the course's grades back once: a backlog costs one course-wide read per this many writes.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  SYNC_WRITES_PER_READ_BACK = 5;

  /** How long a new sync waits in the queue so that others for the same grade item can join its batch. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60000)
  SYNC_BATCH_WINDOW_MS = 250;

  /**
   * How long a claim holds its syncs without a sign of life. A working worker renews it every third
   * of this (the heartbeat), however long its LMS calls take; a killed or frozen one stops, and its
   * syncs are handed out again when this runs out. Waits for an LMS call slot end after half of it.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  SYNC_LEASE_MS = 30_000;

  /** Default for connections without their own limit: LMS requests per second, across all workers. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LMS_RATE_LIMIT_PER_SECOND = 10;

  /** Default for connections without their own limit: LMS requests in flight at once, across all workers. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LMS_MAX_CONCURRENCY = 4;

  /** Timeout of every single call to an LMS. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  LMS_TIMEOUT_MS = 15000;

  /**
   * Hosts (`host` or `host:port`, comma-separated) a connection's baseUrl may name; empty allows
   * any. Checked when a connection is created or changed and before every LMS call.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9.:[\],\s-]*$/, { message: 'LMS_ALLOWED_HOSTS must be a comma list of host or host:port, such as moodle.example.edu,moodle.example.edu:8443 (no scheme, no path)' })
  LMS_ALLOWED_HOSTS = '';

  /**
   * Largest answer read from one LMS call (and largest single student's report in a course-wide
   * grade read); a larger answer is a permanent `answer_too_large` failure. Site info has its own 1 MB.
   */
  @Transform(toInt)
  @IsInt()
  @Min(65536)
  LMS_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

  /** Largest course-wide grade report (read streamed, never held whole): 1 GiB is ~10,000 students with 150 grade items each. */
  @Transform(toInt)
  @IsInt()
  @Min(65536)
  LMS_MAX_REPORT_BYTES = 1024 * 1024 * 1024;

  /** How long resolved LMS users and enrolments are cached by a worker. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  LMS_CACHE_TTL_MS = 5 * 60 * 1000;

  /**
   * A callback without reportUrl whose bytes equal the student's latest stored callback is a
   * repeat of it only within this long (README "Repeats").
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  CALLBACK_REPEAT_WINDOW_MS = 10 * 60 * 1000;

  /** How often the outbox relay looks for stored syncs that are not in the queue. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  OUTBOX_INTERVAL_MS = 5000;

  /** A pending sync that no worker took this long after intake is enqueued again by the relay (Redis was down). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  OUTBOX_PENDING_GRACE_MS = 5000;

  /** A queued sync not taken by a worker this long after it was due has lost its job; the relay enqueues it again. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  OUTBOX_STALE_AFTER_MS = 60_000;

  @IsString()
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'CALLBACK_BODY_LIMIT must look like 64kb' })
  CALLBACK_BODY_LIMIT = '64kb';

  /**
   * Callbacks accepted per minute from one source address, counted in Redis across API processes;
   * 0 turns the limit off. Speechace sends an exam's whole burst from a few addresses, so the
   * default only stops floods far beyond what a real exam produces.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  CALLBACK_RATE_LIMIT_PER_MIN = 12000;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @IsOptional()
  PUBLIC_BASE_URL?: string;

  /** How long start-up waits for PostgreSQL and Redis to answer before it gives up with a clear message. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  STARTUP_WAIT_MS = 15_000;

  /** 1 starts even when stored LMS tokens cannot be decrypted (the old ENCRYPTION_KEY is lost); re-enter them. */
  @IsIn(['0', '1'], { message: 'ENCRYPTION_KEY_LOST must be 0 or 1' })
  ENCRYPTION_KEY_LOST: '0' | '1' = '0';

  /** Most callbacks kept in the quarantine (the oldest go first); 0 keeps none. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  QUARANTINE_MAX_ROWS = 10_000;

  /** Days a quarantined callback is kept. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  QUARANTINE_RETENTION_DAYS = 30;

  /**
   * Proxies whose X-Forwarded-For is believed (callback rate limit, stored sourceIp, Express's
   * req.ip): a comma list of addresses, CIDR ranges or proxy-addr names (loopback, linklocal,
   * uniquelocal); `none` trusts no proxy.
   */
  @IsString()
  TRUSTED_PROXIES = 'loopback';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  get publicBaseUrl(): string {
    return (this.PUBLIC_BASE_URL ?? `http://localhost:${this.PORT}`).replace(/\/+$/, '');
  }

  /** TRUSTED_PROXIES as proxy-addr takes it; empty trusts none. */
  get trustedProxies(): string[] {
    const list = this.TRUSTED_PROXIES.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
    return list.length === 1 && list[0]!.toLowerCase() === 'none' ? [] : list;
  }

  get runsApi(): boolean {
    return this.ROLE !== 'worker';
  }

  get runsWorker(): boolean {
    return this.ROLE !== 'api';
  }

  get encryptionKey(): Buffer {
    return Buffer.from(this.ENCRYPTION_KEY, 'base64');
  }

  get previousEncryptionKey(): Buffer | undefined {
    return this.ENCRYPTION_KEY_PREVIOUS ? Buffer.from(this.ENCRYPTION_KEY_PREVIOUS, 'base64') : undefined;
  }

  /** The current signing key first, then the ones it replaced. */
  get signingKeys(): Buffer[] {
    const previous = (this.SIGNING_KEY_PREVIOUS ?? '').split(',').filter((k) => k.length > 0);
    return [this.SIGNING_KEY, ...previous].map((k) => Buffer.from(k, 'base64'));
  }

  /** Published or placeholder secrets this configuration uses (allowed only with ALLOW_INSECURE_DEFAULTS=1). */
  get insecureSecrets(): string[] {
    return insecureSecretsIn(this);
  }
}

const OPTIONAL_OR_REQUIRED_WITHOUT_DEFAULT = [
  'ADMIN_API_TOKEN',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
  'SIGNING_KEY',
  'SIGNING_KEY_PREVIOUS',
  'PUBLIC_BASE_URL',
];

export class ConfigError extends Error {}

/** Reads and validates the environment; throws a ConfigError naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.keys(new AppConfig()).concat(OPTIONAL_OR_REQUIRED_WITHOUT_DEFAULT);
  const input: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const config = plainToInstance(AppConfig, input, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false });
  const problems = errors.map((e) => {
    if (input[e.property] === undefined) return `${e.property}: is required but not set`;
    const text = Object.values(e.constraints ?? {}).join('; ');
    return `${e.property}: ${text || 'invalid'}`;
  });
  for (const name of ['ENCRYPTION_KEY', 'ENCRYPTION_KEY_PREVIOUS', 'SIGNING_KEY'] as const) {
    const value = config[name];
    if (value && Buffer.from(value, 'base64').length !== 32) {
      problems.push(`${name}: must decode to exactly 32 bytes (try: openssl rand -base64 32)`);
    }
  }
  if (problems.length === 0 && config.ALLOW_INSECURE_DEFAULTS !== '1') {
    for (const problem of config.insecureSecrets) problems.push(`${problem} (set ALLOW_INSECURE_DEFAULTS=1 only for a demo on your own machine)`);
  }
  try {
    proxyAddr.compile(config.trustedProxies);
  } catch (error) {
    problems.push(`TRUSTED_PROXIES: ${(error as Error).message} (give addresses, CIDR ranges, loopback, linklocal, uniquelocal, or none)`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return config;
}
