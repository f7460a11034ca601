import { wsErrors } from '../errors';
import type { SimState, SimUser } from '../state';

/** What a web-service function sees of the simulator while it runs. */
export interface WsContext {
  readonly state: SimState;
  /** The user the token belongs to ($USER). */
  readonly tokenUser: SimUser;
  /** The Moodle wwwroot, without a trailing slash. */
  readonly baseUrl: string;
  /** Functions of the token's external service, in the service's order. */
  readonly serviceFunctions: readonly string[];
  readonly userPrivateAccessKey: string;
  can(capability: string): boolean;
}

export type WsHandler = (ctx: WsContext, params: Record<string, unknown>) => unknown;

export function fullname(user: SimUser): string {
  return `${user.firstname} ${user.lastname}`.trim();
}

/**
 * validate_context() of a course (lib/external/classes/external_api.php → require_login()): a token
 * user who is not actively enrolled gets in only with moodle/course:view ("View courses without
 * participation"); anything else is refused with requireloginerror.
 */
export function requireCourseLogin(ctx: WsContext, courseId: number): void {
  if (ctx.state.courses.get(courseId)?.visible === false && !ctx.can('moodle/course:viewhiddencourses')) throw wsErrors.requireLogin('Course is hidden');
  const enrolled = ctx.state.enrolments.some((e) => e.courseId === courseId && e.userId === ctx.tokenUser.id && !e.suspended);
  if (!enrolled && !ctx.can('moodle/course:view')) throw wsErrors.requireLogin('Not enrolled');
}

/**
 * cm_info::$uservisible for the token user (lib/modinfolib.php): an activity is hidden from a user
 * without its module's :view capability (mod/assign:view, mod/lti:view, …), and a hidden one from a
 * user without moodle/course:viewhiddenactivities. Availability conditions are not simulated.
 */
export function canSeeModule(ctx: WsContext, module: string, cmid?: number): boolean {
  const cm = cmid === undefined ? undefined : ctx.state.cms.get(cmid);
  if (cm?.visible === false && !ctx.can('moodle/course:viewhiddenactivities')) return false;
  return ctx.can(`mod/${module}:view`);
}
