import type { CostModel } from './cost-model';
import type { SimFault } from './faults';
import type { MoodleSimulator } from './moodle-simulator';

/** Public types of the Moodle simulator (see moodle-simulator.ts). */

export type SimSeed = 'empty' | 'recorded' | ((sim: MoodleSimulator) => void);

export interface SimStartOptions {
  /** 0 (default) picks a free port. The server listens on 127.0.0.1 only. */
  port?: number;
  /** Default: 32 random hex characters. */
  token?: string;
  /** Applied at start and again by every reset(). Default 'empty' (only the token user exists). */
  seed?: SimSeed;
  /** Serve a JSON control API under /__sim/ (grades, stats, calls, reset): used by main.ts. */
  controlApi?: boolean;
  /**
   * Answer as slowly as a real Moodle would (test/moodle-simulator/cost-model.ts): `true` for the
   * fitted costs on 4 PHP workers sharing 2 cores. Off by default, so tests stay fast.
   */
  costModel?: boolean | SimCostOptions;
}

export interface SimCostOptions {
  /** Calls that run at once, like a PHP server's workers; later calls queue. Default 4. */
  workers?: number;
  /** CPUs the running calls share. Default 2. */
  cores?: number;
  /** Overrides of the fitted costs (MOODLE_COSTS). */
  costs?: Partial<CostModel>;
}

/** Modelled server time by function (cost model on), and how the PHP workers were used. */
export interface SimCostStats {
  workers: number;
  cores: number;
  maxBusySeen: number;
  maxQueuedSeen: number;
  queuedCalls: number;
  byFunction: Record<string, { calls: number; workMs: number }>;
}

/**
 * How the token behaves. Every state but 'valid' and 'suspended' answers accessexception, as the
 * real site does for each cause (recorded); they differ only in debuginfo (setDebug(true)).
 * 'expired' answers accessexception once, then invalidtoken (Moodle deletes the token).
 */
export type TokenState =
  | 'valid'
  | 'suspended'
  | 'expired'
  | 'ip-restricted'
  | 'user-not-authorised'
  | 'no-rest-capability'
  | 'service-disabled';

export interface SimCall {
  wsfunction: string;
  /** Flat form fields (query string and body), wstoken removed. */
  params: Record<string, string>;
  /** Date.now() when the call was admitted (after any rate-limit wait). */
  at: number;
  /** Date.now() when the answer was sent (absent while the call runs, and for faults). */
  answeredAt?: number;
  /** Set when the call was answered by an injected fault or setDown(). */
  fault?: SimFault['kind'] | 'down';
}

export interface SimGrade {
  raw: number | null;
  final: number | null;
  feedback: string | null;
  /** The grade or its whole item is locked (what gradereport calls gradeislocked). */
  locked: boolean;
  overridden: boolean;
}

export interface SimStats {
  /** Web-service calls received (faulted ones included). */
  calls: number;
  /** Most web-service requests open at once (queued ones included): the client's concurrency. */
  maxConcurrentSeen: number;
  /** Most calls being served at once after the rate limiter. */
  maxActiveSeen: number;
  /** Calls waiting in the rate limiter now. */
  queued: number;
  /** Null while the cost model is off. */
  cost: SimCostStats | null;
}

export interface AddUserInput {
  id: number;
  username: string;
  email: string;
  idnumber?: string;
  firstname?: string;
  lastname?: string;
  suspended?: boolean;
}

/**
 * A grade item's type (grade_item.gradetype): value 1, scale 2, text 3, none 0. Moodle's grade tree
 * leaves `none` items out, so they never appear in the grade report; the report shows no type,
 * only a range like "0&ndash;100" (value), "Poor&ndash;Excellent" (scale) or "&ndash;" (text).
 */
export type SimGradeType = 'value' | 'scale' | 'text' | 'none';

export interface AddAssignmentInput {
  id: number;
  cmid: number;
  courseId: number;
  name?: string;
  grademin?: number;
  grademax?: number;
  feedbackComments?: boolean;
  gradeItemId?: number;
  /** Default value. An assignment's grade type is `value`, `scale` (assign.grade = −scale id) or `none` (assign.grade = 0). */
  gradeType?: Exclude<SimGradeType, 'text'>;
  /** For gradeType scale: its items, lowest first (default a 3-item competence scale, id 1). */
  scale?: { id?: number; items: string[] };
  intro?: string;
  timemodified?: number;
}

export interface AddActivityInput {
  /** Frankenstyle component of the module, e.g. 'mod_lti'. */
  component: string;
  instance: number;
  cmid: number;
  courseId: number;
  itemnumber?: number;
  name?: string;
  grademin?: number;
  grademax?: number;
  gradeItemId?: number;
  gradeType?: SimGradeType;
  /** For gradeType scale: its items, lowest first. */
  scale?: { id?: number; items: string[] };
}

export interface AddGradeItemInput {
  courseId: number;
  itemtype?: 'mod' | 'manual';
  itemmodule?: string | null;
  iteminstance?: number | null;
  itemnumber?: number;
  itemname?: string | null;
  grademin?: number;
  grademax?: number;
  id?: number;
}
