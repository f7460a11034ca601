import { capabilityRefusal, loginCheckCapabilities } from './moodle-capabilities';

export type FailureKind = 'transient' | 'permanent';

/** Moodle error codes worth another try later; every other errorcode is permanent. */
const TRANSIENT_ERROR_CODES = new Set(['sitemaintenance', 'dmlwriteexception', 'dmlreadexception', 'dbsessionfailure']);

/** What an admin can do about the common permanent codes. */
const HINTS: Record<string, string> = {
  invalidtoken: 'the web-service token is wrong, deleted or expired: create a new token and update the connection',
  accessexception:
    'Moodle refused access: the function may be missing from the external service, the token user may not be an authorised user of a restricted service, the token may be IP-restricted or expired, the role may lack webservice/rest:use, or the service may be disabled',
  wsaccessusersuspended: 'the web-service user is suspended in Moodle',
  nopermissiontoviewgrades: 'the web-service user may not view grades in this course',
  invalidparameter: 'Moodle rejected a parameter value',
  invalidcoursemodule: 'the course module (cmid) does not exist',
  invalidrecordunknown: 'a course, user or assignment named in the call does not exist in Moodle',
  errorcoursecontextnotvalid: 'the course is not valid for this web-service user',
};

/** The hint for a Moodle error: the exact capability when Moodle's answer implies one, else the code's general hint. */
function hintFor(errorcode: string, message: string, wsfunction?: string): string | undefined {
  const refusal = capabilityRefusal(wsfunction, errorcode, message);
  if (refusal) return refusal.hint;
  if (errorcode === 'requireloginerror' || errorcode === 'errorcoursecontextnotvalid') {
    return `Moodle's login check of the course${wsfunction === 'mod_assign_save_grades' ? ' or assignment' : ''} failed: the web-service user is not enrolled and its role lacks one of ${loginCheckCapabilities(wsfunction).join(', ')} (system context), or the course does not exist`;
  }
  return HINTS[errorcode];
}

export class LmsError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** Moodle's errorcode, or one of ours: network, timeout, http_<status>, invalid_response, … */
    readonly code: string,
    message: string,
    /** Capability ids Moodle's answer says the web-service user lacks (from a nopermissions display name, or implied by the function). */
    readonly capabilities: readonly string[] = [],
  ) {
    super(message);
    this.name = 'LmsError';
  }

  /** `wsfunction` lets a capability refusal name the exact capability (what Moodle checks differs per function). */
  static fromMoodleError(errorcode: string, message: string, wsfunction?: string): LmsError {
    const hint = hintFor(errorcode, message, wsfunction);
    const text = `Moodle error ${errorcode}: ${message}${hint ? ` (${hint})` : ''}`;
    const capabilities = capabilityRefusal(wsfunction, errorcode, message)?.capabilities ?? [];
    return new LmsError(TRANSIENT_ERROR_CODES.has(errorcode) ? 'transient' : 'permanent', errorcode, text, capabilities);
  }

  static fromHttpStatus(status: number, snippet: string): LmsError {
    const transient = status === 408 || status === 429 || status >= 500;
    const hint = status === 404 ? ' (is the connection base URL the Moodle wwwroot?)' : '';
    return new LmsError(transient ? 'transient' : 'permanent', `http_${status}`, `LMS answered HTTP ${status}${hint}: ${snippet}`);
  }
}
