import { REDIS_URL } from './bench-env';
import { Cleanup } from './cleanup';
import { BenchStorage } from './database';
import { newAdminToken, newEncryptionKey } from './grade-sync-setup';
import { ChildServer, startService } from './processes';

/** What `npm run start:prod` and the Dockerfile set when NODE_OPTIONS is not set. */
const START_PROD_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=8';

/**
 * Starts the real service (`node dist/src/main.js`) on the bench's own database and key prefix,
 * and waits until it is ready. All bench load comes from 127.0.0.1, so the per-address callback
 * limit stays on but out of reach unless BENCH_CALLBACK_RATE_LIMIT_PER_MIN says otherwise;
 * It gets the Node options `npm run start:prod` and the Docker image give it, unless
 * BENCH_SERVICE_NODE_OPTIONS says otherwise (an empty value: Node's defaults).
 */
export async function startGradeSyncService(storage: BenchStorage, role: 'api' | 'all', cleanup: Cleanup): Promise<{ service: ChildServer; adminToken: string }> {
  const adminToken = newAdminToken();
  const service = await startService('service', {
    DATABASE_URL: storage.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: `${storage.redisPrefix}svc`,
    ADMIN_API_TOKEN: adminToken,
    ENCRYPTION_KEY: newEncryptionKey(),
    SIGNING_KEY: newEncryptionKey(),
    ROLE: role,
    LOG_LEVEL: 'warn',
    CALLBACK_RATE_LIMIT_PER_MIN: process.env.BENCH_CALLBACK_RATE_LIMIT_PER_MIN ?? String(1_000_000_000),
    NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS ?? START_PROD_NODE_OPTIONS,
  });
  cleanup.add('service', () => service.stop());
  await service.waitReady('/health/ready');
  return { service, adminToken };
}
