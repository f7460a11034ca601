import { MoodleSession } from './moodle.client';
import { startSharedRead, usingShared } from './shared-calls';
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
  next?: Promise<Snapshot>;
  /** The read-back not yet sent, shared by every claim that wrote before it goes (one wave). */
  wave?: Promise<Snapshot>;
  /** Claims of this process that may still write grades into the course. */
  writers: number;
}

/** Whether more writes into the course can start soon (due syncs nobody has claimed yet). */
export type MoreWritesDue = () => Promise<boolean>;

/**
 * A read-back waits while writes into its course are under way or due, so that one course-wide
 * read confirms them all, but never longer than this: a steady trickle still gets its answers.
 */
export const READ_BACK_MAX_WAIT_MS = 10_000;
/** How often a waiting read-back looks again whether the course's writes are done. */
const QUIET_POLL_MS = 100;

/**
 * Course-wide grade reads (gradereport_user_get_grade_items, userid 0), shared between the batches
 * of one worker. On a large course each answer is megabytes, so there is at most one read of a
 * course in flight: a batch takes the current read if it is recent enough, or else the one read
 * queued behind it, which every batch waiting meanwhile shares. Only activity items are kept.
 *
 * A read-back (what writes did) goes in waves: it is sent once no claim of this process is writing
 * into the course and no due sync of it waits to be claimed, so every claim that wrote meanwhile
 * shares it; claims that write while it runs join the next wave.
 */
export class CourseGradeSnapshots {
  private readonly courses = new Map<string, CourseReads>();

  /**
   * The course's reports as read no earlier than `notBefore` (ms since epoch). The read's call is
   * recorded in `lms` too, whichever claim's session sent it.
   */
  read(lms: MoodleSession, key: string, courseId: number, notBefore: number): Promise<Reports> {
    const reads = this.readsOf(key);
    if (reads.latest && reads.latest.startedAt >= notBefore) return usingShared(lms, reads.latest.reports);
    if (reads.next) return reads.next.then((snapshot) => usingShared(lms, snapshot.reports));
    if (!reads.latest || reads.latest.done) return usingShared(lms, this.start(lms, reads, courseId).reports);
    const next = reads.latest.reports
      .catch(() => undefined)
      .then(() => {
        reads.next = undefined;
        return this.start(lms, reads, courseId);
      });
    reads.next = next;
    return next.then((snapshot) => usingShared(lms, snapshot.reports));
  }

  /**
   * Registers a claim that may write into the course; the returned function (idempotent) says it
   * is done writing. Read-backs of the course wait while any is registered.
   */
  writing(key: string): () => void {
    const reads = this.readsOf(key);
    reads.writers += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      reads.writers -= 1;
    };
  }

  /**
   * Whether other claims of this process are at work on the course (writing besides the caller, or
   * waiting for or reading a read-back): a burst is under way.
   */
  busyBesidesOne(key: string): boolean {
    const reads = this.courses.get(key);
    return !!reads && (reads.writers > 1 || !!reads.wave || (!!reads.latest && !reads.latest.done));
  }

  /** The course's reports as read after every write of this process into it so far (and after this call). */
  readBack(lms: MoodleSession, key: string, courseId: number, moreWritesDue: MoreWritesDue): Promise<Reports> {
    const reads = this.readsOf(key);
    reads.wave ??= this.nextWave(lms, reads, courseId, moreWritesDue);
    return reads.wave.then((snapshot) => usingShared(lms, snapshot.reports));
  }

  private async nextWave(lms: MoodleSession, reads: CourseReads, courseId: number, moreWritesDue: MoreWritesDue): Promise<Snapshot> {
    const since = Date.now();
    try {
      for (;;) {
        const running = reads.next?.then((snapshot) => snapshot.reports) ?? (reads.latest && !reads.latest.done ? reads.latest.reports : undefined);
        if (running) await running.catch(() => undefined);
        else if (Date.now() - since >= READ_BACK_MAX_WAIT_MS || (reads.writers === 0 && !(await moreWritesDue().catch(() => false)))) break;
        else await sleep(QUIET_POLL_MS);
      }
    } finally {
      // From here on, claims that finish writing need a newer read: the next wave. (Only one wave
      // waits at a time, and this function runs past an await before it gets here, so it is this one.)
      reads.wave = undefined;
    }
    return this.start(lms, reads, courseId);
  }

  private readsOf(key: string): CourseReads {
    this.forgetOld();
    let reads = this.courses.get(key);
    if (!reads) {
      reads = { writers: 0 };
      this.courses.set(key, reads);
    }
    return reads;
  }

  private start(lms: MoodleSession, reads: CourseReads, courseId: number): Snapshot {
    const reports: Reports = new Map();
    const read = startSharedRead(lms, (fork) =>
      fork.forEachCourseGradeReport(courseId, (report) => reports.set(Number(report.userid), activityItemsOf(report))).then(() => reports),
    );
    const snapshot: Snapshot = { startedAt: Date.now(), reports: read, done: false };
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
      const idle = !reads.next && !reads.wave && reads.writers === 0;
      if (idle && (!reads.latest || (reads.latest.done && now - reads.latest.startedAt > SNAPSHOT_REUSE_MS))) this.courses.delete(key);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Activity items only, and only the fields the worker reads: a 10,000-student course is kept in a few MB. */
function activityItemsOf(report: MoodleUserGrades): MoodleUserGrades {
  return { courseid: report.courseid, userid: report.userid, gradeitems: report.gradeitems.filter((i) => i.itemtype === 'mod').map(slim) };
}

function slim(i: MoodleGradeItem): MoodleGradeItem {
  const { id, itemname, itemtype, itemmodule, iteminstance, itemnumber, cmid, locked, graderaw, gradeislocked, gradeisoverridden, grademin, grademax } = i;
  return { id, itemname, itemtype, itemmodule, iteminstance, itemnumber, ...(cmid === undefined ? {} : { cmid }), locked, graderaw, gradeislocked, gradeisoverridden, grademin, grademax };
}
