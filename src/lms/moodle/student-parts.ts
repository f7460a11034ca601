import { StudentParts } from '../../sync/sync-attempt.entity';
import { MoodleUserGrades } from './moodle.types';

/** Cuts a part as any recorded body is cut (length, NUL, the token). */
export type CutBody = (text: string) => string;

/** What is recorded for a student an answer does not mention, by function. */
export const ABSENT = {
  users: '(this student is not in the answer: no such user, or the token user may not see them)',
  enrolled: '(this student is not in the answer: not actively enrolled in the course)',
  report: '(this student is not in the answer: not a graded participant of the course)',
  assignGrades: '(no grade of this student in the answer)',
} as const;

/** For an array answer whose elements name their student in `idField` (users, rosters). */
export function partsOfElements(answer: unknown, idField: string, absent: string, cut: CutBody): StudentParts | undefined {
  if (!Array.isArray(answer)) return undefined;
  const byUser = new Map<number, string>();
  for (const element of answer as Record<string, unknown>[]) {
    if (element && typeof element === 'object') byUser.set(Number(element[idField]), cut(JSON.stringify(element)));
  }
  return { byUser, absent };
}

/** mod_assign_get_grades: each student's grade rows. */
export function partsOfAssignGrades(answer: unknown, cut: CutBody): StudentParts | undefined {
  const assignments = (answer as { assignments?: unknown } | null)?.assignments;
  if (!Array.isArray(assignments)) return undefined;
  const rows = new Map<number, unknown[]>();
  for (const assignment of assignments as { assignmentid?: unknown; grades?: unknown }[]) {
    if (!Array.isArray(assignment?.grades)) continue;
    for (const row of assignment.grades as { userid?: unknown }[]) {
      const userId = Number(row?.userid);
      rows.set(userId, [...(rows.get(userId) ?? []), { assignmentid: assignment.assignmentid, ...row }]);
    }
  }
  return { byUser: new Map([...rows].map(([userId, own]) => [userId, cut(JSON.stringify(own))])), absent: ABSENT.assignGrades };
}

function activityItems(report: MoodleUserGrades): MoodleUserGrades['gradeitems'] {
  return (report.gradeitems ?? []).filter((i) => i.itemtype === 'mod');
}

/** One student's grade report as recorded with their attempt: the activity items only. */
export function reportPart(report: MoodleUserGrades, cut: CutBody): string {
  return cut(JSON.stringify({ userid: report.userid, gradeitems: activityItems(report) }));
}

/**
 * One student's grade report (read for the item's range and lock before a batch): that student's
 * attempt keeps the report; the other students' attempts keep only what it says of the items.
 */
export function partsOfOneReport(report: MoodleUserGrades, cut: CutBody): StudentParts {
  const items = activityItems(report).map(({ id, itemname, itemtype, itemmodule, iteminstance, itemnumber, cmid, locked, grademin, grademax, rangeformatted }) => ({
    id, itemname, itemtype, itemmodule, iteminstance, itemnumber, cmid, locked, grademin, grademax, rangeformatted,
  }));
  return {
    byUser: new Map([[Number(report.userid), reportPart(report, cut)]]),
    absent: cut(JSON.stringify({ anotherStudentsReport: true, gradeitems: items })),
  };
}
