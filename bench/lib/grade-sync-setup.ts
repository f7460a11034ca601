import { randomBytes } from 'node:crypto';

export const SPEECHACE_COURSE_ID = '1234';
export const CALLBACK_KEY = 'IlYq1zwpMrCaUAW3';
export const LMS_COURSE_ID = 2;
/** What the Moodle simulator's demo seed holds (test/moodle-simulator/seeds.ts seedDemo). */
export const TARGETS = {
  activity: { type: 'activity', component: 'mod_lti', cmid: 4, itemNumber: 0 },
  assign: { type: 'assign', assignmentId: 2, cmid: 3 },
} as const;
export type TargetKind = keyof typeof TARGETS;

export function newAdminToken(): string {
  return `bench-admin-${randomBytes(12).toString('hex')}`;
}

export function newEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

/** A Speechace callback as in the README worked example; `n` makes the attempt distinct (its report URL). */
export function callbackBody(runId: string, n: number, userId: number, speechaceCourseId = SPEECHACE_COURSE_ID): string {
  return JSON.stringify({
    version: '1.0',
    key: CALLBACK_KEY,
    courseId: Number(speechaceCourseId),
    quizId: 456,
    userId: String(userId),
    score: { overall: 7.2, pronunciation: 7.6, fluency: 6.5, vocab: 6.6, grammar: 5.5 },
    reportUrl: `https://speak.speechace.co/placement/report/bench-${runId}-${n}`,
  });
}

async function adminPost(baseUrl: string, token: string, pathname: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${baseUrl}${pathname}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${pathname} answered ${res.status}: ${text}`);
  return JSON.parse(text) as { id: string };
}

/**
 * Connection, assessment and mapping through the admin API, as the README's worked example does.
 * `course` maps another Speechace course to another Moodle course and item (default: the demo's),
 * on an existing connection if `connectionId` is given.
 */
export async function configureGradeSync(
  serviceUrl: string,
  adminToken: string,
  moodle: { baseUrl: string; token: string },
  target: TargetKind,
  course?: { speechaceCourseId: string; lmsCourseId: number; instance: number; cmid: number; connectionId?: string },
): Promise<{ connectionId: string; assessmentId: string; mappingId: string }> {
  const connection = course?.connectionId
    ? { id: course.connectionId }
    : await adminPost(serviceUrl, adminToken, '/api/v1/connections', {
        name: 'Bench Moodle',
        kind: 'moodle',
        baseUrl: moodle.baseUrl,
        token: moodle.token,
      });
  const assessment = await adminPost(serviceUrl, adminToken, '/api/v1/assessments', {
    name: `Bench placement test ${course?.speechaceCourseId ?? SPEECHACE_COURSE_ID}`,
    speechaceCourseId: course?.speechaceCourseId ?? SPEECHACE_COURSE_ID,
    callbackKey: CALLBACK_KEY,
  });
  const targetOf = (): (typeof TARGETS)[TargetKind] | { type: 'assign'; assignmentId: number; cmid: number } | { type: 'activity'; component: 'mod_lti'; cmid: number; itemNumber: 0 } => {
    if (!course) return TARGETS[target];
    return target === 'assign'
      ? { type: 'assign', assignmentId: course.instance, cmid: course.cmid }
      : { type: 'activity', component: 'mod_lti', cmid: course.cmid, itemNumber: 0 };
  };
  const mapping = await adminPost(serviceUrl, adminToken, '/api/v1/mappings', {
    assessmentId: assessment.id,
    connectionId: connection.id,
    lmsCourseId: course?.lmsCourseId ?? LMS_COURSE_ID,
    target: targetOf(),
    userMatch: 'id',
    scoreField: 'overall',
    sourceScale: { min: 0, max: 9 },
  });
  return { connectionId: connection.id, assessmentId: assessment.id, mappingId: mapping.id };
}
