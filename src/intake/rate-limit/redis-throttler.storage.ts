import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** INCR, and PEXPIRE on the first hit of a window, atomically: a fixed window per key. */
const HIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`;
/** Sent as EVALSHA: Redis keeps the script, so a hit carries only its key. */
const HIT_COMMAND = 'sgsCallbackHit';
const REDIS_TIMEOUT_MS = 500;
const CONNECT_WAIT_MS = 2000;
const WARN_EVERY_MS = 60_000;

/**
 * Hit counts (in @nestjs/throttler's storage shape) kept in Redis under QUEUE_PREFIX, so the limit holds across every
 * API process. While Redis does not answer, each process counts in its own memory instead: intake
 * keeps answering (it does not need Redis) and a flood is still limited, per process.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly redis: Redis;
  private readonly fallback = new ThrottlerStorageService();
  private readonly keyPrefix: string;
  private lastWarning = 0;

  constructor(private readonly config: AppConfig) {
    this.keyPrefix = `${config.QUEUE_PREFIX}:throttle:`;
    this.redis = new Redis(config.REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_TIMEOUT_MS,
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
      // Concurrent callbacks' hits share one write to Redis instead of a syscall each.
      enableAutoPipelining: true,
    });
    this.redis.defineCommand(HIT_COMMAND, { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.redis.on('error', (error: Error) => this.warn(`Redis: ${error.message}`));
  }

  private get enabled(): boolean {
    return this.config.runsApi && this.config.CALLBACK_RATE_LIMIT_PER_MIN > 0;
  }

  /** Waits a little for Redis so the first callbacks are counted there, but never blocks start-up on it. */
  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.redis.connect().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, CONNECT_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
    this.fallback.onApplicationShutdown();
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.redis.status === 'ready') {
      try {
        const hit = (this.redis as unknown as Record<typeof HIT_COMMAND, (key: string, ttl: string) => Promise<[number, number]>>)[HIT_COMMAND];
        const [hits, pttl] = await hit.call(this.redis, `${this.keyPrefix}${key}`, String(ttl));
        const seconds = Math.max(1, Math.ceil(pttl / 1000));
        const isBlocked = hits > limit;
        return { totalHits: hits, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
      } catch (error) {
        this.warn(`Redis did not count a hit, counting in memory: ${(error as Error).message}`);
      }
    }
    return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn(`callback rate limit: ${message}`);
  }
}
