import { Client } from 'pg';
/** Names shared by the global setup, the per-file harness and the teardown of one test run. */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function runId(): string {
  const id = process.env.SGS_TEST_RUN_ID;
  if (!id) throw new Error('SGS_TEST_RUN_ID is not set: run the e2e tests through jest (test/support/global-setup.ts)');
  return id;
}

export function templateDatabase(run = runId()): string {
  return `sgs_t_${run}_tpl`;
}

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the server's maintenance database (e.g. to stop a test database taking connections). */
export async function adminSql(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const nameOf = (databaseUrl: string) => new URL(databaseUrl).pathname.slice(1);

/** PostgreSQL refuses new connections to this database and ends the open ones: the service sees it "down". */
export async function takeDatabaseAway(databaseUrl: string): Promise<void> {
  await adminSql(`ALTER DATABASE ${nameOf(databaseUrl)} WITH ALLOW_CONNECTIONS false`);
  await adminSql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${nameOf(databaseUrl)}'`);
}

export async function giveDatabaseBack(databaseUrl: string): Promise<void> {
  await adminSql(`ALTER DATABASE ${nameOf(databaseUrl)} WITH ALLOW_CONNECTIONS true`);
}
