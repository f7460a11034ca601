import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LmsCallObservation, MoodleClient } from '../lms/moodle/moodle.client';
import { AgsClient } from '../lms/lti-ags/ags.client';
import { SYNC_STATES } from '../sync/sync.entity';
import { SyncQueue } from '../sync/sync.queue';
import { CALLBACK_OUTCOMES, CallbackOutcome, callbackOutcome } from './callback-outcome';
import { MetricsRepository } from './metrics.repository';
import { QUARANTINED_STATUSES } from '../quarantine/quarantine-statuses';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** A scrape must answer even when PostgreSQL or Redis does not: those gauges are then left out. */
const SOURCE_TIMEOUT_MS = 2000;
const LMS_CODE = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The service's Prometheus metrics, on a registry of its own (not prom-client's global one), so
 * several app instances in one process never clash. Gauges about syncs and the queue are read
 * from PostgreSQL and Redis at scrape time.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  private readonly logger = new Logger(MetricsService.name);
  readonly registry = new Registry();

  private readonly callbacks = new Counter({
    name: 'sgs_callbacks_total',
    help: 'Answers to POST /speechace/callback, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly failedKeyAttempts = new Counter({
    name: 'sgs_failed_key_attempts_total',
    help: 'Callbacks for a registered assessment whose key did not match',
    registers: [this.registry],
  });

  private readonly quarantined = new Counter({
    name: 'sgs_quarantined_total',
    help: 'Refused callbacks kept in the quarantine, by the outcome they were answered with',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  private readonly quarantineRows: Gauge = new Gauge({
    name: 'sgs_quarantine_rows',
    help: 'Callbacks in the quarantine now (from the database, at scrape time)',
    registers: [this.registry],
    collect: async () => {
      const rows = await this.read('quarantine rows', () => this.repository.quarantineRows());
      this.quarantineRows.reset();
      if (rows !== undefined) this.quarantineRows.set(rows);
    },
  });

  private readonly lmsCallDuration = new Histogram({
    name: 'sgs_lms_call_duration_seconds',
    help: 'Duration of LMS web-service calls, by function and outcome (ok, transient, permanent)',
    labelNames: ['function', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly lmsErrors = new Counter({
    name: 'sgs_lms_errors_total',
    help: 'Failed LMS calls, by function and error code (Moodle errorcode, network, timeout, http_<status>, invalid_response)',
    labelNames: ['function', 'code'],
    registers: [this.registry],
  });

  private readonly syncs: Gauge<'state'> = new Gauge({
    name: 'sgs_syncs',
    help: 'Syncs by state (from the database, at scrape time)',
    labelNames: ['state'],
    registers: [this.registry],
    collect: async () => {
      const counts = await this.read('sync counts', () => this.repository.syncCountsByState());
      this.syncs.reset();
      if (counts) for (const state of SYNC_STATES) this.syncs.set({ state }, counts.get(state) ?? 0);
    },
  });

  private readonly queueJobs: Gauge<'state'> = new Gauge({
    name: 'sgs_queue_jobs',
    help: 'Jobs in the Bull queue by state (from Redis, at scrape time)',
    labelNames: ['state'],
    registers: [this.registry],
    collect: async () => {
      const counts = await this.read('queue counts', () => this.queue.counts());
      this.queueJobs.reset();
      if (counts) for (const state of QUEUE_STATES) this.queueJobs.set({ state }, counts[state] ?? 0);
    },
  });

  private readonly oldestOpenSync: Gauge = new Gauge({
    name: 'sgs_oldest_open_sync_age_seconds',
    help: 'Age in seconds of the oldest pending or queued sync; 0 when none is open',
    registers: [this.registry],
    collect: async () => {
      const age = await this.read('the oldest open sync', () => this.repository.oldestOpenSyncAgeSeconds());
      this.oldestOpenSync.reset();
      if (age !== undefined) this.oldestOpenSync.set(age);
    },
  });

  constructor(
    private readonly repository: MetricsRepository,
    private readonly queue: SyncQueue,
    private readonly moodle: MoodleClient,
    private readonly ags: AgsClient,
  ) {
    collectDefaultMetrics({ register: this.registry });
    for (const outcome of CALLBACK_OUTCOMES) this.callbacks.inc({ outcome }, 0);
    for (const status of QUARANTINED_STATUSES) this.quarantined.inc({ outcome: callbackOutcome(status) }, 0);
  }

  onModuleInit(): void {
    this.moodle.onCall((call) => this.observeLmsCall(call));
    this.ags.onCall((call) => this.observeLmsCall(call));
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  callbackAnswered(outcome: CallbackOutcome): void {
    this.callbacks.inc({ outcome });
  }

  callbackQuarantined(status: number): void {
    this.quarantined.inc({ outcome: callbackOutcome(status) });
  }

  failedKeyAttempt(): void {
    this.failedKeyAttempts.inc();
  }

  private observeLmsCall(call: LmsCallObservation): void {
    this.lmsCallDuration.observe({ function: call.function, outcome: call.outcome }, call.durationMs / 1000);
    if (call.errorCode !== null) {
      this.lmsErrors.inc({ function: call.function, code: LMS_CODE.test(call.errorCode) ? call.errorCode : 'other' });
    }
  }

  private async read<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_TIMEOUT_MS} ms`)), SOURCE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn(`metrics: could not read ${what}: ${(error as Error).message}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
