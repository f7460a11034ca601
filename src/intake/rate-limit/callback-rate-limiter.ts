import { ServerResponse } from 'node:http';
import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { DEFAULT_IPV6_SUBNET_PREFIX, normalizeIp } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const WINDOW_MS = 60_000;

/**
 * CALLBACK_RATE_LIMIT_PER_MIN callbacks per source address and minute (a fixed window counted in
 * Redis across every API process; an IPv6 address counts per /64, as @nestjs/throttler does), with
 * the X-RateLimit-* headers of @nestjs/throttler.
 */
@Injectable()
export class CallbackRateLimiter {
  constructor(
    private readonly hits: RedisThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  /** Counts one callback from `address`; past the limit, sets Retry-After on `res` and throws a 429. */
  async admit(address: string, res: ServerResponse): Promise<void> {
    const limit = this.config.CALLBACK_RATE_LIMIT_PER_MIN;
    if (limit === 0) return;
    const tracker = normalizeIp(address, DEFAULT_IPV6_SUBNET_PREFIX);
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.hits.increment(`callback:${tracker}`, WINDOW_MS, limit, WINDOW_MS, 'callback');
    res.setHeader('X-RateLimit-Limit', limit);
    res.setHeader('X-RateLimit-Remaining', Math.max(0, limit - totalHits));
    res.setHeader('X-RateLimit-Reset', timeToExpire);
    if (!isBlocked) return;
    res.setHeader('Retry-After', timeToBlockExpire);
    throw new HttpException(
      `Too many callbacks from ${tracker}: at most ${limit} per minute are accepted from one address; retry after ${timeToBlockExpire} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
