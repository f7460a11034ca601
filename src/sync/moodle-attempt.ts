import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { LmsSessions } from '../lms/lms-sessions';
import { MappingEntity, moodleTarget } from '../mappings/mapping.entity';
import { MoodleSession } from '../lms/moodle/moodle.client';
import { LmsError } from '../lms/moodle/moodle-errors';
import { GradeItemRef, MoodleGradeWriter } from '../lms/moodle/moodle-grade.writer';
import { MoodleUserDirectory } from '../lms/moodle/moodle-user.directory';
import { MoodleGradeItem } from '../lms/moodle/moodle.types';
import { attemptPolicyObjection, RivalAttempt } from './attempt-policy';
import { feedbackHtml } from './feedback';
import { gradesEqual, isWithinScale, scaleScore } from './score-scale';
import { ATTEMPT_POLICY, SyncOutcome, SyncRefused } from './sync-outcome';
import { SyncEntity } from './sync.entity';
import { SyncRepository } from './sync.repository';
import { studentCallsOf } from './attempt-calls';
import { BatchPush, Outcomes } from './batch-push';
import { ClaimLease } from './claim-lease';
import { RecordedLmsCall } from './sync-attempt.entity';

interface Candidate {
  sync: SyncEntity;
  score: number;
  userId: number;
  grade: number;
}

/**
 * What the worker knows of a student's grade before writing. `exact`: read from the grade report,
 * with the student's locks and override; otherwise the assignment's own grade (mod_assign_get_grades)
 * and the item's range and lock, and only the read-back shows the student's gradebook state.
 */
interface Before {
  item: MoodleGradeItem;
  exact: boolean;
}

type ItemRef = GradeItemRef & { connectionId: string };

/** How one claim's push fits in with the worker's other claims. */
export interface ClaimPace {
  /** Called once, when the claim will write no more (before it waits for its read-back). */
  writesDone(): void;
  /** Whether writes into this course may start soon in this worker: a read-back of the course waits for them. */
  moreWritesDue(connectionId: string, courseId: number): Promise<boolean>;
}
type Settle = (sync: SyncEntity, outcome: SyncOutcome) => void;

/**
 * Permanent errors that say nothing about one entry of a write call: the same call would fail
 * for any student, so a refused batch is not split for them.
 */
const CALL_WIDE_ERRORS = new Set([
  'invalidtoken', 'accessexception', 'wsaccessusersuspended', 'nopermissions', 'nopermissiontoviewgrades',
  'invalidcoursemodule', 'errorcoursecontextnotvalid', 'token_undecryptable',
]);

/** Write calls of one claim in flight at once: Moodle has several PHP workers and cores. */
const WRITE_CALLS_IN_FLIGHT = 2;

/**
 * One claim's push of a batch into Moodle: who the students are, what Moodle holds, what to write,
 * and the read-back that decides synced from blocked. Every decision is per sync; only the calls
 * are shared. Reads as little as truth allows: for an assignment, its own grades (one cheap call)
 * and one student's view of the item (range, lock) before writing, never the course-wide report;
 * that report is read once after the writes, shared with the other claims writing into the course.
 */
@Injectable()
export class MoodleAttempt {
  constructor(
    private readonly config: AppConfig,
    private readonly syncs: SyncRepository,
    private readonly users: MoodleUserDirectory,
    private readonly writer: MoodleGradeWriter,
    private readonly sessions: LmsSessions,
  ) {}

  /** This batch's push through the connection's Moodle web-services session. */
  begin(mapping: MappingEntity, batch: SyncEntity[], lease: ClaimLease, pace: ClaimPace): BatchPush {
    const lmsUserIds = new Map<string, number>();
    let lms: MoodleSession | null = null;
    let callsOfStudent: ((lmsUserId: number | undefined) => RecordedLmsCall[]) | null = null;
    return {
      run: async (outcomes) => {
        // A slot wait ends well before the lease would; the fence runs once the slot is held, right before each call.
        ({ lms } = this.sessions.open(mapping.connection!, { maxWaitMs: this.config.SYNC_LEASE_MS / 2, beforeCall: () => lease.assertHeld() }));
        await this.push(mapping, batch, lms, outcomes, lmsUserIds, pace);
      },
      callsOf: (sync) => (callsOfStudent ??= studentCallsOf(lms?.calls ?? []))(lmsUserIds.get(sync.id) ?? sync.lmsUserId ?? undefined),
    };
  }

  /**
   * Settles what it can in `outcomes`; throws for whatever is left when a shared LMS call fails.
   */
  async push(mapping: MappingEntity, batch: SyncEntity[], lms: MoodleSession, outcomes: Outcomes, lmsUserIds: Map<string, number>, pace: ClaimPace): Promise<void> {
    const ref: ItemRef = { connectionId: mapping.connectionId, courseId: mapping.lmsCourseId, target: moodleTarget(mapping.target) };
    const stopWriting = this.writer.writing(ref);
    const done = () => {
      stopWriting();
      pace.writesDone();
    };
    try {
      await this.pushWriting(mapping, ref, batch, lms, outcomes, lmsUserIds, done, pace);
    } finally {
      done();
    }
  }

  private async pushWriting(
    mapping: MappingEntity,
    ref: ItemRef,
    batch: SyncEntity[],
    lms: MoodleSession,
    outcomes: Outcomes,
    lmsUserIds: Map<string, number>,
    done: () => void,
    pace: ClaimPace,
  ): Promise<void> {
    const settle: Settle = (sync, outcome) => outcomes.set(sync.id, outcome);
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

    const before = await this.readBefore(lms, ref, enrolled.map((e) => e.userId));
    const rivals = await this.syncs.rivalsOf(enrolled.map((e) => e.sync), lmsUserIds);
    const toWrite: Candidate[] = [];
    const toConfirm: Candidate[] = [];
    for (const { sync, score, userId } of enrolled) {
      const known = before.get(userId)!;
      const grade = scaleScore(score, mapping, Number(known.item.grademin), Number(known.item.grademax));
      const decided = this.decide(mapping, sync, score, grade, known, rivals.get(sync.id)!);
      if (decided === 'write') toWrite.push({ sync, score, userId, grade });
      else if (decided === 'confirm') toConfirm.push({ sync, score, userId, grade });
      else settle(sync, { ...decided, grade, lmsUserId: userId });
    }
    if (toWrite.length + toConfirm.length === 0) return;

    const moreWritesDue = () => pace.moreWritesDue(ref.connectionId, ref.courseId);
    const late = await this.writeAndReadBack(lms, ref, toWrite, toConfirm, settle, done, moreWritesDue);
    // The assignment held the grade but the gradebook did not (rare: written there by other means).
    if (late.length > 0) await this.writeAndReadBack(lms, ref, late, [], settle, this.writer.writing(ref), moreWritesDue);
  }

  /**
   * Before writing: for an assignment, its own grades and one student's view of the item (both
   * shared with the other claims of a burst); else, or when the token may not read the
   * assignment's grades, the grade report (course-wide from 4 students).
   */
  private async readBefore(lms: MoodleSession, ref: ItemRef, userIds: readonly number[]): Promise<Map<number, Before>> {
    const before = new Map<number, Before>();
    if (ref.target.type === 'assign') {
      const grades = await this.writer.assignGrades(lms, ref, ref.target.assignmentId);
      if (grades) {
        const item = await this.writer.itemView(lms, { ...ref, userId: userIds[0]! });
        for (const userId of userIds) {
          before.set(userId, { item: { ...item, graderaw: grades.get(userId) ?? null, gradeislocked: false, gradeisoverridden: false }, exact: false });
        }
        return before;
      }
    }
    const items = await this.writer.inspectMany(lms, ref, userIds, true);
    for (const [userId, item] of items) before.set(userId, { item, exact: true });
    return before;
  }

  /**
   * Calls of at most SYNC_BATCH_SIZE grades (WRITE_CALLS_IN_FLIGHT at a time), then one read-back
   * for all that were sent and those to confirm. A call settles only its own syncs: a permanent
   * error fails them (Moodle has no transaction, so the calls before it stand and are read back
   * like any other), and a call refused for one entry is split: the read-back tells which of its
   * entries landed before the bad one, and the others are written one at a time, each with its own
   * outcome. A transient error stops the writing; what was sent is still read back, and the rest
   * retries (the retry reads Moodle first). Returns the syncs to confirm that must be written after all.
   */
  private async writeAndReadBack(
    lms: MoodleSession,
    ref: ItemRef,
    toWrite: Candidate[],
    toConfirm: Candidate[],
    settle: Settle,
    done: () => void,
    moreWritesDue: () => Promise<boolean>,
  ): Promise<Candidate[]> {
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
    const chunks: Candidate[][] = [];
    for (let from = 0; from < toWrite.length; from += this.config.SYNC_BATCH_SIZE) chunks.push(toWrite.slice(from, from + this.config.SYNC_BATCH_SIZE));
    const writeChunks = async (): Promise<void> => {
      for (let chunk = chunks.shift(); chunk && stop === null; chunk = chunks.shift()) {
        try {
          await send(chunk);
        } catch (error) {
          if (!isPermanent(error)) stop ??= error;
          else if (chunk.length === 1 || CALL_WIDE_ERRORS.has(error.code)) failOwn(chunk, error);
          else {
            const stoppedBy = await this.writeOneByOne(lms, ref, chunk, send, failOwn, settle);
            if (stoppedBy !== null) stop ??= stoppedBy;
          }
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(WRITE_CALLS_IN_FLIGHT, chunks.length) }, writeChunks));
    } finally {
      done();
    }
    const late: Candidate[] = [];
    const check = [...written, ...toConfirm];
    if (check.length > 0) {
      const after = await this.writer.readBack(lms, ref, check.map((c) => c.userId), moreWritesDue);
      for (const c of written) settle(c.sync, { ...this.writer.outcomeOf(after.get(c.userId)!, c.grade), lmsUserId: c.userId });
      for (const c of toConfirm) {
        const outcome = this.unchangedOutcome(c.sync, c.grade, after.get(c.userId)!);
        if (outcome) settle(c.sync, { ...outcome, grade: c.grade, lmsUserId: c.userId });
        else late.push(c);
      }
    }
    if (stop !== null) throw stop;
    return late;
  }

  /** After a refused call: the entries that landed before the bad one are read back, the others sent alone. Returns a transient error that stopped it, if any. */
  private async writeOneByOne(
    lms: MoodleSession,
    ref: ItemRef,
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
   * Why this grade must not be written (attempt policy, lock, override, already there), or what to
   * do with it: 'write', or 'confirm' when the assignment already holds it but only the grade
   * report can tell whether the gradebook does (then the read-back decides, and nothing is sent).
   */
  private decide(mapping: MappingEntity, sync: SyncEntity, score: number, grade: number, known: Before, rivals: RivalAttempt[]): SyncOutcome | 'write' | 'confirm' {
    const submission = sync.submission!;
    const self = { score, receivedAt: submission.receivedAt, submissionId: submission.id, seq: Number(submission.seq) };
    const gradable = (s: number | null) => s !== null && isWithinScale(s, mapping);
    const objection = attemptPolicyObjection(mapping.attemptPolicy, self, rivals, gradable);
    if (objection) return { state: 'skipped', reason: objection, errorCode: ATTEMPT_POLICY };
    const refused = this.refusalOf(known.item);
    if (refused) return refused;
    if (!gradesEqual(known.item.graderaw, grade)) return 'write';
    return known.exact ? unchanged(sync, grade) : 'confirm';
  }

  /** For a grade not written because Moodle seemed to hold it: the outcome the grade report shows, or null when it must be written after all. */
  private unchangedOutcome(sync: SyncEntity, grade: number, item: MoodleGradeItem): SyncOutcome | null {
    return this.refusalOf(item) ?? (gradesEqual(item.graderaw, grade) ? unchanged(sync, grade) : null);
  }

  private refusalOf(item: MoodleGradeItem): SyncOutcome | null {
    try {
      this.writer.assertWritable(item);
      return null;
    } catch (error) {
      if (error instanceof SyncRefused) return refusal(error);
      throw error;
    }
  }
}

/** A retry after a crash finds its own earlier push; a first attempt finds the grade already there. */
function unchanged(sync: SyncEntity, grade: number): SyncOutcome {
  return sync.attemptCount - sync.retryBase > 1
    ? { state: 'synced', reason: 'Moodle already held this grade (written by an earlier attempt)' }
    : { state: 'skipped', reason: `unchanged: Moodle already holds ${grade}; nothing was sent` };
}

export function refusal(error: SyncRefused): SyncOutcome {
  return { state: error.state, reason: error.message, errorCode: error.errorCode };
}

function isPermanent(error: unknown): error is LmsError {
  return error instanceof LmsError && error.kind === 'permanent';
}
