import { Logger } from '@nestjs/common';
import { LmsError } from '../lms/moodle/moodle-errors';
import { SyncRepository } from './sync.repository';

export const LEASE_LOST = 'lease_lost';

/**
 * Thrown before an LMS call by a worker whose claim was taken over: it must not push again. (The
 * Moodle session re-wraps errors of a call, so callers recognise it by its code.)
 */
export class LeaseLost extends LmsError {
  constructor(lost: number) {
    super('transient', LEASE_LOST, `this worker lost its claim on ${lost} sync(s) (its lease ran out and another worker took them over); it stopped before calling the LMS again`);
    this.name = 'LeaseLost';
  }
}

/**
 * The lease of one claim: renewed every third of SYNC_LEASE_MS while the worker works on it (the
 * heartbeat), and checked (and renewed) right before each LMS call (the fence). A worker that is
 * killed stops renewing, so its syncs are free again within one lease.
 */
export class ClaimLease {
  private readonly logger = new Logger(ClaimLease.name);
  private timer?: NodeJS.Timeout;
  private lost = 0;

  constructor(
    private readonly syncs: SyncRepository,
    private readonly ids: readonly string[],
    readonly token: string,
    private readonly leaseMs: number,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.renew().catch((error: Error) => this.logger.warn(`lease renewal failed: ${error.message}`)), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Renews the lease and throws LeaseLost when any sync of the claim is no longer ours. */
  async assertHeld(): Promise<void> {
    if (this.lost === 0) {
      try {
        await this.renew();
      } catch (error) {
        // Not knowing is not holding: without PostgreSQL the claim cannot be confirmed, so no call.
        throw new LmsError('transient', 'lease_unconfirmed', `could not confirm this worker's claim before calling the LMS: ${(error as Error).message}`);
      }
    }
    if (this.lost > 0) throw new LeaseLost(this.lost);
  }

  private async renew(): Promise<void> {
    if (this.lost > 0) return;
    const held = await this.syncs.renewLease(this.ids, this.token, this.leaseMs);
    if (held.size < this.ids.length) {
      this.lost = this.ids.length - held.size;
      this.logger.warn(`claim ${this.token}: ${this.lost} of ${this.ids.length} sync(s) were taken over; this worker stops pushing them`);
    }
  }
}
