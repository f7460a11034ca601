import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * A session that sits inside a transaction this long without sending anything is ended by
 * PostgreSQL. Our transactions never wait on anything but the database and, in the outbox relay,
 * a Redis call bounded at 1.5 s; a process that is frozen (stop-the-world pause, suspended VM)
 * in the middle of one would otherwise hold its row and advisory locks, and every claim of that
 * grade item would wait behind it, for as long as it stays frozen.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 15_000;

/** The one description of our database, shared by the app and the migration CLI (ormconfig.ts). */
export function dataSourceOptions(databaseUrl: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, connectionTimeoutMillis: 5000, options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS}` },
  };
}
