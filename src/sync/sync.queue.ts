import { randomBytes } from 'node:crypto';
import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bull';

export const SYNC_QUEUE = 'grade-sync';
export const SYNC_JOB = 'push-grade';
export interface SyncJobData {
  syncId: string;
}

/** How long intake waits for Redis before leaving the sync to the outbox relay. */
const ENQUEUE_TIMEOUT_MS = 1500;

/**
 * Puts syncs on the Bull queue. The database is the source of truth: a job only says "look at
 * this sync now", so a lost or repeated job is harmless (a claim takes only due, free syncs).
 * Every enqueue gets a job id of its own: Bull silently ignores `add` with the id of any job it
 * still keeps, failed and completed ones included, so an id that repeats (say, per attempt) can
 * leave a sync marked queued with no job that will ever run.
 */
@Injectable()
export class SyncQueue {
  private readonly logger = new Logger(SyncQueue.name);

  constructor(@InjectQueue(SYNC_QUEUE) private readonly queue: Queue<SyncJobData>) {
    // Without a listener, a Redis outage would surface as an unhandled 'error' event and end the process.
    queue.on('error', (error: Error) => this.logger.warn(`queue: ${error.message}`));
  }

  /** Resolves true when Redis took every job; never throws (the relay retries what did not land). */
  async enqueue(syncs: readonly { id: string; attemptCount: number }[], delayMs = 0): Promise<boolean> {
    if (syncs.length === 0) return true;
    const jobs = syncs.map((s) => ({
      name: SYNC_JOB,
      data: { syncId: s.id },
      opts: { jobId: `${s.id}-a${s.attemptCount}-${nextEnqueueTag()}`, delay: delayMs, attempts: 1, removeOnComplete: true, removeOnFail: 1000 },
    }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.addBulk(jobs),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not take the jobs within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (error) {
      this.logger.warn(`Could not enqueue ${syncs.length} sync(s); the outbox relay will: ${(error as Error).message}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async counts(): Promise<Record<string, number>> {
    return (await this.queue.getJobCounts()) as unknown as Record<string, number>;
  }
}

const processTag = randomBytes(4).toString('hex');
let enqueued = 0;

/** Unique across processes and restarts: a random tag per process and a counter. */
function nextEnqueueTag(): string {
  enqueued += 1;
  return `${processTag}${enqueued.toString(36)}`;
}

