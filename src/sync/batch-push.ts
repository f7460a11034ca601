import { RecordedLmsCall } from './sync-attempt.entity';
import { SyncOutcome } from './sync-outcome';
import { SyncEntity } from './sync.entity';

/** What a push settled, by sync id; a sync left out is settled by the push's failure (or retried). */
export type Outcomes = Map<string, SyncOutcome>;

/**
 * One claimed batch pushed to one LMS. What differs between LMS kinds (Moodle web services, LTI
 * AGS) lives behind this; settling, retrying and recording the attempts is the same for all
 * (SyncService).
 */
export interface BatchPush {
  /** Settles what it can in `outcomes`; throws for whatever is left when a call fails for the whole batch. */
  run(outcomes: Outcomes): Promise<void>;
  /** The LMS calls of this push that concern one sync's student, recorded on its attempt (after run). */
  callsOf(sync: SyncEntity): RecordedLmsCall[];
  /** The LMS user id recorded on every sync the push finishes, where the kind knows it without asking the LMS. */
  knownLmsUserId?(sync: SyncEntity): number | null;
}
