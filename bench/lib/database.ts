import Redis from 'ioredis';
import { Client } from 'pg';
import { PG_ADMIN_URL, REDIS_URL } from './bench-env';

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

function assertSafeName(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name "${name}"`);
}

export async function createDatabase(name: string): Promise<void> {
  assertSafeName(name);
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
}

export async function dropDatabase(name: string): Promise<void> {
  assertSafeName(name);
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Deletes every Redis key starting with `prefix`; bounded by `timeoutMs`. Returns how many. */
export async function deleteRedisKeys(prefix: string, timeoutMs = 120_000): Promise<number> {
  if (!/^[A-Za-z0-9_:-]{8,}$/.test(prefix)) throw new Error(`refusing to delete Redis keys for prefix "${prefix}"`);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  const deadline = Date.now() + timeoutMs;
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0' && Date.now() < deadline);
    if (cursor !== '0') throw new Error(`gave up deleting Redis keys ${prefix}* after ${timeoutMs} ms (${deleted} deleted)`);
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A fresh database and Redis key prefix for one bench run, removed again by the cleanup. */
export interface BenchStorage {
  database: string;
  databaseUrl: string;
  redisPrefix: string;
}

export async function createBenchStorage(runId: string, onCleanup: (name: string, run: () => Promise<void>) => void): Promise<BenchStorage> {
  const database = `sgs_bench_${runId}`;
  const redisPrefix = `sgs_bench_${runId}_`;
  onCleanup(`Redis keys ${redisPrefix}*`, async () => {
    await deleteRedisKeys(redisPrefix);
  });
  onCleanup(`database ${database}`, () => dropDatabase(database));
  await createDatabase(database);
  return { database, databaseUrl: databaseUrl(database), redisPrefix };
}
