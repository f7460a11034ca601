import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MappingEntity } from '../mappings/mapping.entity';
import { LmsError } from '../lms/moodle/moodle-errors';
import { BatchPush, Outcomes } from './batch-push';
import { retryOrGiveUp } from './batch-retry';
import { ClaimPace, MoodleAttempt, refusal } from './moodle-attempt';
import { Slots } from './slots';
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
      const push = mapping.connection!.kind === 'lti-ags' ? this.agsAttempt.begin(mapping, batch, lease) : this.moodle.begin(mapping, batch, lease, pace);
      await this.attempt(mapping, batch, lease, jobId, push);
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

  private async attempt(mapping: MappingEntity, batch: SyncEntity[], lease: ClaimLease, jobId: string, push: BatchPush): Promise<void> {
    const startedAt = new Date();
    const outcomes: Outcomes = new Map();
    const label = `job ${jobId}, mapping ${mapping.id}${mapping.connection!.kind === 'lti-ags' ? ' (lti-ags)' : ''}`;
    let failure: unknown = null;
    try {
      await push.run(outcomes);
    } catch (error) {
      failure = error;
    }
    if (failure instanceof LmsError && failure.code === LEASE_LOST) this.logger.warn(`${label}: ${failure.message}`);
    else if (failure instanceof LmsError && failure.code === 'token_undecryptable') this.logger.error(`${label}, connection ${mapping.connectionId}: ${failure.message}`);
    const callsOf = (sync: SyncEntity) => push.callsOf(sync);
    const withKnownUser = (sync: SyncEntity, outcome: SyncOutcome): SyncOutcome => (push.knownLmsUserId ? { lmsUserId: push.knownLmsUserId(sync), ...outcome } : outcome);
    const finishes: Finish[] = [];
    const unsettled: SyncEntity[] = [];
    for (const sync of batch) {
      const outcome = outcomes.get(sync.id) ?? outcomeOfFailure(failure);
      if (outcome) finishes.push({ sync, attempt: { outcome: outcome.state, reason: outcome.reason, errorCode: outcome.errorCode ?? null, calls: callsOf(sync), startedAt }, outcome: withKnownUser(sync, outcome) });
      else unsettled.push(sync);
    }
    const retries = unsettled.length > 0 ? retryOrGiveUp(this.config, unsettled, failure, callsOf, startedAt, this.logger) : { finishes: [], retry: null };
    lease.stop();
    const applied = await this.syncs.finishMany([...finishes, ...retries.finishes], lease.token);
    if (applied.size < batch.length) this.logger.warn(`${label}: ${batch.length - applied.size} sync(s) were taken over by another worker; their outcome here was not recorded`);
    const retrying = retries.retry?.syncs.filter((s) => applied.has(s.id)) ?? [];
    if (retrying.length > 0) await this.queue.enqueue(retrying, retries.retry!.delayMs);
    await this.redecideLosersOf(mapping, [...finishes, ...retries.finishes].filter((f) => applied.has(f.sync.id)));
    const summary = [...outcomes.values()].reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.state]: (acc[o.state] ?? 0) + 1 }), {});
    this.logger.log(`${label}: batch of ${batch.length} → ${JSON.stringify(summary)}${failure ? ` (${describe(failure)})` : ''}`);
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
