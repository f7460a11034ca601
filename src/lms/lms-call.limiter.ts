import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { LmsError } from './moodle/moodle-errors';

/** Takes a concurrency slot and a place in this second's budget atomically, or says why not. */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], 2000) end
if n > tonumber(ARGV[5]) then return -2 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

export interface CallLimits {
  perSecond: number;
  concurrency: number;
}

/**
 * How a caller bounds its calls: `maxWaitMs` for a slot (a worker must not wait past its lease), and
 * `beforeCall`, run once the slot is held and right before the request (a worker's lease fence).
 */
export interface GateOptions {
  maxWaitMs?: number;
  beforeCall?: () => Promise<void>;
}

/** Runs work under a connection's limits. */
export interface CallGate {
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Per-connection request rate and concurrency, shared by every worker process through Redis, so a
 * burst never floods a school's Moodle. If Redis cannot be asked, calls go ahead (fail open): the
 * queue needs Redis anyway, so that is a moment, not a mode.
 */
@Injectable()
export class LmsCallLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(LmsCallLimiter.name);
  private readonly redis: Redis;
  /** Per connection, the last caller of this process in line for a slot (see inLine). */
  private readonly lines = new Map<string, Promise<void>>();

  constructor(private readonly config: AppConfig) {
    // commandTimeout: while Redis is away, an acquire gives up after a second and the call goes ahead.
    this.redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    this.redis.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }

  /** The gate of a connection: its own limits, or the configured defaults. */
  gateFor(connection: { id: string; rateLimitPerSecond: number | null; maxConcurrency: number | null }, options: GateOptions = {}): CallGate {
    const limits = {
      perSecond: connection.rateLimitPerSecond ?? this.config.LMS_RATE_LIMIT_PER_SECOND,
      concurrency: connection.maxConcurrency ?? this.config.LMS_MAX_CONCURRENCY,
    };
    return this.gate(connection.id, limits, options);
  }

  gate(connectionId: string, limits: CallLimits, options: GateOptions = {}): CallGate {
    return { run: (work) => this.run(connectionId, limits, options, work) };
  }

  private async run<T>(connectionId: string, limits: CallLimits, options: GateOptions, work: () => Promise<T>): Promise<T> {
    const maxWaitMs = options.maxWaitMs ?? Infinity;
    const token = await this.inLine(connectionId, maxWaitMs, (giveUpAt) => this.acquire(connectionId, limits, maxWaitMs, giveUpAt));
    try {
      await options.beforeCall?.();
      return await work();
    } finally {
      if (token) await this.redis.zrem(this.slotsKey(connectionId), token).catch(() => undefined);
    }
  }

  /**
   * The callers of this process ask Redis for a connection's slots one at a time, in the order they
   * came: Redis gives a freed slot to whichever caller polls first, so without a line a caller could
   * wait behind ever newer ones until it gave up (seen in a 20-course burst: 1,200 syncs retried
   * after 15 s waits). A caller that gives up leaves the line without holding up those behind it.
   */
  private async inLine<T>(connectionId: string, maxWaitMs: number, acquire: (giveUpAt: number) => Promise<T>): Promise<T> {
    const giveUpAt = Date.now() + maxWaitMs;
    const ahead = this.lines.get(connectionId) ?? Promise.resolve();
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => (leave = resolve));
    const last = ahead.then(() => mine);
    this.lines.set(connectionId, last);
    try {
      await untilOrBusy(ahead, giveUpAt, maxWaitMs);
      return await acquire(giveUpAt);
    } finally {
      leave();
      if (this.lines.get(connectionId) === last) this.lines.delete(connectionId);
    }
  }

  /**
   * Waits for a slot; resolves the slot's token, or null when Redis could not be asked. Gives up
   * with a transient error at `giveUpAt` (`maxWaitMs` after the caller asked).
   */
  private async acquire(connectionId: string, limits: CallLimits, maxWaitMs: number, giveUpAt: number): Promise<string | null> {
    const token = randomUUID();
    const leaseMs = this.config.LMS_TIMEOUT_MS + 5000;
    for (;;) {
      const now = Date.now();
      let answer: number;
      try {
        const rateKey = `${this.config.QUEUE_PREFIX}:lms:${connectionId}:rate:${Math.floor(now / 1000)}`;
        answer = Number(await this.redis.eval(ACQUIRE, 2, this.slotsKey(connectionId), rateKey, now, token, leaseMs, limits.concurrency, limits.perSecond));
      } catch (error) {
        this.logger.warn(`LMS call limiter unavailable, calling without it: ${(error as Error).message}`);
        return null;
      }
      if (answer === 1) return token;
      const wait = answer === -2 ? 1000 - (now % 1000) + 1 : 15;
      if (Date.now() + wait > giveUpAt) {
        throw busy(maxWaitMs);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private slotsKey(connectionId: string): string {
    return `${this.config.QUEUE_PREFIX}:lms:${connectionId}:slots`;
  }
}

function busy(maxWaitMs: number): LmsError {
  return new LmsError('transient', 'lms_busy', `no LMS call slot within ${maxWaitMs} ms (the connection's rate or concurrency limit is taken by other work); will retry`);
}

/** Resolves when `ahead` does, or throws lms_busy at `giveUpAt`. */
async function untilOrBusy(ahead: Promise<void>, giveUpAt: number, maxWaitMs: number): Promise<void> {
  if (giveUpAt === Infinity) return ahead;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ahead,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(busy(maxWaitMs)), Math.max(0, giveUpAt - Date.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
