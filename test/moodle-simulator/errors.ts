/**
 * Moodle web-service errors as the REST server serialises them (HTTP 200, JSON body).
 * Exception class strings and messages are copied from answers recorded on Moodle 5.0.6
 * (see test/fixtures/spec/moodle-recorded.json); the few marked "from source" were
 * not recorded and come from Moodle's lang strings.
 */
export class MoodleWsError extends Error {
  constructor(
    readonly exception: string,
    readonly errorcode: string,
    message: string,
    /** Only sent when the site has debugging on (`setDebug(true)`). */
    readonly debuginfo?: string,
  ) {
    super(message);
  }

  toBody(debug: boolean): Record<string, string> {
    const body: Record<string, string> = { exception: this.exception, errorcode: this.errorcode, message: this.message };
    if (debug && this.debuginfo !== undefined) body.debuginfo = this.debuginfo;
    return body;
  }
}

const MOODLE_EXCEPTION = 'core\\exception\\moodle_exception';

/** The text Moodle puts in debuginfo when a function is not callable with the token (recorded verbatim). */
export function functionNotAllowedDebugInfo(wsfunction: string): string {
  const pad = '\n                     ';
  return (
    `Access to the function ${wsfunction}() is not allowed.` +
    `${pad}There could be multiple reasons for this:` +
    `${pad}1. The service linked to the user token does not contain the function.` +
    `${pad}2. The service is user-restricted and the user is not listed.` +
    `${pad}3. The service is IP-restricted and the user IP is not listed.` +
    `${pad}4. The service is time-restricted and the time has expired.` +
    `${pad}5. The token is time-restricted and the time has expired.` +
    `${pad}6. The service requires a specific capability which the user does not have.` +
    `${pad}7. The function is called with username/password (no user token is sent)` +
    `${pad}and none of the services has the function to allow the user.` +
    `${pad}These settings can be found in Administration > Site administration` +
    `${pad}> Server > Web services > External services and Manage tokens.`
  );
}

export const wsErrors = {
  invalidToken: () => new MoodleWsError(MOODLE_EXCEPTION, 'invalidtoken', 'Invalid token - token not found'),
  accessException: (debuginfo?: string) =>
    new MoodleWsError('webservice_access_exception', 'accessexception', 'Access control exception', debuginfo),
  userSuspended: (username: string) =>
    new MoodleWsError(MOODLE_EXCEPTION, 'wsaccessusersuspended', `Refused web service access for suspended username: ${username}`),
  invalidParameter: (debuginfo?: string) =>
    new MoodleWsError(
      'core\\exception\\invalid_parameter_exception',
      'invalidparameter',
      'Invalid parameter value detected',
      debuginfo,
    ),
  invalidCourseModule: () => new MoodleWsError(MOODLE_EXCEPTION, 'invalidcoursemodule', 'Invalid course module ID'),
  missingRecord: () =>
    new MoodleWsError('dml_missing_record_exception', 'invalidrecordunknown', "Can't find data record in database."),
  dmlWrite: () => new MoodleWsError('dml_write_exception', 'dmlwriteexception', 'Error writing to database'),
  noPermissions: (capabilityName: string) =>
    new MoodleWsError(
      'core\\exception\\required_capability_exception',
      'nopermissions',
      `Sorry, but you do not currently have permissions to do that (${capabilityName}).`,
    ),
  /** From source (lib/classes/grades_external.php, gradereport_user; lang/en/error.php): not recorded. */
  noPermissionToViewGrades: (debuginfo?: string) =>
    new MoodleWsError(MOODLE_EXCEPTION, 'nopermissiontoviewgrades', 'Cannot view grades.', debuginfo),
  /**
   * From source: validate_context() → require_login() refusing a course or activity (not enrolled
   * and no moodle/course:view; activity not visible to the token user). lang/en/error.php requireloginerror.
   */
  requireLogin: (why: string) =>
    new MoodleWsError('core\\exception\\require_login_exception', 'requireloginerror', 'Course or activity not accessible.', why),
  /** From source: functions that wrap validate_context()'s failure (enrol/externallib.php, grades_external.php). */
  courseContextNotValid: (courseId: number, inner: MoodleWsError) =>
    new MoodleWsError(
      MOODLE_EXCEPTION,
      'errorcoursecontextnotvalid',
      `You cannot execute functions in the course context (course id:${courseId}). The context error message was: ${inner.message}`,
    ),
  /** From source (user/externallib.php get_users_by_field with an unsupported field): not recorded. */
  codingError: (hint: string) =>
    new MoodleWsError(
      'core\\exception\\coding_exception',
      'codingerror',
      `Coding error detected, it must be fixed by a programmer: ${hint}`,
    ),
  /** From source (user/lib.php user_get_user_details): message text not recorded. */
  invalidUserField: (field: string) => new MoodleWsError(MOODLE_EXCEPTION, 'invaliduserfield', `Invalid user field: ${field}`),
  /** From source (core_user::require_active_user): message text not recorded. */
  userSuspendedAccount: () => new MoodleWsError(MOODLE_EXCEPTION, 'suspended', 'This account has been suspended.'),
  /** Not a Moodle error: a known Moodle function this simulator does not implement. */
  notSimulated: (wsfunction: string) =>
    new MoodleWsError(MOODLE_EXCEPTION, 'notsimulated', `The Moodle simulator does not implement ${wsfunction}`),
};

/** Human names Moodle uses in `nopermissions` messages (lang/en/role.php and the plugins' lang files, Moodle 5.0). */
export const CAPABILITY_NAMES: Record<string, string> = {
  'mod/assign:grade': 'Grade assignment',
  'mod/assign:view': 'View assignment',
  'moodle/grade:edit': 'Edit grades',
  'moodle/grade:viewall': 'View grades of other users',
  'gradereport/user:view': 'View user report',
  'moodle/course:enrolreview': 'Review course enrolments',
  'moodle/course:viewparticipants': 'View participants',
};

/** Capabilities this simulated site has (clean_param(PARAM_CAPABILITY) refuses any other name). */
export function capabilityExists(id: string, roleCapabilities: readonly string[]): boolean {
  if (id in CAPABILITY_NAMES || roleCapabilities.includes(id)) return true;
  const other = ['mod/assign:viewgrades', 'moodle/grade:manage', 'moodle/grade:hide', 'moodle/grade:view', 'moodle/role:review', 'moodle/site:viewparticipants'];
  return other.includes(id) || /^mod\/(assign|lti|quiz|forum|workshop|lesson|scorm|h5pactivity|data|glossary):view$/.test(id);
}
