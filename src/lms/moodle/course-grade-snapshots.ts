import { MoodleSession } from './moodle.client';
import { MoodleGradeItem, MoodleUserGrades } from './moodle.types';

/**
 * A course-wide read this recent may stand in for the read before a write. Only before: what a
 * write did is always read afresh, so a lock or override that appeared in between is still seen.
 */
export const SNAPSHOT_REUSE_MS = 5000;

type Reports = Map<number, MoodleUserGrades>;

interface Snapshot {
  /** When the read was sent: it shows everything written before then. */
  startedAt: number;
  reports: Promise<Reports>;
  done: boolean;
}

interface CourseReads {
  latest?: Snapshot;
  /** The read that starts when `latest` is done, shared by everyone who needs something newer. */
  next?: Promise<Reports>;
}

/**
 * Course-wide grade reads (gradereport_user_get_grade_items, userid 0), shared between the batches
 * of one worker. On a large course each answer is megabytes, so there is at most one read of a
 * course in flight: a batch takes the current read if it is recent enough, or else the one read
 * queued behind it, which every batch waiting meanwhile shares. Only activity items are kept.
 */
export class CourseGradeSnapshots {
  private readonly courses = new Map<string, CourseReads>();

  /** The course's reports as read no earlier than `notBefore` (ms since epoch). */
  read(lms: MoodleSession, key: string, courseId: number, notBefore: number): Promise<Reports> {
    this.forgetOld();
    const reads = this.courses.get(key) ?? {};
    this.courses.set(key, reads);
    if (reads.latest && reads.latest.startedAt >= notBefore) return reads.latest.reports;
    if (reads.next) return reads.next;
    if (!reads.latest || reads.latest.done) return this.start(lms, reads, courseId).reports;
    const next = reads.latest.reports
      .catch(() => undefined)
      .then(() => {
        reads.next = undefined;
        return this.start(lms, reads, courseId).reports;
      });
    reads.next = next;
    return next;
  }

  private start(lms: MoodleSession, reads: CourseReads, courseId: number): Snapshot {
    const reports: Reports = new Map();
    const read = lms.forEachCourseGradeReport(courseId, (report) => reports.set(Number(report.userid), activityItemsOf(report)));
    const snapshot: Snapshot = { startedAt: Date.now(), reports: read.then(() => reports), done: false };
    reads.latest = snapshot;
    snapshot.reports.then(
      () => (snapshot.done = true),
      () => {
        snapshot.done = true;
        if (reads.latest === snapshot) reads.latest = undefined;
      },
    );
    return snapshot;
  }

  private forgetOld(): void {
    const now = Date.now();
    for (const [key, reads] of this.courses) {
      if (!reads.next && reads.latest?.done && now - reads.latest.startedAt > SNAPSHOT_REUSE_MS) this.courses.delete(key);
    }
  }
}

/** Activity items only, and only the fields the worker reads: a 10,000-student course is kept in a few MB. */
function activityItemsOf(report: MoodleUserGrades): MoodleUserGrades {
  return { courseid: report.courseid, userid: report.userid, gradeitems: report.gradeitems.filter((i) => i.itemtype === 'mod').map(slim) };
}

function slim(i: MoodleGradeItem): MoodleGradeItem {
  const { id, itemname, itemtype, itemmodule, iteminstance, itemnumber, cmid, locked, graderaw, gradeislocked, gradeisoverridden, grademin, grademax } = i;
  return { id, itemname, itemtype, itemmodule, iteminstance, itemnumber, ...(cmid === undefined ? {} : { cmid }), locked, graderaw, gradeislocked, gradeisoverridden, grademin, grademax };
}
