import { MoodleSession } from './moodle.client';
import { MoodleUserGrades } from './moodle.types';

/**
 * A course-wide read this recent may stand in for the read before a write. Only before: what a
 * write did is always read afresh, so a lock or override that appeared in between is still seen.
 */
export const SNAPSHOT_REUSE_MS = 5000;

interface Snapshot {
  /** When the read was sent: it shows everything written before then. */
  startedAt: number;
  reports: Promise<Map<number, MoodleUserGrades>>;
}

/**
 * Course-wide grade reads (gradereport_user_get_grade_items, userid 0), shared between the batches
 * of one worker: a read already under way, or done recently enough, serves every batch that can
 * use it. On a large course each such answer is megabytes; sharing keeps both the calls and the
 * memory down. Only activity items are kept of each answer.
 */
export class CourseGradeSnapshots {
  private readonly latest = new Map<string, Snapshot>();

  /** The course's reports as read no earlier than `notBefore` (ms since epoch). */
  async read(lms: MoodleSession, key: string, courseId: number, notBefore: number): Promise<Map<number, MoodleUserGrades>> {
    const known = this.latest.get(key);
    if (known && known.startedAt >= notBefore) return known.reports;
    const startedAt = Date.now();
    const reports = lms.getCourseGradeItems(courseId).then((all) => {
      const byUser = new Map<number, MoodleUserGrades>();
      for (const report of all) byUser.set(Number(report.userid), { ...report, gradeitems: report.gradeitems.filter((i) => i.itemtype === 'mod') });
      return byUser;
    });
    this.forgetOld(startedAt);
    this.latest.set(key, { startedAt, reports });
    reports.catch(() => {
      if (this.latest.get(key)?.reports === reports) this.latest.delete(key);
    });
    return reports;
  }

  private forgetOld(now: number): void {
    for (const [key, snapshot] of this.latest) if (now - snapshot.startedAt > SNAPSHOT_REUSE_MS) this.latest.delete(key);
  }
}
