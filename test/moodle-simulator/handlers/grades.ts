import { formatFloat, round5 } from '../encode';
import { CAPABILITY_NAMES, MoodleWsError, wsErrors } from '../errors';
import { OPTIONAL, p, validateParams, withDefault } from '../params';
import { FORMAT_PLAIN, type ItemDetails, type SimCourse, type SimGradeItem, type SimState, type SimUser } from '../state';
import { canSeeModule, fullname, requireCourseLogin, type WsContext, type WsHandler } from './context';

/** core_component::normalize_component(): "mod_assign" → [mod, assign]; a bare "assign" is a module too. */
function normalizeComponent(component: string): [string, string] {
  if (component === '' || component === 'moodle' || component === 'core') return ['core', 'core'];
  const i = component.indexOf('_');
  if (i < 0) return ['mod', component];
  return [component.slice(0, i), component.slice(i + 1)];
}

interface UpdateGradesParams {
  source: string;
  courseid: number;
  component: string;
  activityid: number;
  itemnumber: number;
  grades: { studentid: number; grade: number; str_feedback?: string }[];
  itemdetails: ItemDetails | unknown[];
}

/** lib/classes/grades_external.php update_grades(). */
export const coreGradesUpdateGrades: WsHandler = (ctx, raw) => {
  const params = validateParams<UpdateGradesParams>(
    {
      source: p.text(),
      courseid: p.int(),
      component: p.component(),
      activityid: p.int(),
      itemnumber: p.int(),
      grades: p.multiple(
        p.single({ studentid: p.int(), grade: p.float(), str_feedback: p.text(OPTIONAL) }),
        withDefault([]),
      ),
      itemdetails: p.single(
        {
          itemname: p.alphanumext(OPTIONAL),
          idnumber: p.int(OPTIONAL),
          gradetype: p.int(OPTIONAL),
          grademax: p.float(OPTIONAL),
          grademin: p.float(OPTIONAL),
          scaleid: p.int(OPTIONAL),
          multfactor: p.float(OPTIONAL),
          plusfactor: p.float(OPTIONAL),
          deleted: p.bool(OPTIONAL),
          hidden: p.bool(OPTIONAL),
        },
        withDefault([]),
      ),
    },
    raw,
  );
  const [type, module] = normalizeComponent(params.component);
  const cm = type === 'mod' ? ctx.state.cms.get(params.activityid) : undefined;
  if (!cm || cm.module !== module) throw wsErrors.invalidCourseModule();
  if (!ctx.state.courses.has(params.courseid)) throw wsErrors.missingRecord();
  try {
    requireCourseLogin(ctx, params.courseid);
  } catch (error) {
    throw error instanceof MoodleWsError ? wsErrors.courseContextNotValid(params.courseid, error) : error;
  }
  // Sending itemdetails (we never do) would need moodle/grade:manage or moodle/grade:hide: not simulated.
  if (params.grades.length > 0 && !ctx.can('moodle/grade:edit')) {
    throw wsErrors.noPermissionToViewGrades('moodle/grade:edit required to edit grades');
  }

  // Keyed by student id like Moodle's $gradestructure: a repeated student keeps its first
  // position and its last value. str_feedback is dropped here, exactly as Moodle does.
  const byStudent = new Map<number, number>();
  for (const g of params.grades) byStudent.set(g.studentid, g.grade);
  const details = Array.isArray(params.itemdetails) ? undefined : params.itemdetails;
  const entries = [...byStudent].map(([userid, rawgrade]) => ({ userid, rawgrade }));
  // No transaction: the students before one whose write throws keep their grades.
  const failing = entries.findIndex((e) => ctx.state.writeFaults.has(e.userid));
  const update = (grades: typeof entries) =>
    ctx.state.gradeUpdate(params.courseid, module, cm.instance, params.itemnumber, grades, details && Object.keys(details).length > 0 ? details : undefined);
  if (failing < 0) return update(entries);
  if (failing > 0) update(entries.slice(0, failing));
  throw ctx.state.writeFaults.get(entries[failing]!.userid)!;
};

/** lib/classes/grades/external/get_gradeitems.php */
export const coreGradesGetGradeitems: WsHandler = (ctx, raw) => {
  const { courseid } = validateParams<{ courseid: number }>({ courseid: p.int() }, raw);
  const course = ctx.state.courses.get(courseid);
  if (!course) throw wsErrors.missingRecord();
  requireCourseLogin(ctx, courseid);
  const gradeItems = ctx.state
    .itemsOfCourse(courseid)
    .filter((i) => i.gradetype !== 0 && i.itemtype !== 'course')
    .map((i) => ({ id: i.id, itemname: i.itemname ?? '', category: course.fullname }));
  return { gradeItems, warnings: [] };
};

const range = (min: number, max: number) => `${formatFloat(min, 0)}&ndash;${formatFloat(max, 0)}`;

/**
 * grade_item::get_formatted_range() through grade_format_gradevalue(): a scale shows its lowest and
 * highest item, a text item shows nothing on either side, a value item its bounds (0 decimals by default).
 */
function itemRange(item: SimGradeItem): string {
  if (item.gradetype === 3) return '&ndash;';
  if (item.gradetype === 2 && item.scaleItems) return `${item.scaleItems[0]}&ndash;${item.scaleItems[item.scaleItems.length - 1]}`;
  return range(item.grademin, item.grademax);
}

function formatted(item: SimGradeItem, value: number): string {
  if (item.gradetype === 3) return '';
  if (item.gradetype === 2 && item.scaleItems) return item.scaleItems[Math.min(Math.max(Math.round(value), 1), item.scaleItems.length) - 1] ?? '';
  return formatFloat(value, 2);
}
const percentage = (value: number, min: number, max: number) =>
  max === min ? '-' : `${formatFloat(((value - min) / (max - min)) * 100, 2)} %`;

function cmidOf(state: SimState, item: SimGradeItem): number | undefined {
  for (const cm of state.cms.values()) {
    if (cm.courseId === item.courseId && cm.module === item.itemmodule && cm.instance === item.iteminstance) return cm.cmid;
  }
  return undefined;
}

/**
 * One user's entry of gradereport_user_get_grade_items (grade/report/user/classes/report/user.php):
 * "graderaw" is the FINAL grade (an override shows there), the course total uses Natural
 * aggregation with empty grades excluded, so weights and the total's maximum only count the
 * items this user has a grade in.
 */
function userReport(ctx: WsContext, course: SimCourse, user: SimUser): Record<string, unknown> {
  const { state } = ctx;
  const all = state.itemsOfCourse(course.id);
  const courseItem = all.find((i) => i.itemtype === 'course');
  // An activity the token user cannot see (cm_info::$uservisible) is left out of the report entirely.
  const items = all.filter((i) => i.itemtype !== 'course' && i.gradetype !== 0 && (i.itemtype !== 'mod' || !i.itemmodule || canSeeModule(ctx, i.itemmodule, cmidOf(state, i))));
  const finalOf = (i: SimGradeItem) => state.gradeRow(i.id, user.id)?.finalgrade ?? null;
  const graded = items.filter((i) => finalOf(i) !== null);
  const gradedMax = graded.reduce((sum, i) => sum + i.grademax, 0);

  const gradeitems: Record<string, unknown>[] = items.map((item) => {
    const row = state.gradeRow(item.id, user.id);
    const final = row?.finalgrade ?? null;
    const weight = final !== null && gradedMax > 0 ? item.grademax / gradedMax : 0;
    const entry: Record<string, unknown> = {
      id: item.id,
      itemname: item.itemname,
      itemtype: item.itemtype,
      itemmodule: item.itemmodule,
      iteminstance: item.iteminstance,
      itemnumber: item.itemnumber,
      idnumber: item.idnumber,
      categoryid: course.categoryId,
      outcomeid: null,
      scaleid: null,
      locked: item.locked,
    };
    const cmid = item.itemtype === 'mod' ? cmidOf(state, item) : undefined;
    if (cmid !== undefined) entry.cmid = cmid;
    entry.weightraw = weight;
    entry.weightformatted = `${formatFloat(weight * 100, 2)} %`;
    if (final === null) entry.status = 'novalue';
    // grade_grade::get_dategraded(): no date without a grade or feedback; an override's own date.
    const dategraded =
      !row || (final === null && row.feedback === null) ? null : row.overridden ? row.overriddenAt : row.timemodified;
    return Object.assign(entry, {
      graderaw: final,
      gradedatesubmitted: row?.datesubmitted ?? null,
      gradedategraded: dategraded,
      gradehiddenbydate: false,
      gradeneedsupdate: false,
      gradeishidden: false,
      gradeislocked: item.locked || Boolean(row?.locked),
      gradeisoverridden: Boolean(row?.overridden),
      // grade_format_gradevalue() answers '' for a text item before it looks at the value.
      gradeformatted: item.gradetype === 3 ? '' : final === null ? '-' : formatted(item, final),
      grademin: item.grademin,
      grademax: item.grademax,
      rangeformatted: itemRange(item),
      percentageformatted: final === null ? '-' : percentage(final, item.grademin, item.grademax),
      feedback: row?.feedback ?? '',
      feedbackformat: row?.feedbackformat ?? FORMAT_PLAIN,
    });
  });

  if (courseItem) {
    const total = graded.length > 0 ? round5(graded.reduce((sum, i) => sum + (finalOf(i) ?? 0), 0)) : null;
    const max = graded.length > 0 ? gradedMax : items.reduce((sum, i) => sum + i.grademax, 0);
    const dates = graded.map((i) => state.gradeRow(i.id, user.id)?.timemodified ?? 0);
    gradeitems.push({
      id: courseItem.id,
      itemname: null,
      itemtype: 'course',
      itemmodule: null,
      iteminstance: course.categoryId,
      itemnumber: null,
      idnumber: null,
      categoryid: null,
      outcomeid: null,
      scaleid: null,
      locked: courseItem.locked,
      graderaw: total,
      gradedatesubmitted: null,
      gradedategraded: total === null ? null : Math.max(...dates),
      gradehiddenbydate: false,
      gradeneedsupdate: false,
      gradeishidden: false,
      gradeislocked: courseItem.locked,
      gradeisoverridden: false,
      gradeformatted: total === null ? '-' : formatFloat(total, 2),
      grademin: 0,
      grademax: max,
      rangeformatted: range(0, max),
      percentageformatted: total === null ? '-' : percentage(total, 0, max),
      feedback: '',
      feedbackformat: FORMAT_PLAIN,
    });
  }

  return {
    courseid: course.id,
    courseidnumber: course.idnumber,
    userid: user.id,
    userfullname: fullname(user),
    useridnumber: user.idnumber,
    maxdepth: 2,
    gradeitems,
  };
}

/**
 * grade/report/user/classes/external/user.php get_grade_items(). A user who exists but is not
 * enrolled is NOT refused (check_report_access only loads the user and requires it active):
 * the report is built for them like for anyone else, showing whatever grade rows they have.
 */
export const gradereportUserGetGradeItems: WsHandler = (ctx: WsContext, raw) => {
  const params = validateParams<{ courseid: number; userid: number; groupid: number }>(
    { courseid: p.int(), userid: p.int(withDefault(0)), groupid: p.int(withDefault(0)) },
    raw,
  );
  const { state } = ctx;
  const course = state.courses.get(params.courseid);
  if (!course) throw wsErrors.missingRecord();
  requireCourseLogin(ctx, course.id);
  if (!ctx.can('gradereport/user:view')) throw wsErrors.noPermissions(CAPABILITY_NAMES['gradereport/user:view']!);
  let users: SimUser[];
  if (params.userid === 0) {
    if (!ctx.can('moodle/grade:viewall')) throw wsErrors.noPermissions(CAPABILITY_NAMES['moodle/grade:viewall']);
    // graded_users_iterator with "show only active enrolments": active students only.
    users = state
      .enrolmentsOf(course.id)
      .filter((e) => e.role === 'student' && !e.suspended)
      .map((e) => state.users.get(e.userId))
      .filter((u): u is SimUser => u !== undefined && !u.suspended)
      .sort((a, b) => a.id - b.id);
  } else {
    const user = state.users.get(params.userid);
    if (!user) throw wsErrors.missingRecord();
    if (user.suspended) throw wsErrors.userSuspendedAccount();
    if (!ctx.can('moodle/grade:viewall') && user.id !== ctx.tokenUser.id) throw wsErrors.noPermissionToViewGrades();
    users = [user];
  }
  return { usergrades: users.map((u) => userReport(ctx, course, u)), warnings: [] };
};
