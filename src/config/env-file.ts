import { existsSync } from 'node:fs';

/**
 * Settings from `.env` (or the file ENV_FILE names; `ENV_FILE=` for none) fill in what the
 * environment does not set: the environment wins. Read before the configuration is validated,
 * by the service and by the migration CLI alike.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.ENV_FILE ?? '.env';
  if (file !== '' && existsSync(file)) process.loadEnvFile(file);
}
