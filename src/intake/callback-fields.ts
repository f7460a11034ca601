import { BadRequestException } from '@nestjs/common';
import { SCORE_FIELDS, ScoreField } from '../mappings/mapping.entity';
import { SubmissionScores } from '../submissions/submission.entity';

const ID_PATTERN = /^[A-Za-z0-9._@+:-]{1,128}$/;
const MAX_SCORE = 1_000_000;
const MAX_URL_LENGTH = 2048;

export type CallbackQuery = Record<string, unknown>;

/** A callback's fields, read and checked. See README "How a callback is read" for the precedence. */
export interface CallbackFields {
  key: string | null;
  version: string | null;
  speechaceCourseId: string;
  speechaceQuizId: string;
  speechaceUserId: string | null;
  /** Query `userid` if present, else the body's `userId`. */
  userRef: string;
  queryCourseId: string | null;
  queryTestId: string | null;
  scores: SubmissionScores;
  reportUrl: string | null;
  /** From a signed callback URL: the mapping it names and the HMAC over mapping and userid. */
  signature: { mappingId: string; sig: string; userId: string | null } | null;
}

/** Reads body and query together; every problem is collected so one 400 names them all. */
export function readCallbackFields(body: Record<string, unknown>, query: CallbackQuery): CallbackFields {
  const problems: string[] = [];
  const id = (value: unknown, name: string, required: boolean): string | null => {
    const text = idText(value);
    if (text === undefined) {
      if (required) problems.push(`${name} is required`);
      return null;
    }
    if (text === null || !ID_PATTERN.test(text)) {
      problems.push(`${name} must be a number or a string of up to 128 letters, digits or . _ @ + : -`);
      return null;
    }
    return text;
  };

  const queryUserId = id(query.userid, 'query parameter userid', false);
  const queryCourseId = id(query.courseid, 'query parameter courseid', false);
  const testKey = query.testid !== undefined && query.testid !== '' ? 'testid' : 'quizid';
  const queryTestId = id(query[testKey], `query parameter ${testKey}`, false);
  const speechaceCourseId = id(body.courseId, 'courseId', true);
  const speechaceQuizId = id(body.quizId, 'quizId', true);
  const speechaceUserId = id(body.userId, 'userId', queryUserId === null);
  const scores = readScores(body.score, problems);
  const reportUrl = readReportUrl(body.reportUrl, problems);
  const key = readOptionalString(body.key, 'key', 512, problems);
  const version = readOptionalString(body.version, 'version', 32, problems);
  const signature = readSignature(query, queryUserId, problems);

  if (problems.length > 0 || !speechaceCourseId || !speechaceQuizId || !scores) {
    throw new BadRequestException({ message: `Malformed callback: ${problems.join('; ')}`, problems });
  }
  return {
    key,
    version,
    speechaceCourseId,
    speechaceQuizId,
    speechaceUserId,
    userRef: (queryUserId ?? speechaceUserId)!,
    queryCourseId,
    queryTestId,
    scores,
    reportUrl,
    signature,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readSignature(query: CallbackQuery, userId: string | null, problems: string[]): CallbackFields['signature'] {
  const { mid, sig } = query;
  if (mid === undefined && sig === undefined) return null;
  if (typeof mid !== 'string' || !UUID.test(mid) || typeof sig !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(sig)) {
    problems.push('a signed callback URL needs the query parameters mid (a mapping id) and sig exactly as generated');
    return null;
  }
  return { mappingId: mid.toLowerCase(), sig, userId };
}

/** undefined: absent; null: present but not an id. */
function idText(value: unknown): string | null | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  if (typeof value === 'string') return value.trim();
  return null;
}

function readScores(value: unknown, problems: string[]): SubmissionScores | null {
  if (value === undefined) {
    problems.push('score is required (with at least score.overall)');
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('score must be an object such as {"overall": 6.5}');
    return null;
  }
  const raw = value as Record<string, unknown>;
  const scores: Partial<Record<ScoreField, number>> = {};
  for (const field of SCORE_FIELDS) {
    if (raw[field] === undefined || raw[field] === null || raw[field] === '') continue;
    const score = readScore(raw[field]);
    if (score === null) {
      problems.push(`score.${field} must be a number between 0 and ${MAX_SCORE}`);
    } else {
      scores[field] = score;
    }
  }
  if (scores.overall === undefined) {
    if (raw.overall === undefined || raw.overall === null || raw.overall === '') problems.push('score.overall is required');
    return null;
  }
  return scores as SubmissionScores;
}

function readScore(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d{1,10}(\.\d{1,10})?\s*$/.test(value)) n = Number(value);
  else return null;
  return Number.isFinite(n) && n >= 0 && n <= MAX_SCORE ? n : null;
}

function readReportUrl(value: unknown, problems: string[]): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) {
    problems.push(`reportUrl must be an http(s) URL of up to ${MAX_URL_LENGTH} characters`);
    return null;
  }
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.toString();
  } catch {
    // falls through to the problem below
  }
  problems.push('reportUrl must be an http(s) URL');
  return null;
}

function readOptionalString(value: unknown, name: string, maxLength: number, problems: string[]): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.length > maxLength) {
    problems.push(`${name} must be a string of up to ${maxLength} characters`);
    return null;
  }
  return value;
}
