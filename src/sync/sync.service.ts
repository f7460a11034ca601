import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { MappingEntity, moodleTarget } from '../mappings/mapping.entity';
import { LmsSessions } from '../lms/lms-sessions';
import { MoodleSession } from '../lms/moodle/moodle.client';
import { LmsError } from '../lms/moodle/moodle-errors';
import { GradeItemRef, MoodleGradeWriter } from '../lms/moodle/moodle-grade.writer';
import { MoodleUserDirectory } from '../lms/moodle/moodle-user.directory';
import { MoodleGradeItem } from '../lms/moodle/moodle.types';
import { attemptPolicyObjection, RivalAttempt } from './attempt-policy';
import { feedbackHtml } from './feedback';
import { backoffDelayMs } from './retry-policy';
import { gradesEqual, isWithinScale, scaleScore } from './score-scale';
import { callsForStudent } from './attempt-calls';
import { RecordedLmsCall } from './sync-attempt.entity';
import { ATTEMPT_POLICY, OWN_DATA_FAILURES, SyncOutcome, SyncRefused } from './sync-outcome';
import { SyncEntity } from './sync.entity';
import { ClaimLease, LEASE_LOST } from './claim-lease';
import { AgsBatchAttempt } from './ags/ags-batch.attempt';
import { SyncQueue } from './sync.queue';
import { Finish, SyncRepository } from './sync.repository';

interface Candidate {
  sync: SyncEntity;
  score: number;
  userId: number;
  grade: number;
}

type Outcomes = Map<string, SyncOutcome>;
type Settle = (sync: SyncEntity, outcome: SyncOutcome) => void;

/**
 * Permanent errors that say nothing about one entry of a write call: the same call would fail
 * for any student, so a refused batch is not split for them.
 */
const CALL_WIDE_ERRORS = new Set([
  'invalidtoken', 'accessexception', 'wsaccessusersuspended', 'nopermissions', 'nopermissiontoviewgrades',
  'invalidcoursemodule', 'errorcoursecontextnotvalid', 'token_undecryptable',
]);

/**
 * Where a sync changes state. A job names one sync; the worker claims it together with the other
 * due syncs of the same grade item (one per student) and pushes them in one LMS call, then reads
 * back what landed. Every decision is per sync; only the LMS calls are shared.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly syncs: SyncRepository,
    private readonly queue: SyncQueue,
    private readonly sessions: LmsSessions,
    private readonly users: MoodleUserDirectory,
    private readonly writer: MoodleGradeWriter,
    private readonly agsAttempt: AgsBatchAttempt,
  ) {}

  /** `jobId` only labels the log lines, so one job's work can be followed through the logs. */
  async process(syncId: string, jobId = syncId): Promise<void> {
    const claim = await this.syncs.claimBatch(syncId, this.config.SYNC_BATCH_SIZE * this.config.SYNC_WRITES_PER_READ_BACK, this.config.SYNC_LEASE_MS);
    if (claim.paused > 0) this.logger.warn(`job ${jobId}: paused ${claim.paused} sync(s): their mapping or connection is disabled`);
    if (claim.syncs.length === 0) return; // finished already, not due, paused, or another worker holds it
    const batch = claim.syncs;
    const mapping = batch[0]!.mapping!;
    const lease = new ClaimLease(this.syncs, batch.map((s) => s.id), claim.token, this.config.SYNC_LEASE_MS).start();
    try {
      if (mapping.connection!.kind === 'lti-ags') await this.agsAttempt.run(mapping, batch, lease, jobId);
      else await this.attempt(mapping, batch, lease, jobId);
    } finally {
      lease.stop();
      // Syncs left out of this batch (batch full, or a second attempt of a student) get the next job.
      const next = await this.syncs.nextDue(mapping.id);
      if (next) await this.queue.enqueue([next]);
    }
  }

  private async attempt(mapping: MappingEntity, batch: SyncEntity[], lease: ClaimLease, jobId: string): Promise<void> {
    const startedAt = new Date();
    const outcomes: Outcomes = new Map();
    const lmsUserIds = new Map<string, number>();
    let failure: unknown = null;
    let lms: MoodleSession | null = null;
    try {
      // A slot wait ends well before the lease would; the fence runs once the slot is held, right before each call.
      ({ lms } = this.sessions.open(mapping.connection!, { maxWaitMs: this.config.SYNC_LEASE_MS / 2, beforeCall: () => lease.assertHeld() }));
      await this.push(mapping, batch, lms, outcomes, lmsUserIds);
    } catch (error) {
      failure = error;
    }
    if (failure instanceof LmsError && failure.code === LEASE_LOST) this.logger.warn(`job ${jobId}, mapping ${mapping.id}: ${failure.message}`);
    else if (failure instanceof LmsError && failure.code === 'token_undecryptable') this.logger.error(`job ${jobId}, mapping ${mapping.id}, connection ${mapping.connectionId}: ${failure.message}`);
    const calls = lms?.calls ?? [];
    const callsOf = (sync: SyncEntity) => callsForStudent(calls, lmsUserIds.get(sync.id) ?? sync.lmsUserId ?? undefined);
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

  /** Settles what it can in `outcomes`; throws for whatever is left when a shared LMS call fails. */
  private async push(mapping: MappingEntity, batch: SyncEntity[], lms: MoodleSession, outcomes: Outcomes, lmsUserIds: Map<string, number>): Promise<void> {
    const settle = (sync: SyncEntity, outcome: SyncOutcome) => outcomes.set(sync.id, outcome);
    const scored: { sync: SyncEntity; score: number }[] = [];
    for (const sync of batch) {
      const score = sync.submission!.scores[mapping.scoreField];
      if (score === undefined) {
        settle(sync, { state: 'failed', reason: `the callback has no ${mapping.scoreField} score, which this mapping grades`, errorCode: 'score_missing' });
      } else if (!isWithinScale(score, mapping)) {
        settle(sync, {
          state: 'failed',
          reason: `${mapping.scoreField} score ${score} is outside the mapping's source scale ${mapping.sourceMin}–${mapping.sourceMax}; fix the scale and retry`,
          errorCode: 'score_out_of_scale',
        });
      } else {
        scored.push({ sync, score });
      }
    }
    if (scored.length === 0) return;

    const userIds = await this.users.resolveUserIds(lms, mapping.connectionId, mapping.userMatch, scored.map((s) => s.sync.userRef), mapping.lmsCourseId);
    const enrolled: { sync: SyncEntity; score: number; userId: number }[] = [];
    for (const { sync, score } of scored) {
      const userId = userIds.get(sync.userRef)!;
      if (userId instanceof SyncRefused) {
        settle(sync, refusal(userId));
        continue;
      }
      lmsUserIds.set(sync.id, userId);
      try {
        await this.users.assertEnrolled(lms, mapping.connectionId, mapping.lmsCourseId, userId);
        enrolled.push({ sync, score, userId });
      } catch (error) {
        if (!(error instanceof SyncRefused)) throw error;
        settle(sync, { ...refusal(error), lmsUserId: userId });
      }
    }
    if (enrolled.length === 0) return;

    const ref = { connectionId: mapping.connectionId, courseId: mapping.lmsCourseId, target: moodleTarget(mapping.target) };
    const before = await this.writer.inspectMany(lms, ref, enrolled.map((e) => e.userId), true);
    const rivals = await this.syncs.rivalsOf(enrolled.map((e) => e.sync), lmsUserIds);
    const toWrite: Candidate[] = [];
    for (const { sync, score, userId } of enrolled) {
      const item = before.get(userId)!;
      const grade = scaleScore(score, mapping, Number(item.grademin), Number(item.grademax));
      const decided = this.decide(mapping, sync, score, grade, item, rivals.get(sync.id)!);
      if (decided) settle(sync, { ...decided, grade, lmsUserId: userId });
      else toWrite.push({ sync, score, userId, grade });
    }
    if (toWrite.length === 0) return;

    await this.write(lms, ref, toWrite, settle);
  }

  /**
   * Calls of at most SYNC_BATCH_SIZE grades, then one read-back for all that were sent. A call
   * settles only its own syncs: a permanent error fails them (Moodle has no transaction, so the
   * calls before it stand and are read back like any other), and a call refused for one entry is
   * split: the read-back tells which of its entries landed before the bad one, and the others are
   * written one at a time, each with its own outcome. A transient error stops the writing; what
   * was sent is still read back, and the rest retries (the retry reads Moodle first).
   */
  private async write(lms: MoodleSession, ref: GradeItemRef & { connectionId: string }, toWrite: Candidate[], settle: Settle): Promise<void> {
    const written: Candidate[] = [];
    let stop: unknown = null;
    const send = async (chunk: Candidate[]): Promise<void> => {
      const entries = chunk.map((c) => ({ userId: c.userId, grade: c.grade, feedbackHtml: feedbackHtml(c.sync.submission!.scores, c.sync.submission!.reportUrl) }));
      const settledByAnswer = await this.writer.write(lms, ref, entries);
      if (settledByAnswer) for (const c of chunk) settle(c.sync, { ...settledByAnswer, grade: c.grade, lmsUserId: c.userId });
      else written.push(...chunk);
    };
    const failOwn = (chunk: Candidate[], error: LmsError) => {
      for (const c of chunk) settle(c.sync, { state: 'failed', reason: error.message, errorCode: error.code, grade: c.grade, lmsUserId: c.userId });
    };
    for (let from = 0; from < toWrite.length && stop === null; from += this.config.SYNC_BATCH_SIZE) {
      const chunk = toWrite.slice(from, from + this.config.SYNC_BATCH_SIZE);
      try {
        await send(chunk);
      } catch (error) {
        if (!isPermanent(error)) {
          stop = error;
        } else if (chunk.length === 1 || CALL_WIDE_ERRORS.has(error.code)) {
          failOwn(chunk, error);
        } else {
          stop = await this.writeOneByOne(lms, ref, chunk, send, failOwn, settle);
        }
      }
    }
    if (written.length > 0) {
      const after = await this.writer.inspectMany(lms, ref, written.map((c) => c.userId));
      for (const c of written) settle(c.sync, { ...this.writer.outcomeOf(after.get(c.userId)!, c.grade), lmsUserId: c.userId });
    }
    if (stop !== null) throw stop;
  }

  /** After a refused call: the entries that landed before the bad one are read back, the others sent alone. Returns a transient error that stopped it, if any. */
  private async writeOneByOne(
    lms: MoodleSession,
    ref: GradeItemRef & { connectionId: string },
    chunk: Candidate[],
    send: (chunk: Candidate[]) => Promise<void>,
    failOwn: (chunk: Candidate[], error: LmsError) => void,
    settle: Settle,
  ): Promise<unknown> {
    const now = await this.writer.inspectMany(lms, ref, chunk.map((c) => c.userId));
    for (const c of chunk) {
      if (gradesEqual(now.get(c.userId)!.graderaw, c.grade)) {
        settle(c.sync, { ...this.writer.outcomeOf(now.get(c.userId)!, c.grade), lmsUserId: c.userId });
        continue;
      }
      try {
        await send([c]);
      } catch (error) {
        if (!isPermanent(error)) return error;
        failOwn([c], error);
      }
    }
    return null;
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

  /** Why this grade must not be written (attempt policy, lock, override, already there), or null to write it. */
  private decide(mapping: MappingEntity, sync: SyncEntity, score: number, grade: number, item: MoodleGradeItem, rivals: RivalAttempt[]): SyncOutcome | null {
    const submission = sync.submission!;
    const self = { score, receivedAt: submission.receivedAt, submissionId: submission.id, seq: Number(submission.seq) };
    const gradable = (s: number | null) => s !== null && isWithinScale(s, mapping);
    const objection = attemptPolicyObjection(mapping.attemptPolicy, self, rivals, gradable);
    if (objection) return { state: 'skipped', reason: objection, errorCode: ATTEMPT_POLICY };
    try {
      this.writer.assertWritable(item);
    } catch (error) {
      if (error instanceof SyncRefused) return refusal(error);
      throw error;
    }
    if (!gradesEqual(item.graderaw, grade)) return null;
    // A retry after a crash finds its own earlier push; a first attempt finds the grade already there.
    return sync.attemptCount - sync.retryBase > 1
      ? { state: 'synced', reason: 'Moodle already held this grade (written by an earlier attempt)' }
      : { state: 'skipped', reason: `unchanged: Moodle already holds ${grade}; nothing was sent` };
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

function refusal(error: SyncRefused): SyncOutcome {
  return { state: error.state, reason: error.message, errorCode: error.errorCode };
}

/** A refusal or a permanent LMS error settles every sync it reached; anything else is retried (null). */
function outcomeOfFailure(failure: unknown): SyncOutcome | null {
  if (failure instanceof SyncRefused) return refusal(failure);
  if (failure instanceof LmsError && failure.kind === 'permanent') return { state: 'failed', reason: failure.message, errorCode: failure.code };
  return null;
}

function isPermanent(error: unknown): error is LmsError {
  return error instanceof LmsError && error.kind === 'permanent';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
