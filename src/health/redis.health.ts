import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Queue } from 'bull';
import { SYNC_QUEUE } from '../sync/sync.queue';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @InjectQueue(SYNC_QUEUE) private readonly queue: Queue,
    private readonly indicator: HealthIndicatorService,
  ) {}

  async check(key: string): Promise<HealthIndicatorResult> {
    const check = this.indicator.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.client.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS))),
      ]);
      return check.up();
    } catch (error) {
      return check.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
