/** The views of /api/v1 the console reads (docs/openapi.json has them all). */

export interface Me {
  name: string;
  role: 'admin' | 'viewer';
  lmsCourseIds: number[] | null;
}

export const SYNC_STATES = ['pending', 'queued', 'paused', 'synced', 'blocked', 'failed', 'skipped'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export interface LmsCall {
  function: string;
  params: Record<string, string>;
  httpStatus: number | null;
  body: string | null;
  error: string | null;
  durationMs: number;
}

export interface SyncAttempt {
  number: number;
  outcome: string;
  reason: string | null;
  errorCode: string | null;
  startedAt: string;
  finishedAt: string;
  calls: LmsCall[];
}

export interface Sync {
  id: string;
  submissionId: string;
  mappingId: string;
  state: SyncState;
  reason: string | null;
  userRef: string;
  lmsUserId: number | null;
  sourceScore: number | null;
  grade: number | null;
  attemptCount: number;
  syncedAt: string | null;
  nextAttemptAt: string;
  createdAt: string;
  updatedAt: string;
  attempts?: SyncAttempt[];
}

export interface SyncListItem extends Sync {
  lmsCourseId: number;
  errorCode: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SyncSummary {
  byState: Record<SyncState, number>;
  oldestOpenCreatedAt: string | null;
  oldestOpenAgeSeconds: number | null;
}

export type MoodleTarget =
  | { type: 'assign'; assignmentId: number; cmid: number }
  | { type: 'activity'; component: string; cmid: number; itemNumber: number };
/** lti-ags connections: a line item (its URL as the platform gives it). */
export type MappingTarget = MoodleTarget | { type: 'lineitem'; lineItemUrl: string };

export const USER_MATCHES = ['id', 'idnumber', 'username', 'email'] as const;
export const SCORE_FIELDS = ['overall', 'pronunciation', 'fluency', 'vocab', 'grammar'] as const;
export const ATTEMPT_POLICIES = ['latest', 'highest', 'first'] as const;

export interface Mapping {
  id: string;
  assessmentId: string;
  speechaceQuizId: string | null;
  connectionId: string;
  lmsCourseId: number;
  target: MappingTarget;
  userMatch: (typeof USER_MATCHES)[number];
  scoreField: (typeof SCORE_FIELDS)[number];
  sourceScale: { min: number; max: number };
  attemptPolicy: (typeof ATTEMPT_POLICIES)[number];
  enabled: boolean;
  requireSignedUrl: boolean;
  warnings?: string[];
}

export interface Connection {
  id: string;
  name: string;
  kind: string;
  baseUrl: string;
  hasToken: boolean;
  rateLimitPerSecond: number | null;
  maxConcurrency: number | null;
  enabled: boolean;
  /** lti-ags only (audience: the stored one, else the token URL). */
  issuer?: string | null;
  clientId?: string | null;
  deploymentId?: string | null;
  tokenUrl?: string | null;
  audience?: string | null;
}

/** GET /connections/:id/lineitems: what a line-item mapping can target. */
export interface LineItem {
  lineItemUrl: string;
  label: string;
  scoreMaximum: number;
  resourceLinkId?: string;
}

export interface ToolKey {
  kid: string;
  createdAt: string;
  current: boolean;
}

/** GET /lti/tool: what an LTI platform needs to trust the tool. */
export interface LtiTool {
  publicKeyPem: string;
  jwksUrl: string;
  kid: string;
  keys: ToolKey[];
}

export interface AssessmentKey {
  id: string;
  hint: string;
  createdAt: string;
  retiredAt: string | null;
}

export interface Assessment {
  id: string;
  name: string;
  speechaceCourseId: string;
  keys?: AssessmentKey[];
}

export interface CheckProblem {
  code: string;
  message: string;
  possibleCauses?: string[];
  capabilities?: string[];
}

export interface MappingCheck {
  mappingId: string;
  enabled: boolean;
  lmsCourseId: number;
  target: MappingTarget;
  itemFound: boolean | null;
  writable: boolean | null;
  grademin: number | null;
  grademax: number | null;
  feedbackCommentsEnabled?: boolean | null;
  problems: CheckProblem[];
  warnings: CheckProblem[];
}

export interface ConnectionCheck {
  connectionId: string;
  checkedAt: string;
  ok: boolean;
  reachable: boolean;
  tokenValid: boolean | null;
  siteName: string | null;
  release: string | null;
  username: string | null;
  functions: { required: string[]; missing: string[] | null; recommended: string[]; recommendedMissing: string[] | null };
  /** lti-ags connections: the AGS scopes of the access token. */
  scopes?: { required: string[]; granted: string[] | null; missing: string[] | null };
  missingCapabilities: string[] | null;
  problems: CheckProblem[];
  warnings: CheckProblem[];
  mappings: MappingCheck[];
}

export interface CourseGradeRow {
  mappingId: string;
  target: MappingTarget;
  scoreField: string;
  userRef: string;
  lmsUserId: number | null;
  submissionId: string;
  scores: Record<string, number>;
  receivedAt: string;
  syncId: string;
  syncState: SyncState;
  syncReason: string | null;
  syncedGrade: number | null;
  syncedAt: string | null;
}

export interface CourseGrades {
  lmsCourseId: number;
  rows: CourseGradeRow[];
}

export interface QuarantinedCallback {
  id: string;
  receivedAt: string;
  status: number;
  reason: string;
  contentType: string | null;
  bodyBytes: number;
  body: string;
  query: string | null;
  sourceIp: string | null;
  requestId: string;
}
