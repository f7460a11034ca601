/**
 * The one list of Moodle capabilities this service's web-service user needs, read from Moodle 5.0's
 * source for every function we call (docs/moodle/grade-sync-role.xml is checked against it by a test;
 * the simulator grants exactly these by default). `name` is Moodle's English display name
 * (lang/en/role.php and the plugins' lang files): a `nopermissions` answer names a capability only
 * by it, e.g. "Sorry, but you do not currently have permissions to do that (Review course enrolments)."
 */
export type CapabilityLevel = 'system' | 'course' | 'module' | 'user';

export interface MoodleCapability {
  id: string;
  name: string;
  /** The context Moodle checks it in (a role assigned in the system context reaches all of them). */
  checkedIn: CapabilityLevel;
  /** The functions whose checks need it. */
  functions: readonly string[];
  why: string;
  /**
   * When a connection needs it: `always`; only in some courses (`situational`: hidden courses or
   * activities, availability restrictions, separate groups, hidden grades); or only for some mappings.
   */
  neededFor: 'always' | 'situational' | 'assign' | 'activity' | 'lti' | 'match-by-username-or-idnumber' | 'match-by-email';
}

const ENROLLED = 'core_enrol_get_enrolled_users';
const BY_FIELD = 'core_user_get_users_by_field';
const REPORT = 'gradereport_user_get_grade_items';
const SAVE = 'mod_assign_save_grades';
const ASSIGNMENTS = 'mod_assign_get_assignments';
const UPDATE = 'core_grades_update_grades';
const COURSE_FUNCTIONS = [ENROLLED, REPORT, SAVE, ASSIGNMENTS, UPDATE];

export const GRADE_SYNC_CAPABILITIES: readonly MoodleCapability[] = [
  {
    id: 'webservice/rest:use',
    name: 'Use REST protocol',
    checkedIn: 'system',
    functions: ['core_webservice_get_site_info', BY_FIELD, ...COURSE_FUNCTIONS],
    why: 'every call goes through the REST protocol (checked in the token context before any function runs)',
    neededFor: 'always',
  },
  {
    id: 'moodle/course:view',
    name: 'View courses without participation',
    checkedIn: 'course',
    functions: COURSE_FUNCTIONS,
    why: 'the web-service user is not enrolled in the courses; without it every course-level call fails its login check ("Not enrolled")',
    neededFor: 'always',
  },
  {
    id: 'moodle/course:viewhiddencourses',
    name: 'View hidden courses',
    checkedIn: 'course',
    functions: COURSE_FUNCTIONS,
    why: 'grades still reach a course that is hidden from students',
    neededFor: 'situational',
  },
  {
    id: 'moodle/course:viewhiddenactivities',
    name: 'View hidden activities',
    checkedIn: 'module',
    functions: [REPORT, SAVE, ASSIGNMENTS],
    why: 'grades still reach an assignment or activity that is hidden from students',
    neededFor: 'situational',
  },
  {
    id: 'moodle/course:ignoreavailabilityrestrictions',
    name: 'Ignore availability restrictions',
    checkedIn: 'module',
    functions: [REPORT, SAVE, ASSIGNMENTS],
    why: 'an activity restricted by date, group or completion is still visible to the web-service user, which belongs to no group and completes nothing',
    neededFor: 'situational',
  },
  {
    id: 'moodle/site:accessallgroups',
    name: 'Access all groups',
    checkedIn: 'course',
    functions: [ENROLLED, REPORT],
    why: 'in a course in separate-groups mode, enrolled users and grade reports of every group are visible',
    neededFor: 'situational',
  },
  {
    id: 'moodle/course:enrolreview',
    name: 'Review course enrolments',
    checkedIn: 'course',
    functions: [ENROLLED],
    why: 'we ask only for active enrolments (onlyactive=1), which Moodle allows only with it; it also passes the participants check',
    neededFor: 'always',
  },
  {
    id: 'moodle/user:viewdetails',
    name: 'View user profiles',
    checkedIn: 'user',
    functions: [BY_FIELD, ENROLLED],
    why: 'users whose profile the token user may not view are silently left out of user lookups and of the enrolled-users list',
    neededFor: 'always',
  },
  {
    id: 'moodle/user:viewalldetails',
    name: 'View user full information',
    checkedIn: 'user',
    functions: [BY_FIELD],
    why: 'matching users by username or idnumber: without it Moodle hides those fields, so no user matches',
    neededFor: 'match-by-username-or-idnumber',
  },
  {
    id: 'moodle/site:viewuseridentity',
    name: 'See full user identity in lists',
    checkedIn: 'user',
    functions: [BY_FIELD],
    why: 'matching users by email: Moodle shows the email of other users only to holders of it (email is in "Show user identity" by default)',
    neededFor: 'match-by-email',
  },
  {
    id: 'gradereport/user:view',
    name: 'View user report',
    checkedIn: 'course',
    functions: [REPORT],
    why: 'reading a grade item\'s range, locks and overrides, and reading every grade back after writing it',
    neededFor: 'always',
  },
  {
    id: 'moodle/grade:viewall',
    name: 'View grades of other users',
    checkedIn: 'course',
    functions: [REPORT],
    why: 'the grade report of another user, and of the whole course at once',
    neededFor: 'always',
  },
  {
    id: 'moodle/grade:viewhidden',
    name: 'View hidden grades for owner',
    checkedIn: 'course',
    functions: [REPORT],
    why: 'hidden grade items are left out of the report and hidden grades read back empty without it',
    neededFor: 'situational',
  },
  {
    id: 'moodle/grade:edit',
    name: 'Edit grades',
    checkedIn: 'course',
    functions: [UPDATE],
    why: 'writing grades of activities (core_grades_update_grades)',
    neededFor: 'activity',
  },
  {
    id: 'mod/assign:view',
    name: 'View assignment',
    checkedIn: 'module',
    functions: [ASSIGNMENTS, SAVE, REPORT],
    why: 'an assignment the token user may not view is left out of the assignment list and the grade report, and cannot be graded',
    neededFor: 'assign',
  },
  {
    id: 'mod/assign:grade',
    name: 'Grade assignment',
    checkedIn: 'module',
    functions: [SAVE],
    why: 'writing assignment grades with feedback (mod_assign_save_grades)',
    neededFor: 'assign',
  },
  {
    id: 'mod/lti:view',
    name: 'Launch external tool activities',
    checkedIn: 'module',
    functions: [REPORT],
    why: 'an External tool activity\'s grade item is left out of the grade report without it (activities of another module need that module\'s :view capability)',
    neededFor: 'lti',
  },
];

/** Capabilities Moodle checks in our functions that the role does not grant, by the name a refusal shows. */
const OTHER_NAMED = new Map<string, string>([
  ['View participants', 'moodle/course:viewparticipants'],
  ['Review permissions for others', 'moodle/role:review'],
  ['View own grades', 'moodle/grade:view'],
  ['Manage grade items', 'moodle/grade:manage'],
  ['Hide/unhide grades or items', 'moodle/grade:hide'],
]);

const BY_NAME = new Map<string, string>([...GRADE_SYNC_CAPABILITIES.map((c): [string, string] => [c.name, c.id]), ...OTHER_NAMED]);
const BY_ID = new Map(GRADE_SYNC_CAPABILITIES.map((c) => [c.id, c]));

export function capabilityById(id: string): MoodleCapability | undefined {
  return BY_ID.get(id);
}

/** The capabilities a function needs, in the role's order. */
export function capabilitiesOf(wsfunction: string): MoodleCapability[] {
  return GRADE_SYNC_CAPABILITIES.filter((c) => c.functions.includes(wsfunction));
}

/** What a refusal from Moodle tells about the capability it wants. */
export interface CapabilityRefusal {
  /** Capability ids of our role that would lift this refusal; empty when the name is unknown. */
  capabilities: string[];
  /** The display name Moodle gave, verbatim ("" when it gave none). */
  displayName: string;
  /** An admin-facing sentence: what Moodle said and what to grant. */
  hint: string;
}

const NOPERMISSIONS = /\(([^()]*)\)\.?\s*$/;

/** The display name in a `nopermissions` message: "… to do that (Review course enrolments)." → "Review course enrolments". */
export function displayNameIn(message: string): string {
  return NOPERMISSIONS.exec(message)?.[1]?.trim() ?? '';
}

const ROLE_FILE = 'docs/moodle/grade-sync-role.xml';

/**
 * The capability behind a refusal Moodle sends for one of our calls, or null when the code is not
 * about a capability. Only what Moodle's own checks imply is named; an unknown display name is
 * reported verbatim, never guessed.
 */
export function capabilityRefusal(wsfunction: string | undefined, errorcode: string, message: string): CapabilityRefusal | null {
  const grant = (ids: string[]) =>
    `give the web-service user's role ${ids.join(' and ')} in the system context (${ROLE_FILE} has every capability the service needs)`;
  if (errorcode === 'nopermissions') {
    const name = displayNameIn(message);
    const id = BY_NAME.get(name);
    // course_require_view_participants() accepts moodle/course:enrolreview in place of this one,
    // and our onlyactive call needs enrolreview anyway: the role grants that.
    if (id === 'moodle/course:viewparticipants' && wsfunction === ENROLLED) {
      const ids = ['moodle/course:enrolreview'];
      return { capabilities: ids, displayName: name, hint: `"${name}" is moodle/course:viewparticipants, which moodle/course:enrolreview also satisfies: ${grant(ids)}` };
    }
    if (!id) {
      const said = name ? `Moodle names the missing capability "${name}"` : 'Moodle did not name the missing capability';
      return { capabilities: [], displayName: name, hint: `${said}; compare the role with ${ROLE_FILE}` };
    }
    return { capabilities: [id], displayName: name, hint: `"${name}" is ${id}: ${grant([id])}` };
  }
  if (errorcode === 'nopermissiontoviewgrades') {
    // grades_external::update_grades() throws it for a missing moodle/grade:edit (we never send itemdetails);
    // gradereport_user's check_report_access() for a missing moodle/grade:viewall.
    const id = wsfunction === UPDATE ? 'moodle/grade:edit' : wsfunction === REPORT ? 'moodle/grade:viewall' : undefined;
    if (!id) return null;
    return { capabilities: [id], displayName: '', hint: `${wsfunction} answers this only without ${id}: ${grant([id])}` };
  }
  if (errorcode === 'notingroup' && wsfunction === REPORT) {
    // check_report_access(): a course in separate-groups mode, another user's report, and no moodle/site:accessallgroups.
    const ids = ['moodle/site:accessallgroups'];
    return { capabilities: ids, displayName: '', hint: `the course is in separate-groups mode and the web-service user shares no group with the student: ${grant(ids)}` };
  }
  return null;
}

/** The capabilities of the role whose absence makes Moodle's login check of a course or activity fail (requireloginerror). */
export function loginCheckCapabilities(wsfunction: string | undefined): string[] {
  const ids = ['moodle/course:view', 'moodle/course:viewhiddencourses'];
  if (wsfunction === SAVE) ids.push('mod/assign:view', 'moodle/course:viewhiddenactivities', 'moodle/course:ignoreavailabilityrestrictions');
  return ids;
}
