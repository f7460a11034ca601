import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** Any fixed number; it only has to be the same in every process of this service. */
const MIGRATION_LOCK_KEY = 7_214_330_051;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so several api and worker
 * processes starting at once never run the same migration twice.
 */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  const db = new DataSource(dataSourceOptions(databaseUrl, 1));
  await db.initialize();
  try {
    await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const ran = await db.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await db.destroy();
  }
}
