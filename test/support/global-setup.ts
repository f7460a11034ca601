import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ADMIN_DATABASE_URL, databaseUrl, templateDatabase } from './test-env';

/** Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
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
