import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { CredentialCipher } from './common/crypto/credential-cipher';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { loadEnvFile } from './config/env-file';
import { ensureDatabase } from './database/ensure-database';
import { runMigrations } from './database/run-migrations';
import { checkStoredCredentials, unreadableCredentialsMessage, unreadableToolKeysMessage } from './startup/stored-credentials.check';
import { describeUrl, EX_CONFIG, EX_SOFTWARE, EX_UNAVAILABLE, StartupError } from './startup/startup-error';
import { ensurePortFree, waitForPostgres, waitForRedis } from './startup/wait-for-services';

const notice = (line: string) => process.stderr.write(`speechace-grade-sync: ${line}\n`);

/** Everything that must hold before the app starts its queue worker: each failure is one clear line. */
async function prepare(config: AppConfig): Promise<string[]> {
  const done: string[] = [];
  for (const problem of config.insecureSecrets) notice(`WARNING ${problem} (allowed by ALLOW_INSECURE_DEFAULTS=1)`);
  await ensurePortFree(config.PORT);
  await waitForPostgres(config.DATABASE_URL, config.STARTUP_WAIT_MS, notice);
  await waitForRedis(config.REDIS_URL, config.STARTUP_WAIT_MS, notice);
  if (await ensureDatabase(config.DATABASE_URL)) done.push(`created the database ${describeUrl(config.DATABASE_URL)} named in DATABASE_URL`);
  try {
    const migrated = await runMigrations(config.DATABASE_URL);
    if (migrated.length > 0) done.push(`ran migrations: ${migrated.join(', ')}`);
  } catch (error) {
    throw new StartupError(`a database migration failed on ${describeUrl(config.DATABASE_URL)} (DATABASE_URL): ${(error as Error).message}`, EX_SOFTWARE);
  }
  const credentials = await checkStoredCredentials(config.DATABASE_URL, new CredentialCipher(config));
  if (credentials.resealed > 0) done.push(`re-encrypted ${credentials.resealed} stored LMS token(s) and quarantined bodies with the new ENCRYPTION_KEY`);
  if (credentials.resealedToolKeys > 0) done.push(`re-encrypted ${credentials.resealedToolKeys} LTI tool key(s) with the new ENCRYPTION_KEY`);
  if (credentials.unreadableQuarantined > 0) {
    notice(`WARNING ENCRYPTION_KEY: does not decrypt ${credentials.unreadableQuarantined} quarantined callback(s); they cannot be replayed (they expire with QUARANTINE_RETENTION_DAYS)`);
  }
  if (credentials.unreadable.length > 0) {
    const message = unreadableCredentialsMessage(credentials.unreadable);
    if (config.ENCRYPTION_KEY_LOST !== '1') throw new StartupError(message, EX_CONFIG);
    notice(`WARNING ${message} Starting anyway (ENCRYPTION_KEY_LOST=1): their syncs fail until the token is re-entered.`);
  }
  if (credentials.unreadableToolKeys.length > 0) {
    const message = unreadableToolKeysMessage(credentials.unreadableToolKeys);
    if (config.ENCRYPTION_KEY_LOST !== '1') throw new StartupError(message, EX_CONFIG);
    notice(`WARNING ${message} Starting anyway (ENCRYPTION_KEY_LOST=1): LTI grade sync fails until a new key is registered.`);
  }
  return done;
}

async function bootstrap(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const done = await prepare(config);
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, bufferLogs: true, abortOnError: false });
  const logger = app.get(Logger);
  app.useLogger(logger);
  // Everything durable is in PostgreSQL: a stray rejection is logged loudly, not a reason to stop grading.
  process.on('unhandledRejection', (reason) => logger.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));
  for (const line of done) logger.log(line);
  configureApp(app, config);
  try {
    await app.listen(config.PORT, '0.0.0.0');
  } catch (error) {
    await Promise.race([app.close(), new Promise((r) => setTimeout(r, 5000))]);
    const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new StartupError(
      taken ? `PORT ${config.PORT} is already in use by another process: stop it or set PORT to a free port` : `PORT ${config.PORT}: ${(error as Error).message}`,
      EX_UNAVAILABLE,
    );
  }
  const serves = config.runsApi ? 'the API' : 'only /health and /metrics';
  logger.log(`speechace-grade-sync (role ${config.ROLE}) listening on port ${config.PORT}, serving ${serves}`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(EX_CONFIG);
  }
  if (error instanceof StartupError) {
    notice(`cannot start: ${error.message}`);
    process.exit(error.exitCode);
  }
  notice(`cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(EX_SOFTWARE);
});
