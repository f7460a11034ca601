import { BullRootModuleOptions } from '@nestjs/bull';
import { AppConfig } from '../config/app-config';

/**
 * Bull v4 on ioredis: the blocking and subscriber clients need maxRetriesPerRequest null and no
 * ready check, or ioredis gives up on them during a Redis restart and the worker silently stops.
 */
export function bullRedisOptions(config: AppConfig): BullRootModuleOptions {
  const url = new URL(config.REDIS_URL);
  return {
    prefix: config.QUEUE_PREFIX,
    redis: {
      host: url.hostname,
      port: Number(url.port || 6379),
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
      tls: url.protocol === 'rediss:' ? {} : undefined,
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
    },
  };
}
