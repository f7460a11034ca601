import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SyncQueue } from './sync.queue';
import { SyncRef } from './sync.repository';

export interface NewSync extends SyncRef {
  mappingId: string;
}

/** How long intake gathers new syncs before it writes their wake-up jobs to Redis, in one call. */
const FLUSH_AFTER_MS = 20;

/**
 * Wakes the worker for syncs that intake just stored, with one queue job per grade item (mapping)
 * and batch window instead of one Redis write per callback. A job only says "push this mapping's
 * due syncs": the worker claims up to SYNC_BATCH_SIZE × SYNC_WRITES_PER_READ_BACK of them,
 * whichever sync the job names, and chains a job for the rest. A sync whose wake-up never reached Redis (Redis down, this process
 * ended before flushing) is still `pending` in PostgreSQL, and the outbox relay enqueues it after
 * OUTBOX_PENDING_GRACE_MS: nothing here is needed for durability, only for speed.
 */
@Injectable()
export class SyncWakeups implements OnModuleDestroy {
  /** Mapping id → the sync its next job will name. */
  private readonly gathered = new Map<string, SyncRef>();
  /** Mapping id → until when a job already in Redis will still claim newly stored syncs. */
  private readonly coveredUntil = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly queue: SyncQueue,
    private readonly config: AppConfig,
  ) {}

  /** Never waits and never throws: intake answers as soon as the syncs are committed. */
  notify(syncs: readonly NewSync[]): void {
    if (this.closed) return;
    const now = Date.now();
    for (const sync of syncs) {
      if ((this.coveredUntil.get(sync.mappingId) ?? 0) > now) continue;
      if (!this.gathered.has(sync.mappingId)) this.gathered.set(sync.mappingId, { id: sync.id, attemptCount: sync.attemptCount });
    }
    if (this.gathered.size > 0 && !this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes the gathered wake-ups; resolves when Redis took them or gave up (the relay covers that). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.gathered.size === 0) return this.flushing;
    const batch = [...this.gathered];
    this.gathered.clear();
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async write(batch: [string, SyncRef][]): Promise<void> {
    const window = this.config.SYNC_BATCH_WINDOW_MS;
    const sentAt = Date.now();
    if (!(await this.queue.enqueue(batch.map(([, ref]) => ref), window))) return;
    // The job fires `window` after sentAt and claims every due sync of its mapping. Half the
    // window leaves room for clocks that differ between processes; later syncs get a job of their own.
    const until = sentAt + window / 2;
    for (const [mappingId] of batch) this.coveredUntil.set(mappingId, until);
    if (this.coveredUntil.size > 10_000) this.forgetExpired(Date.now());
  }

  private forgetExpired(now: number): void {
    for (const [mappingId, until] of this.coveredUntil) if (until <= now) this.coveredUntil.delete(mappingId);
  }
}
