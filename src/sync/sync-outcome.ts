import { SyncState } from './sync.entity';

export type FinalState = Extract<SyncState, 'synced' | 'blocked' | 'skipped' | 'failed'>;

/** How one attempt ended, as the sync will record it. */
export interface SyncOutcome {
  state: FinalState;
  reason: string | null;
  grade?: number | null;
  lmsUserId?: number | null;
  errorCode?: string | null;
}

/** Thrown where the sync cannot or must not go on; carries the state and a reason a person can read. */
export class SyncRefused extends Error {
  constructor(
    readonly state: Exclude<FinalState, 'synced'>,
    reason: string,
    readonly errorCode: string | null = null,
  ) {
    super(reason);
    this.name = 'SyncRefused';
  }
}

/** The errorCode of an attempt skipped because the attempt policy grades another attempt. */
export const ATTEMPT_POLICY = 'attempt_policy';

/** Failures that belong to the attempt's own data: such an attempt never competed, so no rival waits on it. */
export const OWN_DATA_FAILURES: readonly string[] = ['score_missing', 'score_out_of_scale'];
