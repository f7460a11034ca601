import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bull';
import { Test } from '@nestjs/testing';
import { Queue } from 'bull';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { SYNC_QUEUE } from '../../src/sync/sync.queue';
import { ADMIN_DATABASE_URL, databaseUrl, runId, TEST_REDIS_URL, templateDatabase } from './test-env';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
let instance = 0;

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  db: DataSource;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** A fresh database cloned from the run's migrated template, and a Redis key prefix of its own. */
export async function createDatabase(): Promise<string> {
  const name = `sgs_t_${runId()}_${process.pid}_${++instance}_${randomBytes(2).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`);
  } finally {
    await admin.end();
  }
  return databaseUrl(name);
}

/** Boots the real app (HTTP and worker, ROLE=all) exactly as main.ts does, on real PostgreSQL and Redis. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: await createDatabase(),
    REDIS_URL: TEST_REDIS_URL,
    // Random too: jest restarts `instance` in every test file, and files run one after another in one process.
    QUEUE_PREFIX: `sgs_t_${runId()}_${process.pid}_${instance}_${randomBytes(3).toString('hex')}`,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SIGNING_KEY: randomBytes(32).toString('base64'),
    SYNC_MAX_ATTEMPTS: '5',
    SYNC_BACKOFF_BASE_MS: '50',
    SYNC_BACKOFF_MAX_MS: '400',
    LMS_TIMEOUT_MS: '1500',
    OUTBOX_INTERVAL_MS: '250',
    LOG_LEVEL: 'error',
    PUBLIC_BASE_URL: 'http://sync.test',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: ['error'] });
  configureApp(app, config);
  await app.init();
  const db = app.get(DataSource);
  return {
    app,
    config,
    db,
    http: request(app.getHttpServer()),
    close: async () => {
      // Bull rejects its clients' start-up commands with "Connection is closed" when it is closed
      // before they finish (OptimalBits/bull#2801); a test app that lives a few milliseconds must wait.
      await app.get<Queue>(getQueueToken(SYNC_QUEUE), { strict: false }).isReady().catch(() => undefined);
      await app.close();
    },
  };
}
