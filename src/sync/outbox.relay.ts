import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SyncQueue } from './sync.queue';
import { SyncRepository } from './sync.repository';

const BATCH = 500;

/** Enqueues stored syncs that are not in the queue: Redis was down at intake, or a job was lost. */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly config: AppConfig,
    private readonly syncs: SyncRepository,
    private readonly queue: SyncQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.OUTBOX_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => 0);
  }

  /** One pass; returns how many syncs it enqueued. Never throws. */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = this.relayAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async relayAll(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = await this.syncs.relayDue(BATCH, this.config.OUTBOX_STALE_AFTER_MS, this.config.OUTBOX_PENDING_GRACE_MS, (refs) => this.queue.enqueue(refs));
        total += n;
        if (n < BATCH) break;
      }
      if (total > 0) this.logger.log(`outbox relay enqueued ${total} sync(s)`);
    } catch (error) {
      this.logger.warn(`outbox relay pass failed: ${(error as Error).message}`);
    }
    return total;
  }
}
