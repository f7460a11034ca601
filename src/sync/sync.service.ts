import { Injectable, Logger } from '@nestjs/common';
import { CredentialCipher } from '../common/crypto/credential-cipher';
import { AppConfig } from '../config/app-config';
import { MoodleClient, MoodleSession } from '../lms/moodle/moodle.client';
import { MoodleGradeWriter } from '../lms/moodle/moodle-grade.writer';
import { MoodleUserDirectory } from '../lms/moodle/moodle-user.directory';
import { LmsError } from '../lms/moodle/moodle-errors';
import { AttemptLock } from './attempt-lock';
import { attemptPolicyObjection } from './attempt-policy';
import { feedbackHtml } from './feedback';
import { backoffDelayMs } from './retry-policy';
import { gradesEqual, isWithinScale, scaleScore } from './score-scale';
import { SyncOutcome, SyncRefused } from './sync-outcome';
import { SyncEntity } from './sync.entity';
import { SyncQueue } from './sync.queue';
import { AttemptRecord, SyncRepository } from './sync.repository';

/** Where a sync changes state: one attempt at bringing one submission's grade into one grade item. */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly syncs: SyncRepository,
    private readonly queue: SyncQueue,
    private readonly lock: AttemptLock,
    private readonly moodle: MoodleClient,
    private readonly users: MoodleUserDirectory,
    private readonly writer: MoodleGradeWriter,
    private readonly cipher: CredentialCipher,
  ) {}

  async process(syncId: string): Promise<void> {
    const sync = await this.syncs.claim(syncId, this.config.SYNC_LEASE_MS);
    if (!sync) return; // finished already, or another worker holds it
    await this.lock.withLock(sync.mappingId, sync.userRef, () => this.attempt(sync));
  }

  private async attempt(sync: SyncEntity): Promise<void> {
    const startedAt = new Date();
    const connection = sync.mapping!.connection!;
    const lms = this.moodle.session({ baseUrl: connection.baseUrl, token: this.cipher.decrypt(connection.tokenEncrypted) });
    let outcome: SyncOutcome;
    try {
      outcome = await this.bringGradeToLms(sync, lms);
    } catch (error) {
      if (error instanceof SyncRefused) {
        outcome = { state: error.state, reason: error.message, errorCode: error.errorCode };
      } else if (error instanceof LmsError && error.kind === 'permanent') {
        outcome = { state: 'failed', reason: error.message, errorCode: error.code };
      } else {
        await this.retryOrGiveUp(sync, error, lms, startedAt);
        return;
      }
    }
    await this.syncs.finish(sync, { outcome: outcome.state, reason: outcome.reason, errorCode: outcome.errorCode ?? null, calls: lms.calls, startedAt }, outcome);
    this.logger.log(`sync ${sync.id} attempt ${sync.attemptCount}: ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`);
  }

  private async bringGradeToLms(sync: SyncEntity, lms: MoodleSession): Promise<SyncOutcome> {
    const mapping = sync.mapping!;
    const submission = sync.submission!;
    const score = submission.scores[mapping.scoreField];
    if (score === undefined) {
      throw new SyncRefused('failed', `the callback has no ${mapping.scoreField} score, which this mapping grades`, 'score_missing');
    }
    if (!isWithinScale(score, mapping)) {
      throw new SyncRefused(
        'failed',
        `${mapping.scoreField} score ${score} is outside the mapping's source scale ${mapping.sourceMin}–${mapping.sourceMax}; fix the scale and retry`,
        'score_out_of_scale',
      );
    }
    const userId = await this.users.resolveUserId(lms, mapping.connectionId, mapping.userMatch, sync.userRef);
    const withUser = (o: SyncOutcome): SyncOutcome => ({ ...o, lmsUserId: userId });
    try {
      await this.users.assertEnrolled(lms, mapping.connectionId, mapping.lmsCourseId, userId);
      const slot = { courseId: mapping.lmsCourseId, userId, target: mapping.target };
      const item = await this.writer.inspect(lms, slot);
      const grade = scaleScore(score, mapping, Number(item.grademin), Number(item.grademax));

      const objection = attemptPolicyObjection(mapping.attemptPolicy, { score, receivedAt: submission.receivedAt, submissionId: submission.id }, await this.syncs.rivals(sync));
      if (objection) return withUser({ state: 'skipped', reason: objection, grade });

      this.writer.assertWritable(item);
      if (gradesEqual(item.graderaw, grade)) {
        // A retry after a crash finds its own earlier push; a first attempt finds the grade already there.
        return withUser(
          sync.attemptCount > 1
            ? { state: 'synced', reason: 'Moodle already held this grade (written by an earlier attempt)', grade }
            : { state: 'skipped', reason: `unchanged: Moodle already holds ${grade}; nothing was sent`, grade },
        );
      }
      return withUser(await this.writer.write(lms, slot, grade, feedbackHtml(submission.scores, submission.reportUrl)));
    } catch (error) {
      if (error instanceof SyncRefused) return withUser({ state: error.state, reason: error.message, errorCode: error.errorCode });
      throw error;
    }
  }

  private async retryOrGiveUp(sync: SyncEntity, error: unknown, lms: MoodleSession, startedAt: Date): Promise<void> {
    const lmsError = error instanceof LmsError ? error : null;
    if (!lmsError) this.logger.error(`sync ${sync.id}: unexpected error`, error instanceof Error ? error.stack : String(error));
    const reason = lmsError?.message ?? `internal error: ${error instanceof Error ? error.message : String(error)}`;
    const errorCode = lmsError?.code ?? 'internal_error';
    const attempt: AttemptRecord = { outcome: 'retry', reason, errorCode, calls: lms.calls, startedAt };
    if (sync.attemptCount - sync.retryBase >= this.config.SYNC_MAX_ATTEMPTS) {
      const finalReason = `gave up after ${sync.attemptCount - sync.retryBase} attempts; last error: ${reason}`;
      await this.syncs.finish(sync, { ...attempt, outcome: 'failed', reason: finalReason }, { state: 'failed', reason: finalReason, errorCode });
      this.logger.warn(`sync ${sync.id}: ${finalReason}`);
      return;
    }
    const delayMs = backoffDelayMs(sync.attemptCount, this.config.SYNC_BACKOFF_BASE_MS, this.config.SYNC_BACKOFF_MAX_MS);
    const retryAt = new Date(Date.now() + delayMs);
    await this.syncs.finish(sync, attempt, { state: 'queued', retryAt, reason: `will retry at ${retryAt.toISOString()}: ${reason}` });
    await this.queue.enqueue([{ id: sync.id, attemptCount: sync.attemptCount }], delayMs);
    this.logger.warn(`sync ${sync.id} attempt ${sync.attemptCount} failed (${errorCode}); retry in ${delayMs} ms`);
  }
}
