import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigError, loadConfig } from './config/app-config';
import { ensureDatabase } from './database/ensure-database';
import { runMigrations } from './database/run-migrations';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const created = await ensureDatabase(config.DATABASE_URL);
  const migrated = await runMigrations(config.DATABASE_URL);
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Everything durable is in PostgreSQL: a stray rejection is logged loudly, not a reason to stop grading.
  process.on('unhandledRejection', (reason) => app.get(Logger).error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  if (created) app.get(Logger).log('created the database named in DATABASE_URL');
  if (migrated.length > 0) app.get(Logger).log(`ran migrations: ${migrated.join(', ')}`);
  configureApp(app, config);
  await app.listen(config.PORT, '0.0.0.0');
  const serves = config.runsApi ? 'the API' : 'only /health and /metrics';
  app.get(Logger).log(`speechace-grade-sync (role ${config.ROLE}) listening on port ${config.PORT}, serving ${serves}`);
}

void bootstrap();
