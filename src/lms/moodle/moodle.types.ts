/** Shapes of the Moodle answers we read (only the fields we use). */
export interface MoodleSiteInfo {
  sitename: string;
  username: string;
  userid: number;
  siteurl: string;
  release?: string;
  version?: string;
  functions: { name: string; version: string }[];
}

export interface MoodleUser {
  id: number;
  username?: string;
  email?: string;
  idnumber?: string;
  fullname?: string;
}

export interface MoodleGradeItem {
  id: number;
  itemname: string | null;
  itemtype: string;
  itemmodule: string | null;
  iteminstance: number;
  itemnumber: number | null;
  cmid?: number;
  locked: boolean;
  graderaw: number | null;
  gradeislocked: boolean;
  gradeisoverridden: boolean;
  grademin: number;
  grademax: number;
  /** The range as the report shows it ("0&ndash;100"): the only sign of the item's grade type (grade-type.ts). */
  rangeformatted?: string;
  feedback?: string;
}

export interface MoodleUserGrades {
  courseid: number;
  userid: number;
  userfullname?: string;
  gradeitems: MoodleGradeItem[];
}

export interface MoodleAssignment {
  id: number;
  cmid: number;
  course: number;
  name: string;
  grade: number;
  configs?: { plugin: string; subtype: string; name: string; value: string }[];
}

export interface AssignGradeInput {
  userId: number;
  grade: number;
  feedbackHtml: string;
}

export interface ActivityGradeInput {
  studentId: number;
  grade: number;
}

/** core_grades_update_grades' bare integer answer (lib/grade/constants.php). */
export const GRADE_UPDATE_RESULT = { OK: 0, FAILED: 1, MULTIPLE: 2, ITEM_LOCKED: 4 } as const;
export type GradeUpdateResult = (typeof GRADE_UPDATE_RESULT)[keyof typeof GRADE_UPDATE_RESULT];
