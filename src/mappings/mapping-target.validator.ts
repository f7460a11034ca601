import { LmsSessions } from '../lms/lms-sessions';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConnectionEntity } from '../connections/connection.entity';
import { CourseAssignments, MoodleSession } from '../lms/moodle/moodle.client';
import { LmsError } from '../lms/moodle/moodle-errors';
import { MoodleGradeWriter } from '../lms/moodle/moodle-grade.writer';
import { SyncRefused } from '../sync/sync-outcome';
import { MappingTarget, moodleTarget } from './mapping.entity';

/**
 * `refusal`: Moodle says the target is wrong (a mapping to it is refused);
 * `unchecked`: Moodle could not be asked or refused to answer;
 * `notice`: grades will not land as expected (e.g. the item is locked);
 * `caveat`: grades land, something beside them does not (e.g. the feedback text).
 */
export type TargetProblemKind = 'refusal' | 'unchecked' | 'notice' | 'caveat';

export interface TargetProblem {
  kind: TargetProblemKind;
  code: string;
  message: string;
  possibleCauses?: string[];
  /** Capability ids Moodle's answer says the web-service user lacks. */
  capabilities?: string[];
}

export interface TargetInspection {
  /** The check stopped early: the LMS stopped answering, or refused the token outright. */
  halted: boolean;
  itemFound: boolean | null;
  /** The grade item is not locked. */
  writable: boolean | null;
  grademin: number | null;
  grademax: number | null;
  /** assign targets only: the feedback-comments plugin is on, so the feedback text is kept. */
  feedbackCommentsEnabled: boolean | null;
  problems: TargetProblem[];
}

/** Codes Moodle answers with when the course named in the call does not exist (core_enrol_get_enrolled_users loads it first). */
const COURSE_MISSING_CODES = new Set(['invalidrecordunknown', 'invalidrecord', 'invalidcourseid']);
/** Ours, for an LMS that did not answer as Moodle: nothing after it can work. */
const TRANSPORT_CODES = new Set(['network', 'timeout', 'invalid_response', 'answer_too_large', 'base_url_refused']);
/** The token itself is refused: every further call would get the same. */
const TOKEN_REFUSED_CODES = new Set(['invalidtoken', 'wsaccessusersuspended']);
/** A grade report read as a suspended user fails; another enrolled user will do. */
const USER_SUSPENDED_CODE = 'suspended';
const REPORT_USERS_TRIED = 3;

export function isTransportFailure(error: LmsError): boolean {
  return TRANSPORT_CODES.has(error.code) || error.code.startsWith('http_');
}

export function isTokenRefused(error: LmsError): boolean {
  return TOKEN_REFUSED_CODES.has(error.code);
}

/** What an admin can check when Moodle answers accessexception: it gives that one answer for all of these. */
export function accessExceptionCauses(wsfunction: string): string[] {
  return [
    `the function ${wsfunction} is not in the external service the token belongs to (Site administration > Server > Web services > External services > Functions)`,
    "the external service is limited to authorised users and the token's user is not one of them (External services > Authorised users)",
    "the token is restricted to IP addresses that do not include this server's address (Manage tokens > IP restriction)",
    'the token has expired ("Valid until"): Moodle deletes an expired token after this answer, so the next call says invalidtoken; create a new token',
    "the token user's role lacks the capability webservice/rest:use",
    'the external service is disabled (External services > Enabled)',
  ];
}

/** A failed Moodle call as a problem an admin can act on. `allowed` is what core_webservice_get_site_info said the token may call. */
export function describeLmsFailure(wsfunction: string, error: LmsError, allowed?: ReadonlySet<string>): Omit<TargetProblem, 'kind'> {
  if (isTransportFailure(error)) return { code: 'lms_unreachable', message: `${wsfunction}: ${error.message}` };
  switch (error.code) {
    case 'invalidtoken':
      return {
        code: 'invalidtoken',
        message:
          'Moodle does not know this token (invalidtoken): it is mistyped, was deleted, or had expired (Moodle deletes an expired token after refusing it once). Create a new token for the web-service user and set it on the connection (PATCH /api/v1/connections/:id {"token"})',
      };
    case 'wsaccessusersuspended':
      return {
        code: 'wsaccessusersuspended',
        message:
          "The token's web-service user is suspended in Moodle (wsaccessusersuspended): unsuspend the account (Site administration > Users > Browse list of users) or use a token of an active user",
      };
    case 'accessexception':
      if (allowed && !allowed.has(wsfunction)) {
        return { code: 'accessexception', message: `Moodle refused ${wsfunction} (accessexception): it is not among the functions this token may call; add it to the token's external service` };
      }
      return {
        code: 'accessexception',
        message: `Moodle refused ${wsfunction} (accessexception, "Access control exception"). Moodle gives this one answer for several causes; check each possible cause`,
        possibleCauses: accessExceptionCauses(wsfunction),
      };
    default:
      return error.capabilities.length > 0
        ? { code: error.code, message: `${wsfunction}: ${error.message}`, capabilities: [...error.capabilities] }
        : { code: error.code, message: `${wsfunction}: ${error.message}` };
  }
}

/** Replaces every occurrence of the secret in the strings of a value (an LMS or proxy may echo a request back). */
export function redactSecret<T>(value: T, secret: string): T {
  if (!secret) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(secret).join('[token]');
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Date) return v;
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  return walk(value) as T;
}

class CheckHalted extends Error {}

/** Checks a mapping target against Moodle: refuses targets Moodle says are wrong, warns when Moodle cannot say. */
@Injectable()
export class MappingTargetValidator {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sessions: LmsSessions,
    private readonly writer: MoodleGradeWriter,
  ) {}

  /** Throws 400 when Moodle says the course, item or assignment is wrong; returns warnings otherwise. */
  async validate(connectionId: string, courseId: number, target: MappingTarget): Promise<string[]> {
    const connection = await this.db.getRepository(ConnectionEntity).findOneByOrFail({ id: connectionId });
    let session: { lms: MoodleSession; token: string };
    try {
      session = this.sessions.open(connection);
    } catch (error) {
      if (error instanceof LmsError) return [`could not check the mapping against Moodle: ${error.message}`];
      throw error;
    }
    const { lms, token } = session;
    const inspection = redactSecret(await this.inspect(lms, courseId, target), token);
    const refusals = inspection.problems.filter((p) => p.kind === 'refusal');
    if (refusals.length > 0) {
      throw new BadRequestException(`The mapping does not match Moodle (course ${courseId}): ${refusals.map((p) => p.message).join('; ')}`);
    }
    return inspection.problems.map((p) =>
      p.kind === 'unchecked'
        ? `could not check the mapping against Moodle: ${p.message}${p.possibleCauses ? ` (possible causes: ${p.possibleCauses.join('; ')})` : ''}`
        : p.message,
    );
  }

  /** What Moodle says about one target: course, assignment (for assign), and the grade item as an enrolled user sees it. */
  async inspect(lms: MoodleSession, courseId: number, target: MappingTarget, allowed?: ReadonlySet<string>): Promise<TargetInspection> {
    const result: TargetInspection = { halted: false, itemFound: null, writable: null, grademin: null, grademax: null, feedbackCommentsEnabled: null, problems: [] };
    const ask = async <T>(wsfunction: string, call: () => Promise<T>): Promise<T | undefined> => {
      if (allowed && !allowed.has(wsfunction)) {
        result.problems.push({ kind: 'unchecked', code: 'function_missing', message: `not checked: the token may not call ${wsfunction}` });
        return undefined;
      }
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof LmsError)) throw error;
        if (wsfunction === 'core_enrol_get_enrolled_users' && COURSE_MISSING_CODES.has(error.code)) {
          result.problems.push({ kind: 'refusal', code: 'course_not_found', message: `Moodle has no course with id ${courseId} (lmsCourseId)` });
          throw new CheckHalted();
        }
        result.problems.push({ kind: 'unchecked', ...describeLmsFailure(wsfunction, error, allowed) });
        if (isTransportFailure(error) || isTokenRefused(error)) throw new CheckHalted();
        return undefined;
      }
    };
    try {
      const userIds = await ask('core_enrol_get_enrolled_users', () => lms.getEnrolledUserIds(courseId));
      if (target.type === 'assign') {
        const course = await ask('mod_assign_get_assignments', () => lms.getCourseAssignments(courseId));
        if (course) this.checkAssignment(course, courseId, target, result);
      }
      if (userIds && !result.problems.some((p) => p.code === 'grade_type_unsupported')) await this.checkItem(lms, courseId, target, userIds, result, ask);
    } catch (error) {
      if (!(error instanceof CheckHalted)) throw error;
      result.halted = result.problems.some((p) => p.kind === 'unchecked');
    }
    return result;
  }

  private checkAssignment(
    { listed, assignments, warnings, hiddenCmids }: CourseAssignments,
    courseId: number,
    target: Extract<MappingTarget, { type: 'assign' }>,
    result: TargetInspection,
  ): void {
    if (!listed) {
      const why = warnings.filter(Boolean).join('; ') || 'no reason given';
      result.problems.push({ kind: 'unchecked', code: 'assignments_not_listed', message: `mod_assign_get_assignments did not list course ${courseId}: ${why}` });
      return;
    }
    const byId = assignments.find((a) => Number(a.id) === target.assignmentId);
    const byCmid = assignments.find((a) => Number(a.cmid) === target.cmid);
    if (byId && Number(byId.cmid) === target.cmid) {
      result.feedbackCommentsEnabled = (byId.configs ?? []).some(
        (c) => c.plugin === 'comments' && c.subtype === 'assignfeedback' && c.name === 'enabled' && String(c.value) === '1',
      );
      // assign.grade: the maximum of a point grade, minus the scale id of a scale, 0 for grade type None.
      const grade = Number(byId.grade);
      if (grade > 0) {
        result.grademin = 0;
        result.grademax = grade;
      } else {
        result.problems.push({
          kind: 'refusal',
          code: 'grade_type_unsupported',
          message:
            grade < 0
              ? `assignment ${target.assignmentId} is graded with a scale (scale ${-grade}): this service writes numeric grades, which Moodle would round to a scale position; set its grade type to Point, or map another assignment`
              : `assignment ${target.assignmentId} has grade type None: there is no grade to write; set its grade type to Point, or map another assignment`,
        });
        return;
      }
      if (!result.feedbackCommentsEnabled) {
        result.problems.push({
          kind: 'caveat',
          code: 'feedback_comments_disabled',
          message: `assignment ${target.assignmentId} has feedback comments turned off: grades are saved, but the feedback text (scores and report link) is dropped; turn on "Feedback comments" in the assignment's settings to keep it`,
        });
      }
      return;
    }
    if (byId) {
      const other = byCmid ? ` (course module ${target.cmid} is assignment ${byCmid.id})` : '';
      result.problems.push({
        kind: 'refusal',
        code: 'target_mismatch',
        message: `assignment ${target.assignmentId} has course-module id ${byId.cmid}, not ${target.cmid}${other}: give the assignment's instance id and its own cmid`,
      });
    } else if (byCmid) {
      result.problems.push({
        kind: 'refusal',
        code: 'target_mismatch',
        message: `course module ${target.cmid} is assignment ${byCmid.id}, not assignment ${target.assignmentId}: give the assignment's instance id (not the cmid) and its own cmid`,
      });
    } else if (hiddenCmids.includes(target.cmid)) {
      result.problems.push({
        kind: 'unchecked',
        code: 'assignment_not_visible',
        message: `Moodle did not show course module ${target.cmid} to the web-service user ("No access rights in module context"): its role lacks mod/assign:view, or the assignment is hidden or restricted and the role lacks moodle/course:viewhiddenactivities or moodle/course:ignoreavailabilityrestrictions`,
      });
    } else {
      result.problems.push({
        kind: 'refusal',
        code: 'assignment_not_found',
        message: `course ${courseId} has no assignment with id ${target.assignmentId} that the web-service user can see`,
      });
    }
  }

  /** Reads the grade report of an enrolled user: only it shows the item's range and lock. */
  private async checkItem(
    lms: MoodleSession,
    courseId: number,
    target: MappingTarget,
    userIds: number[],
    result: TargetInspection,
    ask: <T>(wsfunction: string, call: () => Promise<T>) => Promise<T | undefined>,
  ): Promise<void> {
    if (userIds.length === 0) {
      result.problems.push({
        kind: 'unchecked',
        code: 'no_enrolled_user',
        message: `the grade item was not checked: course ${courseId} has no actively enrolled user whose grade report could be read`,
      });
      return;
    }
    for (const userId of userIds.slice(0, REPORT_USERS_TRIED)) {
      let suspended = false;
      const item = await ask('gradereport_user_get_grade_items', async () => {
        try {
          return await this.writer.inspect(lms, { courseId, userId, target: moodleTarget(target) });
        } catch (error) {
          if (error instanceof SyncRefused) {
            result.itemFound = false;
            if (!result.problems.some((p) => p.code === error.errorCode)) {
              result.problems.push({ kind: 'refusal', code: error.errorCode ?? 'item_not_found', message: error.message });
            }
            return undefined;
          }
          if (error instanceof LmsError && error.code === USER_SUSPENDED_CODE) {
            suspended = true;
            return undefined;
          }
          throw error;
        }
      });
      if (suspended) continue;
      if (!item) return;
      result.itemFound = true;
      result.writable = !item.locked;
      result.grademin = Number(item.grademin);
      result.grademax = Number(item.grademax);
      if (item.locked) {
        result.problems.push({
          kind: 'notice',
          code: 'item_locked',
          message: `the grade item "${item.itemname ?? item.id}" is locked in Moodle: grades will be blocked until a teacher unlocks it`,
        });
      }
      return;
    }
    result.problems.push({
      kind: 'unchecked',
      code: 'no_enrolled_user',
      message: `the grade item was not checked: the first enrolled users of course ${courseId} have suspended accounts`,
    });
  }
}
