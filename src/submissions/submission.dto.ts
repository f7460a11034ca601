import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RecordedLmsCall, SyncAttemptEntity } from '../sync/sync-attempt.entity';
import { SYNC_STATES, SyncEntity, SyncState } from '../sync/sync.entity';
import { stripCallbackKey } from '../intake/callback-key.stripper';
import { SubmissionEntity, SubmissionScores } from './submission.entity';

export class SyncAttemptView {
  @ApiProperty() number!: number;
  @ApiProperty() outcome!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String }) errorCode!: string | null;
  @ApiProperty() startedAt!: Date;
  @ApiProperty() finishedAt!: Date;
  @ApiProperty({ description: 'Every LMS call of the attempt with its answer (tokens removed)' }) calls!: RecordedLmsCall[];

  static of(a: SyncAttemptEntity): SyncAttemptView {
    return { number: a.number, outcome: a.outcome, reason: a.reason, errorCode: a.errorCode, startedAt: a.startedAt, finishedAt: a.finishedAt, calls: a.calls };
  }
}

export class SyncView {
  @ApiProperty() id!: string;
  @ApiProperty() submissionId!: string;
  @ApiProperty() mappingId!: string;
  @ApiProperty({ enum: SYNC_STATES }) state!: SyncState;
  @ApiProperty({ nullable: true, type: String, description: 'Why it is in this state, in words' }) reason!: string | null;
  @ApiProperty() userRef!: string;
  @ApiProperty({ nullable: true, type: Number }) lmsUserId!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Score on the source scale' }) sourceScore!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Grade on the LMS item range' }) grade!: number | null;
  @ApiProperty() attemptCount!: number;
  @ApiProperty({ nullable: true, type: Date }) syncedAt!: Date | null;
  @ApiProperty() nextAttemptAt!: Date;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiPropertyOptional({ type: [SyncAttemptView] }) attempts?: SyncAttemptView[];

  static of(s: SyncEntity, attempts?: SyncAttemptEntity[]): SyncView {
    const view: SyncView = {
      id: s.id,
      submissionId: s.submissionId,
      mappingId: s.mappingId,
      state: s.state,
      reason: s.reason,
      userRef: s.userRef,
      lmsUserId: s.lmsUserId,
      sourceScore: s.sourceScore,
      grade: s.grade,
      attemptCount: s.attemptCount,
      syncedAt: s.syncedAt,
      nextAttemptAt: s.nextAttemptAt,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
    if (attempts) view.attempts = attempts.map(SyncAttemptView.of);
    return view;
  }
}

/** A submission as lists show it: everything but the raw body. */
export class SubmissionSummary {
  @ApiProperty() id!: string;
  @ApiProperty() assessmentId!: string;
  @ApiProperty() speechaceCourseId!: string;
  @ApiProperty() speechaceQuizId!: string;
  @ApiProperty({ nullable: true, type: String }) speechaceUserId!: string | null;
  @ApiProperty({ description: 'The LMS user the grade is for (query userid, else body userId)' }) userRef!: string;
  @ApiProperty({ nullable: true, type: String }) queryCourseId!: string | null;
  @ApiProperty({ nullable: true, type: String }) queryTestId!: string | null;
  @ApiProperty() scores!: SubmissionScores;
  @ApiProperty({ nullable: true, type: String }) reportUrl!: string | null;
  @ApiProperty({ nullable: true, type: String }) sourceIp!: string | null;
  @ApiProperty() receivedAt!: Date;
  @ApiProperty({ type: [SyncView] }) syncs!: SyncView[];

  static of(s: SubmissionEntity, syncs: SyncView[]): SubmissionSummary {
    return {
      id: s.id,
      assessmentId: s.assessmentId,
      speechaceCourseId: s.speechaceCourseId,
      speechaceQuizId: s.speechaceQuizId,
      speechaceUserId: s.speechaceUserId,
      userRef: s.userRef,
      queryCourseId: s.queryCourseId,
      queryTestId: s.queryTestId,
      scores: s.scores,
      reportUrl: s.reportUrl,
      sourceIp: s.sourceIp,
      receivedAt: s.receivedAt,
      syncs,
    };
  }
}

export class SubmissionView extends SubmissionSummary {
  @ApiProperty({ description: 'The body as received, without its key (removed before it was stored)' }) rawBody!: string;

  static override of(s: SubmissionEntity, syncs: SyncView[]): SubmissionView {
    // Bodies stored before keys were stripped at intake still hold one: the same stripping on the way out.
    return { ...SubmissionSummary.of(s, syncs), rawBody: stripCallbackKey(s.rawBody, s.contentType) };
  }
}

/** A sync as the list shows it, with its course and the error code of its latest attempt. */
export class SyncListItem extends SyncView {
  @ApiProperty({ description: "The mapping's LMS course" }) lmsCourseId!: number;
  @ApiProperty({ nullable: true, type: String, description: 'Error code of the latest attempt (Moodle errorcode or ours)' }) errorCode!: string | null;

  static ofListed(s: SyncEntity, lmsCourseId: number, errorCode: string | null): SyncListItem {
    return { ...SyncView.of(s), lmsCourseId, errorCode };
  }
}

export class SubmissionPage {
  @ApiProperty({ type: [SubmissionSummary] }) items!: SubmissionSummary[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last page' }) nextCursor!: string | null;
}

export class SyncPage {
  @ApiProperty({ type: [SyncListItem] }) items!: SyncListItem[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last page' }) nextCursor!: string | null;
}


export class SyncSummaryView {
  @ApiProperty({
    description: 'How many syncs are in each state (every state is present, 0 when none)',
    example: { pending: 0, queued: 1, paused: 0, synced: 40, blocked: 1, failed: 2, skipped: 3 },
    type: 'object',
    additionalProperties: { type: 'integer' },
  })
  byState!: Record<SyncState, number>;

  @ApiProperty({ nullable: true, type: Date, description: 'When the oldest sync still waiting (pending or queued) was created; null when none waits' })
  oldestOpenCreatedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Its age in seconds at the time of this answer; null when none waits' })
  oldestOpenAgeSeconds!: number | null;
}
