import { createServer } from 'node:net';
import Redis from 'ioredis';
import { Client } from 'pg';
import { describeUrl, EX_CONFIG, EX_UNAVAILABLE, StartupError } from './startup-error';

type Notice = (line: string) => void;

/** PostgreSQL answers that no amount of waiting fixes: wrong password, unknown role, no permission. */
const PG_UNDEFINED_DATABASE = '3D000';
const PG_FINAL_CODES = new Set(['28P01', '28000', '42501']);

/** Retries `probe` until it succeeds or `waitMs` has passed, with a notice per failure. */
async function retry(what: string, waitMs: number, notice: Notice, probe: () => Promise<void>, isFinal: (e: unknown) => boolean): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await probe();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isFinal(error) || Date.now() >= deadline) throw new StartupError(`${what}: ${reason}`, isFinal(error) ? EX_CONFIG : EX_UNAVAILABLE);
      notice(`${what} (attempt ${attempt}: ${reason}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 3000, Math.max(deadline - Date.now(), 0))));
    }
  }
}

export async function waitForPostgres(databaseUrl: string, waitMs: number, notice: Notice): Promise<void> {
  const what = `PostgreSQL at ${describeUrl(databaseUrl)} (DATABASE_URL) does not answer`;
  await retry(
    what,
    waitMs,
    notice,
    async () => {
      const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
      } catch (error) {
        // The server answers; the database does not exist yet, and ensureDatabase creates it.
        if ((error as { code?: string }).code !== PG_UNDEFINED_DATABASE) throw error;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    (e) => PG_FINAL_CODES.has((e as { code?: string }).code ?? ''),
  );
}

export async function waitForRedis(redisUrl: string, waitMs: number, notice: Notice): Promise<void> {
  const what = `Redis at ${describeUrl(redisUrl)} (REDIS_URL) does not answer`;
  await retry(
    what,
    waitMs,
    notice,
    async () => {
      const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        await redis.ping();
      } finally {
        redis.disconnect();
      }
    },
    (e) => /NOAUTH|WRONGPASS|invalid password/i.test(e instanceof Error ? e.message : ''),
  );
}

/** Fails fast, before any worker starts, when another process already listens on PORT. */
export async function ensurePortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          error.code === 'EADDRINUSE'
            ? `PORT ${port} is already in use by another process: stop it or set PORT to a free port`
            : `PORT ${port} cannot be used: ${error.message}`,
          EX_UNAVAILABLE,
        ),
      ),
    );
    server.listen(port, '0.0.0.0', () => server.close(() => resolve()));
  });
}
