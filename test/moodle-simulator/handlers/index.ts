import { modAssignGetAssignments, modAssignGetGrades, modAssignSaveGrade, modAssignSaveGrades } from './assign';
import type { WsHandler } from './context';
import { coreGradesGetGradeitems, coreGradesUpdateGrades, gradereportUserGetGradeItems } from './grades';
import { coreCourseGetCoursesByField, coreWebserviceGetSiteInfo } from './site';
import { coreEnrolGetEnrolledUsers, coreUserGetUsersByField } from './users';

export type { WsContext, WsHandler } from './context';

export const HANDLERS: Readonly<Record<string, WsHandler>> = {
  core_grades_update_grades: coreGradesUpdateGrades,
  core_grades_get_gradeitems: coreGradesGetGradeitems,
  gradereport_user_get_grade_items: gradereportUserGetGradeItems,
  mod_assign_save_grades: modAssignSaveGrades,
  mod_assign_save_grade: modAssignSaveGrade,
  mod_assign_get_grades: modAssignGetGrades,
  mod_assign_get_assignments: modAssignGetAssignments,
  core_user_get_users_by_field: coreUserGetUsersByField,
  core_enrol_get_enrolled_users: coreEnrolGetEnrolledUsers,
  core_webservice_get_site_info: coreWebserviceGetSiteInfo,
  core_course_get_courses_by_field: coreCourseGetCoursesByField,
};

/** The "gradesync" external service of the recorded site, in its order. */
export const DEFAULT_SERVICE_FUNCTIONS: readonly string[] = [
  'core_grades_update_grades',
  'core_user_get_users_by_field',
  'gradereport_user_get_grade_items',
  'core_grades_get_gradeitems',
  'core_webservice_get_site_info',
  'core_course_get_courses_by_field',
  'core_enrol_get_enrolled_users',
  'core_grades_get_grade_tree',
  'mod_assign_save_grades',
  'mod_assign_save_grade',
  'mod_assign_get_grades',
  'mod_assign_get_assignments',
];

/**
 * Functions that exist in Moodle. A name outside this list is answered like an unknown function
 * (invalidrecordunknown, recorded); one inside it but outside the token's service gets
 * accessexception (recorded); one in the service the simulator does not implement gets
 * `notsimulated`.
 */
export const KNOWN_FUNCTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(HANDLERS),
  ...DEFAULT_SERVICE_FUNCTIONS,
  'core_user_create_users',
  'core_user_get_users',
  'core_course_get_courses',
  'core_course_get_contents',
  'core_enrol_get_users_courses',
  'gradereport_user_get_grades_table',
  'mod_assign_get_submissions',
  'mod_assign_get_submission_status',
  'mod_assign_list_participants',
  'mod_lti_get_tool_types',
]);
