import { AttemptPolicy } from '../mappings/mapping.entity';
import { SyncState } from './sync.entity';

/** One attempt of a student at a mapping's test, as the policy compares them. */
export interface Attempt {
  submissionId: string;
  /** The score the mapping grades, on the source scale; null when the callback has none. */
  score: number | null;
  /** When the attempt was taken, as far as the service can know: its first arrival (README "Attempt policies"). */
  receivedAt: Date;
  /** Arrival order, for attempts of the same instant. */
  seq: number;
}

/** Another sync of the same mapping and student: another attempt at the same test. */
export interface RivalAttempt extends Attempt {
  syncId: string;
  state: SyncState;
}

/** Tells whether a score can be graded at all (present and within the mapping's source scale). */
export type Gradable = (score: number | null) => boolean;

/**
 * A rival competes unless it can never be graded: it failed, or its score is missing or outside
 * the scale. Pending, queued, paused, synced, blocked and skipped attempts all compete; a skipped
 * one that lost stays a contender, so the winner does not change when the order of work does.
 */
export function isContender(rival: RivalAttempt, gradable: Gradable): boolean {
  return rival.state !== 'failed' && gradable(rival.score);
}

function earlier(a: Attempt, b: Attempt): boolean {
  const diff = a.receivedAt.getTime() - b.receivedAt.getTime();
  return diff < 0 || (diff === 0 && a.seq < b.seq);
}

/** Whether `a` beats `b` under the policy (both gradable). */
function beats(policy: AttemptPolicy, a: Attempt, b: Attempt): boolean {
  switch (policy) {
    case 'latest':
      return earlier(b, a);
    case 'first':
      return earlier(a, b);
    case 'highest':
      return a.score! > b.score! || (a.score === b.score && earlier(a, b));
  }
}

/** The attempt the policy grades among gradable ones; undefined when there is none. */
export function winnerOf<A extends Attempt>(policy: AttemptPolicy, attempts: readonly A[]): A | undefined {
  let best: A | undefined;
  for (const a of attempts) if (!best || beats(policy, a, best)) best = a;
  return best;
}

/**
 * Returns why this (gradable) attempt must not be graded, or null when it is the one the policy
 * grades among itself and its contending rivals.
 */
export function attemptPolicyObjection(policy: AttemptPolicy, self: Attempt, rivals: readonly RivalAttempt[], gradable: Gradable): string | null {
  const winner = winnerOf<Attempt>(policy, [self, ...rivals.filter((r) => isContender(r, gradable))]);
  if (!winner || winner === self) return null;
  switch (policy) {
    case 'latest':
      return `attempt policy "latest": a later attempt (submission ${winner.submissionId}) replaces this one`;
    case 'first':
      return `attempt policy "first": an earlier attempt (submission ${winner.submissionId}) is the one graded`;
    case 'highest':
      return `attempt policy "highest": attempt ${winner.submissionId} scored ${winner.score}, at least this one's ${self.score}`;
  }
}
