import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ensureConsoleBuilt } from './console-build';
import { ADMIN_DATABASE_URL, databaseUrl, templateDatabase } from './test-env';

/**
 * Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE).
 * The e2e and browser projects share this setup: the second call in a run finds the template made.
 * The app serves the built console, so it is built first when missing or stale.
 */
export default async function globalSetup(): Promise<void> {
  ensureConsoleBuilt();
  if (process.env.SGS_TEST_RUN_ID) return;
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  process.env.SGS_TEST_RUN_ID = run;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${templateDatabase(run)}`);
  } finally {
    await admin.end();
  }
  const db = new DataSource(dataSourceOptions(databaseUrl(templateDatabase(run)), 2));
  await db.initialize();
  await db.runMigrations();
  await db.destroy();
}
