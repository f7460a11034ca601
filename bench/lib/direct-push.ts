import qs from 'qs';
import type { BenchCourse } from './drain-layout';

export interface DirectPush {
  elapsedMs: number;
  calls: number;
  /** Calls whose answer was not the success answer (`null` for mod_assign_save_grades, `0` for core_grades_update_grades). */
  failed: number;
  /** The first answer that was not success, for the report. */
  firstFailure: string | null;
}

const BATCH = 100;

/**
 * What a hand-written client does with the same grades: one course after the other, batches of
 * 100, one call at a time — mod_assign_save_grades (no feedback) for an assignment,
 * core_grades_update_grades for an activity.
 */
export async function pushDirectly(moodle: { baseUrl: string; token: string }, layout: BenchCourse[], grade: number): Promise<DirectPush> {
  const startedAt = Date.now();
  let calls = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  for (const course of layout) {
    for (let from = 0; from < course.students; from += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, course.students - from) }, (_, i) => course.firstStudentId + from + i);
      const assign = course.target === 'assign';
      const params = assign
        ? {
            wsfunction: 'mod_assign_save_grades',
            assignmentid: course.instance,
            applytoall: 0,
            grades: ids.map((userid) => ({ userid, grade, attemptnumber: -1, addattempt: 0, workflowstate: '', plugindata: {} })),
          }
        : {
            wsfunction: 'core_grades_update_grades',
            source: 'mod/lti',
            courseid: course.courseId,
            component: 'mod_lti',
            activityid: course.cmid,
            itemnumber: 0,
            grades: ids.map((studentid) => ({ studentid, grade })),
          };
      const body = qs.stringify({ wstoken: moodle.token, moodlewsrestformat: 'json', ...params }, { encodeValuesOnly: true });
      const res = await fetch(`${moodle.baseUrl}/webservice/rest/server.php`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(120_000),
      });
      const text = (await res.text()).trim();
      calls += 1;
      if (text !== (assign ? 'null' : '0')) {
        failed += 1;
        firstFailure ??= text.slice(0, 300);
      }
    }
  }
  return { elapsedMs: Date.now() - startedAt, calls, failed, firstFailure };
}
