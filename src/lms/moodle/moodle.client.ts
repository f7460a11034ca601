import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { baseUrlProblem, parseAllowedHosts } from '../lms-base-url';
import { readStart } from '../answer-start';
import { CallGate } from '../lms-call.limiter';
import { RecordedLmsCall, StudentParts } from '../../sync/sync-attempt.entity';
import { FailureKind, LmsError } from './moodle-errors';
import { FormValue, toMoodleForm } from './moodle-form';
import { StreamedAnswer, StreamedArrayReader } from './streamed-array.reader';
import { ABSENT, CutBody, partsOfAssignGrades, partsOfElements, partsOfOneReport, reportPart } from './student-parts';
import {
  ActivityGradeInput,
  AssignGradeInput,
  GRADE_UPDATE_RESULT,
  GradeUpdateResult,
  MoodleAssignment,
  MoodleSiteInfo,
  MoodleUser,
  MoodleUserGrades,
} from './moodle.types';

export interface MoodleSite {
  baseUrl: string;
  token: string;
  /** The connection's shared rate and concurrency limit; calls run unlimited without one. */
  gate?: CallGate;
}

const RECORDED_BODY_LIMIT = 2000;
/** How much of a non-200 answer is read: enough for its message, never a whole error page of any size. */
const ERROR_PAGE_LIMIT = 64 * 1024;
/** Site info is a few kB (its function list); anything far bigger is not Moodle. */
const SITE_INFO_ANSWER_LIMIT = 1024 * 1024;

/** How a streamed answer's elements are cut into students' parts (see StudentParts). */
interface ElementParts {
  of: (element: unknown, cut: CutBody) => [number, string] | null;
  absent: string;
}

/** How much and how long one session may read from Moodle (README "Outbound calls"). */
export interface SessionLimits {
  /** Whole request and answer, headers to last byte. */
  timeoutMs: number;
  /** Largest answer of an ordinary call, and largest single element of a streamed one. */
  answerBytes: number;
  /** Largest streamed answer (the course-wide grade report), counted as it arrives. */
  reportBytes: number;
  /** LMS_ALLOWED_HOSTS; empty allows any host. */
  allowedHosts: string[];
}

/** Every function this service calls: the token's external service must hold them all. */
export const REQUIRED_FUNCTIONS = [
  'core_webservice_get_site_info',
  'core_user_get_users_by_field',
  'core_enrol_get_enrolled_users',
  'gradereport_user_get_grade_items',
  'mod_assign_save_grades',
  'mod_assign_get_assignments',
  'core_grades_update_grades',
] as const;

/**
 * Functions worth adding to the external service, not needed: without mod_assign_get_grades a
 * burst into an assignment also reads the course-wide grade report before writing.
 */
export const RECOMMENDED_FUNCTIONS = ['mod_assign_get_grades'] as const;

export interface CourseAssignments {
  /** False when Moodle left the course out of its answer; `warnings` then says why. */
  listed: boolean;
  assignments: MoodleAssignment[];
  warnings: string[];
  /** Course modules Moodle left out because the token user may not see them ("No access rights in module context"). */
  hiddenCmids: number[];
}

/** What an observer (the metrics module) learns about each finished LMS call. */
export interface LmsCallObservation {
  function: string;
  durationMs: number;
  outcome: 'ok' | FailureKind;
  errorCode: string | null;
}
export type LmsCallListener = (call: LmsCallObservation) => void;

/** The only code that speaks Moodle. `session()` gives a handle that records every call it makes. */
@Injectable()
export class MoodleClient {
  private listener?: LmsCallListener;

  constructor(private readonly config: AppConfig) {}

  /** Sets the one listener told about every call of every session (set by the metrics module at start-up). */
  onCall(listener: LmsCallListener): void {
    this.listener = listener;
  }

  session(site: MoodleSite): MoodleSession {
    const limits: SessionLimits = {
      timeoutMs: this.config.LMS_TIMEOUT_MS,
      answerBytes: this.config.LMS_MAX_ANSWER_BYTES ?? 16 * 1024 * 1024,
      reportBytes: this.config.LMS_MAX_REPORT_BYTES ?? 1024 * 1024 * 1024,
      allowedHosts: parseAllowedHosts(this.config.LMS_ALLOWED_HOSTS ?? ''),
    };
    return new MoodleSession(site, limits, this.listener);
  }
}

export class MoodleSession {
  readonly calls: RecordedLmsCall[] = [];
  private readonly adopted = new Set<MoodleSession>();

  constructor(
    private readonly site: MoodleSite,
    private readonly limits: SessionLimits,
    private readonly listener?: LmsCallListener,
  ) {}

  /** A session on the same site, limits and gate that records its own calls (for reads other sessions share). */
  fork(): MoodleSession {
    return new MoodleSession(this.site, this.limits, this.listener);
  }

  /**
   * Records the calls of a fork (a shared read) as this session's too, once however often its answer
   * is used; `shared` marks them as sent by another session.
   */
  adopt(fork: MoodleSession, shared: boolean): void {
    if (this.adopted.has(fork)) return;
    this.adopted.add(fork);
    for (const call of fork.calls) this.calls.push(shared ? { ...call, shared: true } : call);
  }

  /**
   * Calls one web-service function; Moodle's errors (sent with HTTP 200) are thrown as LmsError.
   * `partsOf` cuts an answer about many students into the part each student's attempt records.
   */
  call<T>(wsfunction: string, params: Record<string, FormValue> = {}, partsOf?: (answer: unknown, cut: CutBody) => StudentParts | undefined): Promise<T> {
    const limit = wsfunction === 'core_webservice_get_site_info' ? Math.min(SITE_INFO_ANSWER_LIMIT, this.limits.answerBytes) : this.limits.answerBytes;
    return this.send(wsfunction, params, async (response, record) => {
      const answer = await this.readWhole<T>(wsfunction, response, record, limit);
      if (partsOf) record.studentParts = partsOf(answer, this.cutBody);
      return answer;
    });
  }

  /** Cuts an answer or a student's part of it as it is stored with an attempt. */
  private readonly cutBody: CutBody = (text) => this.recordable(text);

  /**
   * Like call(), for an answer `{"<key>":[…],…}` that may be tens of MB: each element of the array
   * goes to `onElement` as it arrives (StreamedArrayReader), and the rest of the object is returned.
   */
  callStreamed(
    wsfunction: string,
    params: Record<string, FormValue>,
    key: string,
    onElement: (element: unknown) => void,
    parts?: ElementParts,
  ): Promise<Record<string, unknown>> {
    return this.send(wsfunction, params, async (response, record) => {
      const byUser = new Map<number, string>();
      const visit = parts
        ? (element: unknown) => {
            onElement(element);
            const part = parts.of(element, this.cutBody);
            if (part) byUser.set(part[0], part[1]);
          }
        : onElement;
      const answer = await this.readStreamed(wsfunction, response, record, key, visit);
      // Only a whole answer: a student a broken answer did not reach is not "absent" from it.
      if (parts) record.studentParts = { byUser, absent: parts.absent };
      return answer;
    });
  }

  private async readStreamed(wsfunction: string, response: Response, record: RecordedLmsCall, key: string, onElement: (element: unknown) => void): Promise<Record<string, unknown>> {
    // Only a 200 can be the answer; anything else is read whole and refused as call() refuses it.
    if (response.status !== 200) return this.readWhole<Record<string, unknown>>(wsfunction, response, record, this.limits.answerBytes);
    const reader = new StreamedArrayReader(key, onElement);
    const decoder = new TextDecoder();
    const headLimit = RECORDED_BODY_LIMIT + this.site.token.length;
    let head = '';
    const take = (text: string) => {
      if (head.length < headLimit) head += text.slice(0, headLimit - head.length + 1);
      reader.push(text);
    };
    let end: StreamedAnswer;
    let received = 0;
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          received += (chunk as Uint8Array).byteLength;
          if (received > this.limits.reportBytes) throw tooLarge(wsfunction, this.limits.reportBytes, 'LMS_MAX_REPORT_BYTES');
          take(decoder.decode(chunk as Uint8Array, { stream: true }));
          // One student's report (or an answer that is not the streamed shape) is held whole: it has the ordinary limit.
          if (reader.held > this.limits.answerBytes) throw tooLarge(wsfunction, this.limits.answerBytes, 'LMS_MAX_ANSWER_BYTES (one element)');
        }
      }
      take(decoder.decode());
      end = reader.end();
    } catch (error) {
      throw error instanceof SyntaxError ? notJson(response.headers.get('content-type'), head) : error;
    } finally {
      record.body = this.recordable(head);
    }
    if (end.streamed) return end.rest;
    const whole = parseAnswer<Record<string, unknown> | null>(wsfunction, response.status, response.headers.get('content-type'), end.text);
    const elements = whole?.[key];
    if (!Array.isArray(elements)) throw invalidShape(wsfunction, key);
    for (const element of elements) onElement(element);
    return whole!;
  }

  private async readWhole<T>(wsfunction: string, response: Response, record: RecordedLmsCall, limit: number): Promise<T> {
    // A refusal (HTTP 4xx/5xx) is judged by its status: only its start is kept, however long the page.
    if (response.status !== 200) {
      const start = await readStart(response, ERROR_PAGE_LIMIT);
      record.body = this.recordable(start);
      return parseAnswer<T>(wsfunction, response.status, response.headers.get('content-type'), start);
    }
    const text = await readLimited(response, limit, () => {
      record.body = `(an answer larger than ${limit} bytes: not kept)`;
      return tooLarge(wsfunction, limit, wsfunction === 'core_webservice_get_site_info' ? 'the 1 MB limit of site info' : 'LMS_MAX_ANSWER_BYTES');
    });
    record.body = this.recordable(text);
    return parseAnswer<T>(wsfunction, response.status, response.headers.get('content-type'), text);
  }

  /** One recorded, limited, timed call: `read` turns Moodle's answer into the result. */
  private async send<T>(wsfunction: string, params: Record<string, FormValue>, read: (response: Response, record: RecordedLmsCall) => Promise<T>): Promise<T> {
    const fields = toMoodleForm(params);
    const body = new URLSearchParams([['wstoken', this.site.token], ['wsfunction', wsfunction], ['moodlewsrestformat', 'json'], ...fields]);
    const record: RecordedLmsCall = { function: wsfunction, params: Object.fromEntries(fields), httpStatus: null, body: null, error: null, durationMs: 0 };
    this.calls.push(record);
    const started = Date.now();
    let failure: LmsError | null = null;
    // One request and its whole answer: the span a rate-limit slot is held for.
    const exchange = async (): Promise<T> => {
      const response = await this.post(body);
      record.httpStatus = response.status;
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => undefined);
        throw new LmsError('permanent', `http_${response.status}`, `LMS redirected to ${response.headers.get('location') ?? '(no location)'}: set the connection's baseUrl to Moodle's exact wwwroot`);
      }
      return read(response, record);
    };
    try {
      // Checked on every call, not only when the connection is saved: a row changed by hand, or
      // saved before these rules, must not send the token anywhere else.
      const refused = baseUrlProblem(this.site.baseUrl, this.limits.allowedHosts);
      if (refused) throw new LmsError('permanent', 'base_url_refused', `not calling the LMS: ${refused}; fix the connection (PATCH baseUrl and token)`);
      return await (this.site.gate ? this.site.gate.run(exchange) : exchange());
    } catch (error) {
      const found = toLmsError(error, this.limits.timeoutMs);
      // A Moodle (or a proxy) may echo the request back: the token must not travel on in our errors.
      const lmsError = new LmsError(found.kind, found.code, this.redact(found.message), found.capabilities);
      record.error = `${lmsError.code}: ${lmsError.message}`;
      failure = lmsError;
      throw lmsError;
    } finally {
      record.durationMs = Date.now() - started;
      this.notify({ function: wsfunction, durationMs: record.durationMs, outcome: failure?.kind ?? 'ok', errorCode: failure?.code ?? null });
    }
  }

  /** An observer's failure must never fail the call it observes. */
  private notify(call: LmsCallObservation): void {
    try {
      this.listener?.(call);
    } catch {
      // ignored on purpose
    }
  }

  /**
   * The start of an answer, as stored with the attempt. Cut before it is cleaned (a course-wide
   * read is tens of MB); a token crossing the cut moves the cut past its end, so it is redacted whole.
   */
  private recordable(text: string): string {
    if (text.length <= RECORDED_BODY_LIMIT) return this.redact(storable(text));
    const token = this.site.token;
    let end = RECORDED_BODY_LIMIT;
    const crossing = token.length > 0 ? text.indexOf(token, Math.max(0, end - token.length + 1)) : -1;
    if (crossing !== -1 && crossing < end) end = crossing + token.length;
    return `${this.redact(storable(text.slice(0, end)))}…`;
  }

  private redact(text: string): string {
    return this.site.token.length > 0 ? text.split(this.site.token).join('[token]') : text;
  }

  private async post(body: URLSearchParams): Promise<Response> {
    const url = `${this.site.baseUrl.replace(/\/+$/, '')}/webservice/rest/server.php`;
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      // Aborts the answer's body too: a Moodle that trickles its answer is cut off like a silent one.
      signal: AbortSignal.timeout(this.limits.timeoutMs),
      redirect: 'manual',
    });
  }

  getSiteInfo(): Promise<MoodleSiteInfo> {
    return this.call<MoodleSiteInfo>('core_webservice_get_site_info');
  }

  async getUsersByField(field: 'id' | 'idnumber' | 'username' | 'email', values: string[]): Promise<MoodleUser[]> {
    const users = await this.call<unknown>('core_user_get_users_by_field', { field, values }, (answer, cut) => partsOfElements(answer, 'id', ABSENT.users, cut));
    if (!Array.isArray(users)) throw invalidShape('core_user_get_users_by_field', 'an array of users');
    return users as MoodleUser[];
  }

  /** Ids of users actively enrolled in the course (asks Moodle for the id field only). */
  async getEnrolledUserIds(courseId: number): Promise<number[]> {
    const users = await this.call<unknown>('core_enrol_get_enrolled_users', {
      courseid: courseId,
      options: [
        { name: 'onlyactive', value: 1 },
        { name: 'userfields', value: 'id' },
      ],
    }, (answer, cut) => partsOfElements(answer, 'id', ABSENT.enrolled, cut));
    if (!Array.isArray(users)) throw invalidShape('core_enrol_get_enrolled_users', 'an array of users');
    return (users as { id: number }[]).map((u) => Number(u.id));
  }

  /** The course's active participants with their e-mail (for matching an e-mail whatever its case). */
  async getEnrolledUserEmails(courseId: number): Promise<{ id: number; email: string }[]> {
    const users = await this.call<unknown>('core_enrol_get_enrolled_users', {
      courseid: courseId,
      options: [
        { name: 'onlyactive', value: 1 },
        { name: 'userfields', value: 'id,email' },
      ],
    }, (answer, cut) => partsOfElements(answer, 'id', ABSENT.enrolled, cut));
    if (!Array.isArray(users)) throw invalidShape('core_enrol_get_enrolled_users', 'an array of users');
    return (users as { id: number; email?: string }[]).map((u) => ({ id: Number(u.id), email: String(u.email ?? '') }));
  }

  /** The grade items one user sees in a course, with their range, locks, overrides and raw grades. */
  async getUserGradeItems(courseId: number, userId: number): Promise<MoodleUserGrades> {
    const own = (answer: unknown) => {
      const grades = (answer as { usergrades?: MoodleUserGrades[] } | null)?.usergrades?.find((g) => Number(g?.userid) === userId);
      return grades && Array.isArray(grades.gradeitems) ? grades : undefined;
    };
    const answer = await this.call<unknown>('gradereport_user_get_grade_items', { courseid: courseId, userid: userId }, (a, cut) => {
      const grades = own(a);
      return grades && partsOfOneReport(grades, cut);
    });
    const grades = own(answer);
    if (!grades) throw invalidShape('gradereport_user_get_grade_items', 'usergrades for the user');
    return grades;
  }

  /**
   * Every active student's grade items in one call (userid 0): cheaper than one call per student
   * for a batch. Each student's report goes to `visit` as it arrives: on a course of thousands the
   * answer is tens of MB, and it is never held whole.
   */
  async forEachCourseGradeReport(courseId: number, visit: (report: MoodleUserGrades) => void): Promise<void> {
    await this.callStreamed('gradereport_user_get_grade_items', { courseid: courseId, userid: 0 }, 'usergrades', (report) => {
      if (!report || typeof report !== 'object' || !Array.isArray((report as MoodleUserGrades).gradeitems)) {
        throw invalidShape('gradereport_user_get_grade_items', 'usergrades with gradeitems');
      }
      visit(report as MoodleUserGrades);
    }, { of: (report, cut) => [Number((report as MoodleUserGrades).userid), reportPart(report as MoodleUserGrades, cut)], absent: ABSENT.report });
  }

  /**
   * An assignment's own grades (assign_grades, what mod_assign_save_grades wrote) for every
   * student, in one cheap call: user id → grade of the latest attempt, null for "touched but not
   * graded" (-1). Says nothing of gradebook locks or overrides. Null when Moodle withholds the
   * grades (no right to view them: a warning, not an error).
   */
  async getAssignGrades(assignmentId: number): Promise<Map<number, number | null> | null> {
    const answer = await this.call<{
      assignments?: { assignmentid: number; grades?: { userid: number; attemptnumber?: number; grade: string | number | null }[] }[];
      warnings?: { itemid?: number; warningcode?: string }[];
    }>('mod_assign_get_grades', { assignmentids: [assignmentId] }, partsOfAssignGrades);
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.assignments)) throw invalidShape('mod_assign_get_grades', 'an object with assignments');
    const listed = answer.assignments.find((a) => Number(a.assignmentid) === assignmentId);
    const grades = new Map<number, number | null>();
    if (!listed) {
      // Warning 3 ("No grades found") is an answer: nobody has a grade yet. Anything else withholds them.
      const none = (answer.warnings ?? []).some((w) => Number(w.itemid) === assignmentId && String(w.warningcode) === '3');
      return none ? grades : null;
    }
    const attempts = new Map<number, number>();
    for (const row of listed.grades ?? []) {
      const userId = Number(row.userid);
      const attempt = Number(row.attemptnumber ?? 0);
      if ((attempts.get(userId) ?? -Infinity) > attempt) continue;
      attempts.set(userId, attempt);
      const grade = row.grade === null ? NaN : Number(row.grade);
      grades.set(userId, Number.isFinite(grade) && grade !== -1 ? grade : null);
    }
    return grades;
  }

  async getAssignments(courseIds: number[]): Promise<MoodleAssignment[]> {
    const answer = await this.call<{ courses?: { assignments?: MoodleAssignment[] }[] }>('mod_assign_get_assignments', {
      courseids: courseIds,
      includenotenrolledcourses: 1,
    });
    return (answer?.courses ?? []).flatMap((c) => c.assignments ?? []);
  }

  /** One course's assignments with their plugin configs, also when the token user is not enrolled in it. */
  async getCourseAssignments(courseId: number): Promise<CourseAssignments> {
    const answer = await this.call<{ courses?: { id: number; assignments?: MoodleAssignment[] }[]; warnings?: { item?: string; itemid?: number; message?: string }[] }>(
      'mod_assign_get_assignments',
      { courseids: [courseId], includenotenrolledcourses: 1 },
    );
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.courses)) throw invalidShape('mod_assign_get_assignments', 'an object with courses');
    const course = answer.courses.find((c) => Number(c.id) === courseId);
    const all = answer.warnings ?? [];
    const warnings = all.filter((w) => w.item !== 'module' && (w.itemid === undefined || Number(w.itemid) === courseId)).map((w) => String(w.message ?? ''));
    const hiddenCmids = all.filter((w) => w.item === 'module').map((w) => Number(w.itemid));
    return { listed: course !== undefined, assignments: course?.assignments ?? [], warnings, hiddenCmids };
  }

  /**
   * Whether the token user holds every one of `capabilities` in the course, asked without writing:
   * mod_assign_get_assignments drops a course where has_all_capabilities() fails, without a warning;
   * a course it cannot open at all is dropped with one (`accessible: false`, Moodle's reason in `warnings`).
   */
  async holdsCapabilities(courseId: number, capabilities: readonly string[]): Promise<{ accessible: boolean; held: boolean; warnings: string[] }> {
    const answer = await this.call<{ courses?: { id: number }[]; warnings?: { item?: string; itemid?: number; message?: string }[] }>('mod_assign_get_assignments', {
      courseids: [courseId],
      capabilities: [...capabilities],
      includenotenrolledcourses: 1,
    });
    if (!answer || typeof answer !== 'object' || !Array.isArray(answer.courses)) throw invalidShape('mod_assign_get_assignments', 'an object with courses');
    const warnings = (answer.warnings ?? []).filter((w) => w.item === 'course' && Number(w.itemid) === courseId).map((w) => String(w.message ?? ''));
    const listed = answer.courses.some((c) => Number(c.id) === courseId);
    return { accessible: listed || warnings.length === 0, held: listed, warnings };
  }

  /**
   * Saves assignment grades with a feedback comment. Moodle answers `null` whether or not anything
   * was saved, so the caller must read back. Text and format are always sent: on a comments-enabled
   * assignment, an entry without them fails the whole call for a student who already has a comment.
   */
  async saveAssignGrades(assignmentId: number, grades: AssignGradeInput[]): Promise<void> {
    await this.call<null>('mod_assign_save_grades', {
      assignmentid: assignmentId,
      applytoall: 0,
      grades: grades.map((g) => ({
        userid: g.userId,
        grade: g.grade,
        attemptnumber: -1,
        addattempt: 0,
        workflowstate: '',
        plugindata: { assignfeedbackcomments_editor: { text: g.feedbackHtml, format: 1 } },
      })),
    });
  }

  /** Writes grades of an activity whose grade is fed from outside. Never for mod_assign items. */
  async updateActivityGrades(args: {
    courseId: number;
    component: string;
    cmid: number;
    itemNumber: number;
    grades: ActivityGradeInput[];
  }): Promise<GradeUpdateResult> {
    const answer = await this.call<unknown>('core_grades_update_grades', {
      source: 'speechace',
      courseid: args.courseId,
      component: args.component,
      activityid: args.cmid,
      itemnumber: args.itemNumber,
      grades: args.grades.map((g) => ({ studentid: g.studentId, grade: g.grade })),
    });
    const known: number[] = Object.values(GRADE_UPDATE_RESULT);
    if (typeof answer !== 'number' || !known.includes(answer)) {
      throw invalidShape('core_grades_update_grades', 'one of 0, 1, 2, 4');
    }
    return answer as GradeUpdateResult;
  }
}

function parseAnswer<T>(wsfunction: string, status: number, contentType: string | null, text: string): T {
  if (status !== 200) throw LmsError.fromHttpStatus(status, snippetOf(text));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notJson(contentType, text);
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'errorcode' in parsed && 'exception' in parsed) {
    const error = parsed as { errorcode: unknown; message?: unknown };
    throw LmsError.fromMoodleError(String(error.errorcode), String(error.message ?? ''), wsfunction);
  }
  return parsed as T;
}

/** PostgreSQL text and jsonb cannot hold NUL: an LMS answering binary garbage must still be recordable. */
function snippetOf(text: string): string {
  return storable(text.slice(0, 200)).replace(/\s+/g, ' ');
}

function notJson(contentType: string | null, text: string): LmsError {
  return new LmsError('transient', 'invalid_response', `LMS answered something that is not JSON (${contentType ?? 'no content type'}): ${snippetOf(text)}`);
}

function storable(text: string): string {
  return text.split(String.fromCharCode(0)).join('\uFFFD');
}

function toLmsError(error: unknown, timeoutMs: number): LmsError {
  if (error instanceof LmsError) return error;
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return new LmsError('transient', 'timeout', `LMS did not answer within ${timeoutMs} ms`);
  }
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  return new LmsError('transient', 'network', `Could not reach the LMS: ${detail}`);
}

/** A permanent failure: retrying gets the same answer; an admin raises the limit or fixes the site. */
function tooLarge(wsfunction: string, limit: number, setting: string): LmsError {
  return new LmsError('permanent', 'answer_too_large', `${wsfunction} answered more than ${limit} bytes (${setting}); the answer was not read further`);
}

/** The answer's text, read chunk by chunk and refused as soon as it passes `limit` bytes (the rest is never downloaded). */
async function readLimited(response: Response, limit: number, overLimit: () => Error): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Uint8Array).byteLength;
    if (size > limit) throw overLimit();
    chunks.push(chunk as Uint8Array);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

function invalidShape(wsfunction: string, expected: string): LmsError {
  return new LmsError('transient', 'invalid_response', `${wsfunction} answered in an unexpected shape (expected ${expected})`);
}
