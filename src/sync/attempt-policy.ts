import { AttemptPolicy } from '../mappings/mapping.entity';
import { SyncState } from './sync.entity';

/** Another sync of the same mapping and LMS user: another attempt at the same test. */
export interface RivalAttempt {
  syncId: string;
  submissionId: string;
  state: SyncState;
  sourceScore: number | null;
  receivedAt: Date;
}

export interface ThisAttempt {
  score: number;
  receivedAt: Date;
  submissionId: string;
}

/** A rival still in play: it has been graded, or will be. */
const LIVE: readonly SyncState[] = ['synced', 'pending', 'queued'];

function isBefore(a: { receivedAt: Date; submissionId: string }, b: { receivedAt: Date; submissionId: string }): boolean {
  const diff = a.receivedAt.getTime() - b.receivedAt.getTime();
  return diff < 0 || (diff === 0 && a.submissionId < b.submissionId);
}

/**
 * Returns why this attempt must not be graded, or null when it should be.
 * latest: a later live attempt wins; first: an earlier live attempt wins;
 * highest: a live attempt with a higher score (or an equal, earlier one) wins.
 */
export function attemptPolicyObjection(policy: AttemptPolicy, self: ThisAttempt, rivals: readonly RivalAttempt[]): string | null {
  const live = rivals.filter((r) => LIVE.includes(r.state));
  switch (policy) {
    case 'latest': {
      const later = live.find((r) => isBefore(self, r));
      return later ? `attempt policy "latest": a later attempt (submission ${later.submissionId}) replaces this one` : null;
    }
    case 'first': {
      const earlier = live.find((r) => isBefore(r, self));
      return earlier ? `attempt policy "first": an earlier attempt (submission ${earlier.submissionId}) is the one graded` : null;
    }
    case 'highest': {
      const better = live.find(
        (r) => r.sourceScore !== null && (r.sourceScore > self.score || (r.sourceScore === self.score && isBefore(r, self))),
      );
      return better
        ? `attempt policy "highest": attempt ${better.submissionId} scored ${better.sourceScore}, at least this one's ${self.score}`
        : null;
    }
  }
}
