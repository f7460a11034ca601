import { InjectQueue } from '@nestjs/bull';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { SYNC_JOB, SYNC_QUEUE, SyncJobData } from './sync.queue';
import { JOBS_PER_PUSHING_SLOT, SyncService } from './sync.service';

/**
 * The Bull worker, started only in processes whose ROLE includes the worker. Thin: a job names a
 * sync and SyncService decides everything. Registered by hand (not with @Process) so that the
 * concurrency comes from the validated config.
 */
@Injectable()
export class SyncProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncProcessor.name);

  constructor(
    private readonly config: AppConfig,
    @InjectQueue(SYNC_QUEUE) private readonly queue: Queue<SyncJobData>,
    private readonly syncs: SyncService,
  ) {}

  onApplicationBootstrap(): void {
    // A failed job is not retried by Bull (attempts: 1): the sync stays open in PostgreSQL and the
    // outbox relay enqueues it again with a new job. The log line says which sync and why.
    this.queue.on('failed', (job: Job<SyncJobData>, error: Error) =>
      this.logger.error(`job ${job.id} for sync ${job.data?.syncId ?? '?'} failed: ${error.message}; the outbox relay will enqueue the sync again`),
    );
    // SyncService lets SYNC_CONCURRENCY of them claim and write at once; the others wait for read-backs.
    void this.queue
      .process(SYNC_JOB, this.config.SYNC_CONCURRENCY * JOBS_PER_PUSHING_SLOT, (job: Job<SyncJobData>) => this.syncs.process(job.data.syncId, String(job.id)))
      .catch((error: Error) => this.logger.error(`sync worker stopped: ${error.message}`));
    this.logger.log(`sync worker started (${this.config.SYNC_CONCURRENCY} claims writing at once, ${this.config.SYNC_CONCURRENCY * JOBS_PER_PUSHING_SLOT} jobs)`);
  }

  /**
   * Before any module closes (the database goes in onApplicationShutdown): stop taking jobs and
   * wait for the active ones, so a push in flight finishes and records its outcome.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('stopping the sync worker: finishing active jobs');
    await this.queue.close();
  }
}
