import { wsErrors } from '../errors';
import { isPhpNumeric, p, validateParams, withDefault } from '../params';
import type { SimUser } from '../state';
import { fullname, requireCourseLogin, type WsContext, type WsHandler } from './context';
import { CAPABILITY_NAMES, MoodleWsError } from '../errors';

/*
 * Answer shapes follow Moodle's source (user/externallib.php user_description(),
 * enrol/externallib.php get_enrolled_users_returns(), user/lib.php user_get_user_details());
 * they were NOT recorded from a real server, so the exact set of optional fields a given
 * site shows (it depends on the token user's rights and "show user identity") may differ.
 * What the token user sees depends on its capabilities (default: the shipped grade-sync role).
 */

function pictureUrls(ctx: WsContext): { profileimageurlsmall: string; profileimageurl: string } {
  const base = `${ctx.baseUrl}/theme/image.php/boost/core/1795628587/u`;
  return { profileimageurlsmall: `${base}/f2`, profileimageurl: `${base}/f1` };
}

/**
 * The identity fields both user answers start with, in Moodle's order, as user_get_user_details()
 * shows them to the token user: username and idnumber only with moodle/user:viewalldetails (idnumber
 * is not in the default "Show user identity"), email only with moodle/site:viewuseridentity (email is
 * in it by default; students' "Email visibility" defaults to course members, and the token user
 * shares no course with them). The token user always sees its own.
 */
function identity(ctx: WsContext, user: SimUser): Record<string, unknown> {
  const self = user.id === ctx.tokenUser.id;
  const allDetails = self || ctx.can('moodle/user:viewalldetails');
  return {
    id: user.id,
    ...(allDetails ? { username: user.username } : {}),
    firstname: user.firstname,
    lastname: user.lastname,
    fullname: fullname(user),
    ...(self || ctx.can('moodle/site:viewuseridentity') ? { email: user.email } : {}),
    department: '',
    ...(user.idnumber && allDetails ? { idnumber: user.idnumber } : {}),
  };
}

/** user_get_user_details(): other users' details need moodle/user:viewdetails, else the user is left out. */
function mayView(ctx: WsContext, user: SimUser): boolean {
  return user.id === ctx.tokenUser.id || ctx.can('moodle/user:viewdetails');
}

/** user_description() order, as returned by core_user_get_users_by_field. */
function userDetails(ctx: WsContext, user: SimUser): Record<string, unknown> {
  return Object.assign(identity(ctx, user), {
    firstaccess: 0,
    lastaccess: 0,
    auth: 'manual',
    suspended: user.suspended,
    confirmed: true,
    lang: 'en',
    theme: '',
    timezone: '99',
    mailformat: 1,
    description: '',
    descriptionformat: 1,
    ...pictureUrls(ctx),
  });
}

/** Cleaning of core_user_get_users_by_field values: a value its cleaning would change is refused. */
function cleanLookupValue(field: string, value: string): string | number {
  const invalid = () =>
    wsErrors.invalidParameter(`The field '${field}' value is invalid: ${value}(cleaned value: )`);
  switch (field) {
    case 'id': {
      // PHP: $value != clean_param($value, PARAM_INT) with loose comparison ("4.0" passes).
      const n = Number(value);
      if (!isPhpNumeric(value) || !Number.isInteger(n)) throw invalid();
      return n;
    }
    case 'username': {
      const cleaned = value.trim().toLowerCase().replace(/[^-.@_a-z0-9]/g, '');
      if (cleaned !== value) throw invalid();
      return value;
    }
    case 'email': {
      const ok = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
      if (value !== '' && !ok.test(value)) throw invalid();
      return value;
    }
    default:
      return value;
  }
}

/**
 * core_user_get_users_by_field: exact matches, ordered by user id, each user once; a value that
 * matches nobody is simply absent. A user is only returned if the searched field is non-empty in
 * what the token user may see (so an empty idnumber never matches).
 */
export const coreUserGetUsersByField: WsHandler = (ctx, raw) => {
  const params = validateParams<{ field: string; values: string[] }>({ field: p.alpha(), values: p.multiple(p.raw()) }, raw);
  const { field } = params;
  if (!['id', 'idnumber', 'username', 'email'].includes(field)) throw wsErrors.codingError('invalid field parameter');
  const wanted = new Set(params.values.map((v) => String(cleanLookupValue(field, v))));
  const matches = [...ctx.state.users.values()]
    .filter((u) => wanted.has(String(u[field as 'id' | 'idnumber' | 'username' | 'email'])))
    .sort((a, b) => a.id - b.id);
  return matches
    .filter((u) => mayView(ctx, u))
    .map((u) => userDetails(ctx, u))
    .filter((d) => d[field] !== undefined && d[field] !== '');
};

const ROLE_IDS = { editingteacher: 3, teacher: 4, student: 5 } as const;

/** user_get_default_fields(): what the `userfields` option may name. */
const DEFAULT_USER_FIELDS = [
  'id', 'username', 'fullname', 'firstname', 'lastname', 'email', 'address', 'phone1', 'phone2',
  'department', 'institution', 'interests', 'firstaccess', 'lastaccess', 'auth', 'confirmed', 'idnumber',
  'lang', 'theme', 'timezone', 'mailformat', 'description', 'city', 'country', 'profileimageurlsmall',
  'profileimageurl', 'customfields', 'groups', 'roles', 'preferences', 'enrolledcourses', 'suspended',
  'lastcourseaccess', 'calendartype', 'url', 'trackforums',
];

/**
 * core_enrol_get_enrolled_users (enrol/externallib.php): every enrolled user of the course, any
 * role, suspended enrolments included unless options onlyactive=1. Options: userfields
 * ("id,username,…"; id and fullname are always added), onlyactive, limitfrom, limitnumber,
 * sortby (id|firstname|lastname|siteorder), sortdirection (ASC|DESC); withcapability and groupid
 * are accepted and ignored. Unknown course → invalidrecordunknown.
 */
export const coreEnrolGetEnrolledUsers: WsHandler = (ctx, raw) => {
  const params = validateParams<{ courseid: number; options: { name: string; value: string }[] }>(
    { courseid: p.int(), options: p.multiple(p.single({ name: p.alphanumext(), value: p.raw() }), withDefault([])) },
    raw,
  );
  let onlyActive = false;
  let userfields: string[] = [];
  let limitFrom = 0;
  let limitNumber = 0;
  let sortBy = 'id';
  let direction = 1;
  for (const { name, value } of params.options) {
    if (name === 'onlyactive') onlyActive = value !== '' && value !== '0';
    else if (name === 'userfields') userfields = value.split(',').map((f) => f.replace(/[^a-zA-Z0-9_-]/g, ''));
    else if (name === 'limitfrom') limitFrom = parseInt(value, 10) || 0;
    else if (name === 'limitnumber') limitNumber = parseInt(value, 10) || 0;
    else if (name === 'sortby') {
      if (!['id', 'firstname', 'lastname', 'siteorder'].includes(value)) throw wsErrors.invalidParameter();
      sortBy = value;
    } else if (name === 'sortdirection') {
      if (!['ASC', 'DESC'].includes(value.toUpperCase())) throw wsErrors.invalidParameter();
      direction = value.toUpperCase() === 'DESC' ? -1 : 1;
    }
  }
  const { state } = ctx;
  const course = state.courses.get(params.courseid);
  if (!course) throw wsErrors.missingRecord();
  try {
    requireCourseLogin(ctx, course.id);
  } catch (error) {
    throw error instanceof MoodleWsError ? wsErrors.courseContextNotValid(course.id, error) : error;
  }
  // course_require_view_participants() accepts either capability; then onlyactive needs enrolreview.
  if (!ctx.can('moodle/course:viewparticipants') && !ctx.can('moodle/course:enrolreview')) {
    throw wsErrors.noPermissions(CAPABILITY_NAMES['moodle/course:viewparticipants']!);
  }
  if (onlyActive && !ctx.can('moodle/course:enrolreview')) throw wsErrors.noPermissions(CAPABILITY_NAMES['moodle/course:enrolreview']!);
  for (const f of userfields) if (!DEFAULT_USER_FIELDS.includes(f)) throw wsErrors.invalidUserField(f);

  const byKey = (u: SimUser): string | number =>
    sortBy === 'firstname' ? u.firstname : sortBy === 'lastname' ? u.lastname : sortBy === 'siteorder' ? `${u.lastname}\u0000${u.firstname}` : u.id;
  const enrolments = state.enrolmentsOf(course.id).filter((e) => !onlyActive || !e.suspended);
  let users = enrolments
    .map((e) => state.users.get(e.userId))
    .filter((u): u is SimUser => u !== undefined)
    .sort((a, b) => {
      const ka = byKey(a);
      const kb = byKey(b);
      return (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id) * direction;
    });
  // The limit applies in SQL; users whose details the token user may not see are dropped after it.
  users = users.slice(limitFrom, limitNumber > 0 ? limitFrom + limitNumber : undefined).filter((u) => mayView(ctx, u));

  return users.map((user) => {
    const enrolment = enrolments.find((e) => e.userId === user.id);
    const all: Record<string, unknown> = {
      ...identity(ctx, user),
      firstaccess: 0,
      lastaccess: 0,
      lastcourseaccess: 0,
      description: '',
      descriptionformat: 1,
      ...pictureUrls(ctx),
      groups: [],
      roles: enrolment ? [{ roleid: ROLE_IDS[enrolment.role], name: '', shortname: enrolment.role, sortorder: 0 }] : [],
      enrolledcourses: state.enrolments
        .filter((e) => e.userId === user.id)
        .map((e) => state.courses.get(e.courseId))
        .filter((c) => c !== undefined)
        .map((c) => ({ id: c.id, fullname: c.fullname, shortname: c.shortname })),
    };
    if (userfields.length === 0) return all;
    const wanted = new Set([...userfields, 'id', 'fullname']);
    return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k)));
  });
};
