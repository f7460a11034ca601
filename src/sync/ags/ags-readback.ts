import { AgsResult, ScoreAnswer } from '../../lms/lti-ags/ags.types';
import { gradesEqual, roundGrade } from '../score-scale';
import { SyncOutcome } from '../sync-outcome';

/** What the platform's result says about a score we sent. */
export type ReadBack =
  | { kind: 'done'; outcome: SyncOutcome }
  /** 409 for a grade of the same whole second (an earlier attempt or edit): send once more, one second later. */
  | { kind: 'resend'; atSecond: number }
  /** The write was accepted but the result does not show it (yet): try again later. */
  | { kind: 'retry'; reason: string };

export interface SentScore {
  grade: number;
  scoreMaximum: number;
  /** Whole seconds of the timestamp sent. */
  second: number;
  answer: ScoreAnswer;
}

/** The platform's score on our line item maximum (a platform may answer on another maximum). */
export function resultOnMaximum(result: AgsResult, scoreMaximum: number): number | null {
  if (result.resultScore === null) return null;
  const maximum = result.resultMaximum && result.resultMaximum > 0 ? result.resultMaximum : scoreMaximum;
  return roundGrade((result.resultScore * scoreMaximum) / maximum);
}

/**
 * Decides a pushed score by what the platform holds afterwards: our grade → synced; another grade
 * at least as new as ours (the platform refused ours with 409) → blocked, naming what it holds.
 * Moodle leaves score and time out of a zero grade, so a result without a score counts as 0.
 */
export function decideReadBack(sent: SentScore, result: AgsResult | null, resent: boolean): ReadBack {
  const held = result ? (resultOnMaximum(result, sent.scoreMaximum) ?? 0) : null;
  if (held !== null && gradesEqual(held, sent.grade)) {
    const reason = sent.answer === 'conflict' ? 'the platform already held this grade (it answered 409: a score as new as this one was applied before)' : null;
    return { kind: 'done', outcome: { state: 'synced', reason, grade: sent.grade } };
  }
  if (sent.answer === 'written') {
    return { kind: 'retry', reason: `the platform accepted the score but its result shows ${held === null ? 'no grade' : held} instead of ${sent.grade}` };
  }
  const heldSecond = result?.timestamp ? Math.floor(Date.parse(result.timestamp) / 1000) : null;
  if (heldSecond === sent.second && !resent) return { kind: 'resend', atSecond: sent.second + 1 };
  const what = held === null ? 'no grade' : `${held} of ${sent.scoreMaximum}`;
  const when = result?.timestamp ? ` (set ${result.timestamp})` : '';
  return {
    kind: 'done',
    outcome: {
      state: 'blocked',
      reason: `the platform holds ${what}${when}, as new as or newer than this attempt, and refused ${sent.grade} (409): a teacher or another tool changed it; not overwritten`,
      errorCode: 'platform_newer_grade',
      grade: sent.grade,
    },
  };
}
