import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { AgsClient, AgsSession } from '../../lms/lti-ags/ags.client';
import { AgsError } from '../../lms/lti-ags/ags-errors';
import { AGS_SCOPES } from '../../lms/lti-ags/ags.types';
import { LmsError } from '../../lms/moodle/moodle-errors';
import { MappingEntity } from '../../mappings/mapping.entity';
import { attemptPolicyObjection } from '../attempt-policy';
import { BatchPush, Outcomes } from '../batch-push';
import { ClaimLease } from '../claim-lease';
import { feedbackText } from '../feedback';
import { isWithinScale, scaleScore } from '../score-scale';
import { ATTEMPT_POLICY, SyncOutcome } from '../sync-outcome';
import { SyncEntity } from '../sync.entity';
import { SyncRepository } from '../sync.repository';
import { decideReadBack } from './ags-readback';

/** Refusals that say nothing about one student: every score of the batch would get the same. */
const CALL_WIDE_CODES = new Set(['lti_unauthorized', 'lti_token_refused', 'lineitem_not_found', 'url_refused', 'http_403', 'http_405', 'http_415', 'answer_too_large', 'not_lti_connection', 'scope_missing']);
const INT32_MAX = 2_147_483_647;

interface Candidate {
  sync: SyncEntity;
  score: number;
  /** The platform's user id as sent (for userMatch `id`: the reference without leading zeros). */
  userId: string;
}

/**
 * A claimed batch of an lti-ags mapping: one score POST per student to the line item, each read
 * back at once. Same states, attempt policies, retries and records as the Moodle path; the
 * platform's own rules (409 for a score not newer, whole-second time) decide what "applied" means.
 */
@Injectable()
export class AgsBatchAttempt {
  constructor(
    private readonly config: AppConfig,
    private readonly syncs: SyncRepository,
    private readonly ags: AgsClient,
  ) {}

  /** This batch's push: one score and its read-back per student, through the connection's AGS session. */
  begin(mapping: MappingEntity, batch: SyncEntity[], lease: ClaimLease): BatchPush {
    let session: AgsSession | null = null;
    return {
      run: async (outcomes) => {
        session = this.ags.session(mapping.connection!, { maxWaitMs: this.config.SYNC_LEASE_MS / 2, beforeCall: () => lease.assertHeld() });
        await this.push(mapping, batch, session, outcomes);
      },
      callsOf: (sync) => (session?.calls ?? []).filter((c) => c.params.userId === undefined || c.params.userId === platformUserId(sync)),
      knownLmsUserId: lmsUserIdOf,
    };
  }

  /** Settles what it can in `outcomes`; throws for whatever is left when a call fails for the whole batch. */
  private async push(mapping: MappingEntity, batch: SyncEntity[], session: AgsSession, outcomes: Outcomes): Promise<void> {
    const settle = (sync: SyncEntity, outcome: SyncOutcome) => outcomes.set(sync.id, outcome);
    const target = mapping.target;
    if (target.type !== 'lineitem') throw new AgsError('permanent', 'target_mismatch', `an lti-ags connection grades line items; this mapping's target is ${target.type}: fix the mapping`);
    const candidates: Candidate[] = [];
    for (const sync of batch) {
      const score = sync.submission!.scores[mapping.scoreField];
      if (score === undefined) settle(sync, { state: 'failed', reason: `the callback has no ${mapping.scoreField} score, which this mapping grades`, errorCode: 'score_missing' });
      else if (!isWithinScale(score, mapping)) {
        settle(sync, { state: 'failed', reason: `${mapping.scoreField} score ${score} is outside the mapping's source scale ${mapping.sourceMin}–${mapping.sourceMax}; fix the scale and retry`, errorCode: 'score_out_of_scale' });
      } else if (mapping.userMatch !== 'id') {
        settle(sync, { state: 'failed', reason: `an lti-ags mapping matches users on "id" (the platform user id), not "${mapping.userMatch}": fix the mapping`, errorCode: 'user_match_unsupported' });
      } else candidates.push({ sync, score, userId: platformUserId(sync) });
    }
    if (candidates.length === 0) return;

    const lmsUserIds = new Map<string, number>();
    for (const c of candidates) {
      const id = lmsUserIdOf(c.sync);
      if (id !== null) lmsUserIds.set(c.sync.id, id);
    }
    const rivals = await this.syncs.rivalsOf(candidates.map((c) => c.sync), lmsUserIds);
    const toWrite: Candidate[] = [];
    for (const c of candidates) {
      const submission = c.sync.submission!;
      const self = { score: c.score, receivedAt: submission.receivedAt, submissionId: submission.id, seq: Number(submission.seq) };
      const objection = attemptPolicyObjection(mapping.attemptPolicy, self, rivals.get(c.sync.id)!, (s) => s !== null && isWithinScale(s, mapping));
      if (objection) settle(c.sync, { state: 'skipped', reason: objection, errorCode: ATTEMPT_POLICY });
      else toWrite.push(c);
    }
    if (toWrite.length === 0) return;

    const token = await session.accessToken();
    const missing = [AGS_SCOPES.score, AGS_SCOPES.resultRead].filter((s) => !token.scopes.includes(s));
    if (missing.length > 0) {
      throw new AgsError('permanent', 'scope_missing', `the platform did not grant ${missing.join(' and ')}: turn on the grade services for the tool (Moodle: "IMS LTI Assignment and Grade Services: Use this service for grade sync and column management")`);
    }
    const item = await session.getLineItem(target.lineItemUrl);
    for (const c of toWrite) {
      const grade = scaleScore(c.score, mapping, 0, item.scoreMaximum);
      const outcome = await this.pushOne(session, target.lineItemUrl, c, grade, item.scoreMaximum);
      if (outcome) settle(c.sync, { ...outcome, grade });
    }
  }

  /** One student's score and its read-back; null leaves the sync to the retry. Throws what stops the batch. */
  private async pushOne(session: AgsSession, lineItemUrl: string, c: Candidate, grade: number, scoreMaximum: number): Promise<SyncOutcome | null> {
    const submission = c.sync.submission!;
    let at = submission.receivedAt;
    const comment = feedbackText(submission.scores, submission.reportUrl);
    for (let resent = false; ; resent = true) {
      let answer;
      try {
        answer = await session.postScore(lineItemUrl, { userId: c.userId, scoreGiven: grade, scoreMaximum, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: at.toISOString(), comment });
      } catch (error) {
        const own = studentRefusal(error, c.userId);
        if (own) return own;
        throw error;
      }
      const result = await session.getResult(lineItemUrl, c.userId);
      const decided = decideReadBack({ grade, scoreMaximum, second: Math.floor(at.getTime() / 1000), answer }, result, resent);
      if (decided.kind === 'done') return decided.outcome;
      if (decided.kind === 'retry') throw new AgsError('transient', 'readback_mismatch', decided.reason);
      at = new Date(decided.atSecond * 1000);
    }
  }
}

/** The platform user id a sync's score names: for userMatch `id`, the reference as intake keyed it (no leading zeros). */
function platformUserId(sync: SyncEntity): string {
  return sync.studentKey;
}

/** The numeric user id recorded on the sync (Moodle's); null for another platform's opaque id. */
function lmsUserIdOf(sync: SyncEntity): number | null {
  const id = platformUserId(sync);
  return /^\d{1,10}$/.test(id) && Number(id) <= INT32_MAX ? Number(id) : null;
}

/** A refusal of this student's score alone, as a final outcome; null when the error concerns the whole batch or may pass later. */
function studentRefusal(error: unknown, userId: string): SyncOutcome | null {
  if (!(error instanceof LmsError)) return null;
  if (error.kind === 'permanent' && !CALL_WIDE_CODES.has(error.code)) {
    return { state: 'failed', reason: `the platform refused the score for user ${userId}: ${error.message}`, errorCode: 'lti_score_refused' };
  }
  if (error.code === 'network' && !/^\d+$/.test(userId)) {
    return {
      state: 'failed',
      reason: `the platform dropped the connection on the score for user id "${userId}" (no HTTP answer; Moodle does this for a user id that is not a number): check the callback's user id; not retried`,
      errorCode: 'lti_user_id_refused',
    };
  }
  return null;
}
