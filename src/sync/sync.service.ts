import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MappingEntity } from '../mappings/mapping.entity';
import { LmsSessions } from '../lms/lms-sessions';
import { MoodleSession } from '../lms/moodle/moodle.client';
import { LmsError } from '../lms/moodle/moodle-errors';
import { backoffDelayMs } from './retry-policy';
import { studentCallsOf } from './attempt-calls';
import { ClaimPace, MoodleAttempt, Outcomes, refusal } from './moodle-attempt';
import { Slots } from './slots';
import { RecordedLmsCall } from './sync-attempt.entity';
import { OWN_DATA_FAILURES, SyncOutcome, SyncRefused } from './sync-outcome';
import { SyncEntity } from './sync.entity';
import { ClaimLease, LEASE_LOST } from './claim-lease';
import { AgsBatchAttempt } from './ags/ags-batch.attempt';
import { SyncQueue } from './sync.queue';
import { Claim, Finish, SyncRepository } from './sync.repository';

/**
 * Jobs one process runs at once, per claim pushing (SYNC_CONCURRENCY): the others wait for a
 * read-back (a course-wide read shared with other claims, which may take seconds) without holding
 * a pushing slot, so new claims keep writing meanwhile.
 */
export const JOBS_PER_PUSHING_SLOT = 16;

/** A read-back stops waiting for more writes once this many syncs of this process wait for read-backs (memory). */
const MAX_SYNCS_AWAITING_READ_BACK = 5000;

/**
 * Where a sync changes state. A job names one sync; the worker claims it together with the other
 * due syncs of the same grade item (one per student) and pushes them in one LMS call, then reads
 * back what landed (MoodleAttempt). Every decision is per sync; only the LMS calls are shared.
 * At most SYNC_CONCURRENCY claims are claiming or writing at once; a claim waiting for its
 * read-back gives its slot to the next.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);
  private readonly pushing: Slots;
  private activeJobs = 0;
  private syncsAwaitingReadBack = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly syncs: SyncRepository,
    private readonly queue: SyncQueue,
    private readonly sessions: LmsSessions,
    private readonly moodle: MoodleAttempt,
    private readonly agsAttempt: AgsBatchAttempt,
  ) {
    this.pushing = new Slots(config.SYNC_CONCURRENCY);
  }

  /** `jobId` only labels the log lines, so one job's work can be followed through the logs. */
  async process(syncId: string, jobId = syncId): Promise<void> {
    this.activeJobs += 1;
    try {
      await this.processClaim(syncId, jobId);
    } finally {
      this.activeJobs -= 1;
    }
  }

  private async processClaim(syncId: string, jobId: string): Promise<void> {
    const slot = await this.pushing.take();
    let claim: Claim;
    try {
      claim = await this.syncs.claimBatch(syncId, this.config.SYNC_BATCH_SIZE * this.config.SYNC_WRITES_PER_READ_BACK, this.config.SYNC_LEASE_MS);
    } catch (error) {
      slot();
      throw error;
    }
    if (claim.paused > 0) this.logger.warn(`job ${jobId}: paused ${claim.paused} sync(s): their mapping or connection is disabled`);
    if (claim.syncs.length === 0) return slot(); // finished already, not due, paused, or another worker holds it
    const batch = claim.syncs;
    const mapping = batch[0]!.mapping!;
    const lease = new ClaimLease(this.syncs, batch.map((s) => s.id), claim.token, this.config.SYNC_LEASE_MS).start();
    let awaiting = 0;
    const pace: ClaimPace = {
      writesDone: () => {
        slot();
        if (awaiting === 0) this.syncsAwaitingReadBack += (awaiting = batch.length);
      },
      moreWritesDue: (connectionId, courseId) => (this.mayAwaitMoreWrites() ? this.syncs.hasClaimableSyncs(connectionId, courseId) : Promise.resolve(false)),
    };
    try {
      if (mapping.connection!.kind === 'lti-ags') await this.agsAttempt.run(mapping, batch, lease, jobId);
      else await this.attempt(mapping, batch, lease, jobId, pace);
    } finally {
      slot();
      this.syncsAwaitingReadBack -= awaiting;
      lease.stop();
      // Syncs left out of this batch (batch full, or a second attempt of a student) get the next job.
      const next = await this.syncs.nextDue(mapping.id);
      if (next) await this.queue.enqueue([next]);
    }
  }

  /**
   * Whether a new claim could still start in this process while read-backs wait: a free job (the
   * queue runs SYNC_CONCURRENCY × JOBS_PER_PUSHING_SLOT) and room for its syncs in memory.
   */
  private mayAwaitMoreWrites(): boolean {
    return this.activeJobs < this.config.SYNC_CONCURRENCY * JOBS_PER_PUSHING_SLOT && this.syncsAwaitingReadBack < MAX_SYNCS_AWAITING_READ_BACK;
  }

  private async attempt(mapping: MappingEntity, batch: SyncEntity[], lease: ClaimLease, jobId: string, pace: ClaimPace): Promise<void> {
    const startedAt = new Date();
    const outcomes: Outcomes = new Map();
    const lmsUserIds = new Map<string, number>();
    let failure: unknown = null;
    let lms: MoodleSession | null = null;
    try {
      // A slot wait ends well before the lease would; the fence runs once the slot is held, right before each call.
      ({ lms } = this.sessions.open(mapping.connection!, { maxWaitMs: this.config.SYNC_LEASE_MS / 2, beforeCall: () => lease.assertHeld() }));
      await this.moodle.push(mapping, batch, lms, outcomes, lmsUserIds, pace);
    } catch (error) {
      failure = error;
    }
    if (failure instanceof LmsError && failure.code === LEASE_LOST) this.logger.warn(`job ${jobId}, mapping ${mapping.id}: ${failure.message}`);
    else if (failure instanceof LmsError && failure.code === 'token_undecryptable') this.logger.error(`job ${jobId}, mapping ${mapping.id}, connection ${mapping.connectionId}: ${failure.message}`);
    const calls = lms?.calls ?? [];
    const callsOfStudent = studentCallsOf(calls);
    const callsOf = (sync: SyncEntity) => callsOfStudent(lmsUserIds.get(sync.id) ?? sync.lmsUserId ?? undefined);
    const finishes: Finish[] = [];
    const unsettled: SyncEntity[] = [];
    for (const sync of batch) {
      const outcome = outcomes.get(sync.id) ?? outcomeOfFailure(failure);
      if (outcome) finishes.push({ sync, attempt: { outcome: outcome.state, reason: outcome.reason, errorCode: outcome.errorCode ?? null, calls: callsOf(sync), startedAt }, outcome });
      else unsettled.push(sync);
    }
    const retries = unsettled.length > 0 ? this.retryOrGiveUp(unsettled, failure, callsOf, startedAt) : { finishes: [], retry: null };
    lease.stop();
    const applied = await this.syncs.finishMany([...finishes, ...retries.finishes], lease.token);
    if (applied.size < batch.length) this.logger.warn(`job ${jobId}, mapping ${mapping.id}: ${batch.length - applied.size} sync(s) were taken over by another worker; their outcome here was not recorded`);
    const retrying = retries.retry?.syncs.filter((s) => applied.has(s.id)) ?? [];
    if (retrying.length > 0) await this.queue.enqueue(retrying, retries.retry!.delayMs);
    await this.redecideLosersOf(mapping, [...finishes, ...retries.finishes].filter((f) => applied.has(f.sync.id)));
    const summary = [...outcomes.values()].reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.state]: (acc[o.state] ?? 0) + 1 }), {});
    this.logger.log(`job ${jobId}, mapping ${mapping.id}: batch of ${batch.length} → ${JSON.stringify(summary)}${failure ? ` (${describe(failure)})` : ''}`);
  }

  /**
   * An attempt that failed may have been the one its rivals lost to: they are decided again. (An
   * attempt that failed for its own score never competed, so nobody lost to it.)
   */
  private async redecideLosersOf(mapping: MappingEntity, finished: readonly Finish[]): Promise<void> {
    const keys = new Set<string>();
    for (const { sync, outcome } of finished) {
      if (outcome.state === 'failed' && !OWN_DATA_FAILURES.includes(outcome.errorCode ?? '')) keys.add(sync.studentKey);
    }
    const redecided = await this.syncs.redecideLosers(mapping.id, [...keys]);
    if (redecided.length > 0) await this.queue.enqueue(redecided);
  }

  /**
   * A transient failure: the batch retries together (one due time, so it is claimed as one batch
   * again), except syncs that used up SYNC_MAX_ATTEMPTS, which fail with the last error.
   */
  private retryOrGiveUp(
    syncs: SyncEntity[],
    error: unknown,
    callsOf: (sync: SyncEntity) => RecordedLmsCall[],
    startedAt: Date,
  ): { finishes: Finish[]; retry: { syncs: SyncEntity[]; delayMs: number } | null } {
    const lmsError = error instanceof LmsError ? error : null;
    if (!lmsError) this.logger.error(`unexpected error in a batch of ${syncs.length}`, error instanceof Error ? error.stack : String(error));
    const reason = lmsError?.message ?? `internal error: ${describe(error)}`;
    const errorCode = lmsError?.code ?? 'internal_error';
    const attempts = (sync: SyncEntity) => sync.attemptCount - sync.retryBase;
    const delayMs = backoffDelayMs(Math.max(...syncs.map(attempts)), this.config.SYNC_BACKOFF_BASE_MS, this.config.SYNC_BACKOFF_MAX_MS);
    const retryAt = new Date(Date.now() + delayMs);
    const finishes: Finish[] = [];
    const retrying: SyncEntity[] = [];
    for (const sync of syncs) {
      if (attempts(sync) >= this.config.SYNC_MAX_ATTEMPTS) {
        const finalReason = `gave up after ${attempts(sync)} attempts; last error: ${reason}`;
        finishes.push({ sync, attempt: { outcome: 'failed', reason: finalReason, errorCode, calls: callsOf(sync), startedAt }, outcome: { state: 'failed', reason: finalReason, errorCode } });
        this.logger.warn(`sync ${sync.id}: ${finalReason}`);
      } else {
        finishes.push({ sync, attempt: { outcome: 'retry', reason, errorCode, calls: callsOf(sync), startedAt }, outcome: { state: 'queued', retryAt, reason: `will retry at ${retryAt.toISOString()}: ${reason}` } });
        retrying.push(sync);
      }
    }
    return { finishes, retry: retrying.length > 0 ? { syncs: retrying, delayMs } : null };
  }
}

/** A refusal or a permanent LMS error settles every sync it reached; anything else is retried (null). */
function outcomeOfFailure(failure: unknown): SyncOutcome | null {
  if (failure instanceof SyncRefused) return refusal(failure);
  if (failure instanceof LmsError && failure.kind === 'permanent') return { state: 'failed', reason: failure.message, errorCode: failure.code };
  return null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
