import { formatFloat } from '../encode';
import { CAPABILITY_NAMES, capabilityExists, MoodleWsError, wsErrors } from '../errors';
import { shippedRoleCapabilities } from '../role';
import { OPTIONAL, p, validateParams, withDefault, type ParamDesc } from '../params';
import type { AssignGradeEntry, SimAssignment, SimCourse } from '../state';
import { canSeeModule, requireCourseLogin, type WsContext, type WsHandler } from './context';

/** The feedback plugins' external parameters (comments editor; file plugin's draft id). */
const PLUGINDATA: ParamDesc = p.single(
  {
    assignfeedbackcomments_editor: p.single({ text: p.raw(), format: p.int() }, OPTIONAL),
    files_filemanager: p.int(OPTIONAL),
  },
  OPTIONAL,
);

const GRADE_FIELDS: Record<string, ParamDesc> = {
  grade: p.float(),
  attemptnumber: p.int(),
  addattempt: p.bool(),
  // Required (recorded): a missing workflowstate fails the whole call even when empty is meant.
  workflowstate: p.alpha(),
  plugindata: PLUGINDATA,
  advancedgradingdata: p.any(),
};

function requireAssignment(ctx: WsContext, assignmentid: number): SimAssignment {
  const assignment = ctx.state.assignments.get(assignmentid);
  if (!assignment) throw wsErrors.missingRecord();
  // validate_assign(): validate_context() of the module, then assign::save_grade() requires mod/assign:grade.
  requireCourseLogin(ctx, assignment.courseId);
  if (!canSeeModule(ctx, 'assign', assignment.cmid)) throw wsErrors.requireLogin('Activity is hidden');
  if (!ctx.can('mod/assign:grade')) throw wsErrors.noPermissions(CAPABILITY_NAMES['mod/assign:grade']!);
  return assignment;
}

/**
 * mod/assign/externallib.php save_grades(): every entry is validated first (one bad value fails
 * the call before anything is written), then entries are applied in order with no transaction.
 * Answers null whatever happened to each grade.
 */
export const modAssignSaveGrades: WsHandler = (ctx, raw) => {
  const params = validateParams<{ assignmentid: number; applytoall: boolean; grades: AssignGradeEntry[] }>(
    {
      assignmentid: p.int(),
      applytoall: p.bool(),
      grades: p.multiple(p.single({ userid: p.int(), ...GRADE_FIELDS })),
    },
    raw,
  );
  const assignment = requireAssignment(ctx, params.assignmentid);
  for (const entry of params.grades) ctx.state.applyAssignGrade(assignment, entry, ctx.tokenUser.id);
  return null;
};

/** mod_assign_save_grade: one student, same rules. */
export const modAssignSaveGrade: WsHandler = (ctx, raw) => {
  const params = validateParams<AssignGradeEntry & { assignmentid: number }>(
    { assignmentid: p.int(), userid: p.int(), ...GRADE_FIELDS, applytoall: p.bool(withDefault(true)) },
    raw,
  );
  const assignment = requireAssignment(ctx, params.assignmentid);
  ctx.state.applyAssignGrade(assignment, params, ctx.tokenUser.id);
  return null;
};

/** validate_context() of the module, then assign::require_view_grades(): mod/assign:viewgrades or mod/assign:grade. */
function canViewGrades(ctx: WsContext, assignment: SimAssignment): boolean {
  try {
    requireCourseLogin(ctx, assignment.courseId);
  } catch (error) {
    if (error instanceof MoodleWsError) return false;
    throw error;
  }
  return canSeeModule(ctx, 'assign', assignment.cmid) && (ctx.can('mod/assign:viewgrades') || ctx.can('mod/assign:grade'));
}

interface Warning {
  item: string;
  itemid: number;
  warningcode: string;
  message: string;
}

/**
 * get_grades(): rows of assign_grades (every user with a row, enrolled or not, "-1.00000" for
 * touched-but-ungraded), grouped by assignment id; no right → warning 1, no rows → warning 3.
 */
export const modAssignGetGrades: WsHandler = (ctx, raw) => {
  const params = validateParams<{ assignmentids: number[]; since: number }>(
    { assignmentids: p.multiple(p.int()), since: p.int(withDefault(0)) },
    raw,
  );
  const warnings: Warning[] = [];
  let requested = [...params.assignmentids];
  for (const id of new Set(params.assignmentids)) {
    const assignment = ctx.state.assignments.get(id);
    if (assignment && !canViewGrades(ctx, assignment)) {
      requested = requested.filter((r) => r !== id);
      warnings.push({ item: 'assignment', itemid: id, warningcode: '1', message: 'No access rights in module context' });
    }
  }
  const rows = [...ctx.state.assignGrades.values()]
    .filter((r) => requested.includes(r.assignmentId) && r.timemodified >= params.since)
    .sort((a, b) => a.assignmentId - b.assignmentId || a.id - b.id);
  const assignments: { assignmentid: number; grades: Record<string, unknown>[] }[] = [];
  for (const r of rows) {
    let group = assignments[assignments.length - 1];
    if (!group || group.assignmentid !== r.assignmentId) {
      group = { assignmentid: r.assignmentId, grades: [] };
      assignments.push(group);
      requested = requested.filter((id) => id !== r.assignmentId);
    }
    group.grades.push({
      id: r.id,
      userid: r.userid,
      attemptnumber: r.attemptnumber,
      timecreated: r.timecreated,
      timemodified: r.timemodified,
      grader: r.grader,
      grade: formatFloat(r.grade, 5),
    });
  }
  for (const id of requested) {
    warnings.push({ item: 'assignment', itemid: id, warningcode: '3', message: 'No grades found' });
  }
  return { assignments, warnings };
};

function assignmentInfo(a: SimAssignment): Record<string, unknown> {
  const configs = [{ plugin: 'comments', subtype: 'assignsubmission', name: 'enabled', value: '0' }];
  if (a.feedbackComments) {
    configs.push(
      { plugin: 'comments', subtype: 'assignfeedback', name: 'enabled', value: '1' },
      { plugin: 'comments', subtype: 'assignfeedback', name: 'commentinline', value: '0' },
    );
  }
  return {
    id: a.id,
    cmid: a.cmid,
    course: a.courseId,
    name: a.name,
    nosubmissions: 1,
    submissiondrafts: 1,
    sendnotifications: 0,
    sendlatenotifications: 0,
    sendstudentnotifications: 1,
    duedate: 0,
    allowsubmissionsfromdate: 0,
    grade: a.grade,
    gradepenalty: 0,
    timemodified: a.timemodified,
    completionsubmit: 0,
    cutoffdate: 0,
    gradingduedate: 0,
    teamsubmission: 0,
    requireallteammemberssubmit: 0,
    teamsubmissiongroupingid: 0,
    blindmarking: 0,
    hidegrader: 0,
    revealidentities: 0,
    attemptreopenmethod: 'untilpass',
    maxattempts: 1,
    markingworkflow: 0,
    markingallocation: 0,
    markinganonymous: 0,
    requiresubmissionstatement: 0,
    preventsubmissionnotingroup: 0,
    configs,
    intro: a.intro,
    introformat: 1,
    introfiles: [],
    introattachments: [],
    timelimit: 0,
    submissionattachments: 0,
  };
}

/**
 * get_assignments(): without includenotenrolledcourses a course the token user is not enrolled
 * in is answered with warning 2 (recorded); with it, the course is listed.
 */
export const modAssignGetAssignments: WsHandler = (ctx, raw) => {
  const params = validateParams<{ courseids: number[]; capabilities: string[]; includenotenrolledcourses: boolean }>(
    {
      courseids: p.multiple(p.int(), withDefault([])),
      capabilities: p.multiple(p.raw(), withDefault([])),
      includenotenrolledcourses: p.bool(withDefault(false)),
    },
    raw,
  );
  // PARAM_CAPABILITY: a name the site has no capability of is cleaned to '' and refused.
  const known = shippedRoleCapabilities();
  if (params.capabilities.some((c) => !capabilityExists(c, known))) throw wsErrors.invalidParameter();
  const { state } = ctx;
  const warnings: Warning[] = [];
  const myCourseIds = state.enrolments.filter((e) => e.userId === ctx.tokenUser.id && !e.suspended).map((e) => e.courseId);
  let courseIds: number[];
  if (params.courseids.length === 0) {
    courseIds = myCourseIds;
  } else if (params.includenotenrolledcourses) {
    courseIds = params.courseids;
  } else {
    courseIds = [];
    for (const id of params.courseids) {
      if (myCourseIds.includes(id)) courseIds.push(id);
      else
        warnings.push({
          item: 'course',
          itemid: id,
          warningcode: '2',
          message: 'User is not enrolled or does not have requested capability',
        });
    }
  }
  const courses: SimCourse[] = [];
  for (const id of new Set(courseIds)) {
    const course = state.courses.get(id);
    try {
      if (!course) throw wsErrors.missingRecord();
      requireCourseLogin(ctx, id);
    } catch (error) {
      if (!(error instanceof MoodleWsError)) throw error;
      warnings.push({ item: 'course', itemid: id, warningcode: '1', message: `No access rights in course context ${error.message}` });
      continue;
    }
    // has_all_capabilities($params['capabilities'], $context): a course where one is missing is dropped without a warning.
    if (params.capabilities.length > 0 && !params.capabilities.every((c) => ctx.can(c))) continue;
    courses.push(course);
  }
  return {
    courses: courses.map((c) => {
      const assignments: Record<string, unknown>[] = [];
      for (const a of [...state.assignments.values()].filter((x) => x.courseId === c.id).sort((x, y) => x.cmid - y.cmid)) {
        // validate_context() of the module and require_capability('mod/assign:view'): a warning, not an error.
        if (canSeeModule(ctx, 'assign', a.cmid)) assignments.push(assignmentInfo(a));
        else warnings.push({ item: 'module', itemid: a.cmid, warningcode: '1', message: 'No access rights in module context' });
      }
      return { id: c.id, fullname: c.fullname, shortname: c.shortname, timemodified: c.timemodified, assignments };
    }),
    warnings,
  };
};
