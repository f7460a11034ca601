import { Injectable, Logger } from '@nestjs/common';
import { SyncQueue } from './sync.queue';
import { SyncRepository } from './sync.repository';

/**
 * Disabling a mapping or a connection pauses its open syncs (state `paused`, with a reason);
 * enabling it again puts them back to pending and wakes the worker. A sync a worker holds while
 * it is disabled finishes that attempt; the next claim pauses whatever is left.
 */
@Injectable()
export class SyncPauses {
  private readonly logger = new Logger(SyncPauses.name);

  constructor(
    private readonly syncs: SyncRepository,
    private readonly queue: SyncQueue,
  ) {}

  /** Call after the mapping's `enabled` changed. */
  async mappingChanged(mappingId: string, enabled: boolean): Promise<void> {
    await this.apply(enabled, 'm.id = $1', [mappingId], `mapping ${mappingId}`);
  }

  /** Call after the connection's `enabled` changed. */
  async connectionChanged(connectionId: string, enabled: boolean): Promise<void> {
    await this.apply(enabled, 'c.id = $1', [connectionId], `connection ${connectionId}`);
  }

  private async apply(enabled: boolean, where: string, params: unknown[], what: string): Promise<void> {
    if (!enabled) {
      const paused = await this.syncs.pauseWhere(where, params);
      if (paused > 0) this.logger.log(`${what} disabled: paused ${paused} open sync(s)`);
      return;
    }
    const wake = await this.syncs.resumeWhere(where, params);
    if (wake.length === 0) return;
    this.logger.log(`${what} enabled: resumed the paused syncs of ${wake.length} mapping(s)`);
    // A worker's claim takes the mapping's due syncs whichever one the job names; if Redis does not
    // take the jobs, the syncs are pending and the outbox relay enqueues them.
    if (await this.queue.enqueue(wake)) await this.syncs.markQueued(wake.map((w) => w.id));
  }
}
