export type FailureKind = 'transient' | 'permanent';

/** Moodle error codes worth another try later; every other errorcode is permanent. */
const TRANSIENT_ERROR_CODES = new Set(['sitemaintenance', 'dmlwriteexception', 'dmlreadexception', 'dbsessionfailure']);

/** What an admin can do about the common permanent codes. */
const HINTS: Record<string, string> = {
  invalidtoken: 'the web-service token is wrong, deleted or expired: create a new token and update the connection',
  accessexception:
    'Moodle refused access: the function may be missing from the external service, the token user may not be an authorised user of a restricted service, the token may be IP-restricted or expired, the role may lack webservice/rest:use, or the service may be disabled',
  wsaccessusersuspended: 'the web-service user is suspended in Moodle',
  nopermissions: 'the web-service user lacks a capability in this course (e.g. moodle/grade:edit or mod/assign:grade)',
  nopermissiontoviewgrades: 'the web-service user may not view grades in this course',
  invalidparameter: 'Moodle rejected a parameter value',
  invalidcoursemodule: 'the course module (cmid) does not exist',
  invalidrecordunknown: 'a course, user or assignment named in the call does not exist in Moodle',
  errorcoursecontextnotvalid: 'the course is not valid for this web-service user',
};

export class LmsError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** Moodle's errorcode, or one of ours: network, timeout, http_<status>, invalid_response, … */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LmsError';
  }

  static fromMoodleError(errorcode: string, message: string): LmsError {
    const hint = HINTS[errorcode];
    const text = `Moodle error ${errorcode}: ${message}${hint ? ` (${hint})` : ''}`;
    return new LmsError(TRANSIENT_ERROR_CODES.has(errorcode) ? 'transient' : 'permanent', errorcode, text);
  }

  static fromHttpStatus(status: number, snippet: string): LmsError {
    const transient = status === 408 || status === 429 || status >= 500;
    const hint = status === 404 ? ' (is the connection base URL the Moodle wwwroot?)' : '';
    return new LmsError(transient ? 'transient' : 'permanent', `http_${status}`, `LMS answered HTTP ${status}${hint}: ${snippet}`);
  }
}
