import { Injectable } from '@nestjs/common';
import { MoodleTarget } from '../../mappings/mapping.entity';
import { gradesEqual } from '../../sync/score-scale';
import { SyncOutcome, SyncRefused } from '../../sync/sync-outcome';
import { CourseGradeSnapshots, MoreWritesDue, SNAPSHOT_REUSE_MS } from './course-grade-snapshots';
import { LmsError } from './moodle-errors';
import { RecentReads } from './recent-reads';
import { unwritableGradeType } from './grade-type';
import { MoodleSession } from './moodle.client';
import { startSharedRead, usingShared } from './shared-calls';
import { GRADE_UPDATE_RESULT, GradeUpdateResult, MoodleGradeItem, MoodleUserGrades } from './moodle.types';

export interface GradeItemRef {
  courseId: number;
  target: MoodleTarget;
}

export interface GradeEntry {
  userId: number;
  grade: number;
  feedbackHtml: string;
}

/** From this many students on, one course-wide read (userid 0) is cheaper than one read per student. */
const COURSE_READ_FROM = 4;

/** How long a connection whose token may not call mod_assign_get_grades is not asked again. */
const ASSIGN_GRADES_RECHECK_MS = 5 * 60 * 1000;

/** Knows how Moodle writes grades for each target type, and how to see what really landed. */
@Injectable()
export class MoodleGradeWriter {
  private readonly snapshots = new CourseGradeSnapshots();
  /** Connections whose token may not call mod_assign_get_grades, and since when. */
  private readonly withoutAssignGrades = new Map<string, number>();
  /**
   * The reads before a write (an item's range and lock, an assignment's grades), shared between
   * the claims of a burst: a read in flight always, an answered one for as long as a course-wide
   * read may stand in for one (SNAPSHOT_REUSE_MS) while other claims are at work on the course.
   * A lone sync reads afresh, so what it reports follows the site as it is now.
   */
  private readonly itemViews = new RecentReads<MoodleGradeItem>(SNAPSHOT_REUSE_MS);
  private readonly assignGradeReads = new RecentReads<Map<number, number | null> | null>(SNAPSHOT_REUSE_MS);

  /** The grade item as one student sees it now: range, locks, override, current raw grade. */
  async inspect(lms: MoodleSession, slot: GradeItemRef & { userId: number }): Promise<MoodleGradeItem> {
    return findItem(await lms.getUserGradeItems(slot.courseId, slot.userId), slot);
  }

  /**
   * The same for many students, in one course-wide read where that is cheaper. `mayReuse` lets a
   * read of the last few seconds (the previous batch's read-back) serve, saving one call per batch;
   * without it, the read must have been sent after this call began (after the caller's write).
   */
  async inspectMany(
    lms: MoodleSession,
    ref: GradeItemRef & { connectionId: string },
    userIds: readonly number[],
    mayReuse = false,
  ): Promise<Map<number, MoodleGradeItem>> {
    const notBefore = mayReuse ? Date.now() - SNAPSHOT_REUSE_MS : Date.now();
    const course =
      userIds.length >= COURSE_READ_FROM ? await this.snapshots.read(lms, courseKey(ref), ref.courseId, notBefore) : new Map<number, MoodleUserGrades>();
    return this.itemsOf(lms, ref, userIds, course);
  }

  private async itemsOf(lms: MoodleSession, ref: GradeItemRef, userIds: readonly number[], course: ReadonlyMap<number, MoodleUserGrades>): Promise<Map<number, MoodleGradeItem>> {
    const items = new Map<number, MoodleGradeItem>();
    for (const userId of userIds) {
      // The course-wide read lists active students only; anyone else is read on their own.
      const report = course.get(userId) ?? (await lms.getUserGradeItems(ref.courseId, userId));
      items.set(userId, findItem(report, ref));
    }
    return items;
  }

  /**
   * The grade item as seen through one of its students (`userId`): its range, item lock and type
   * (its student's own state is not for others). Call it as a registered writer (see `writing`).
   */
  itemView(lms: MoodleSession, ref: GradeItemRef & { connectionId: string; userId: number }): Promise<MoodleGradeItem> {
    const key = `${courseKey(ref)}|${ref.target.cmid}|${itemNumberOf(ref.target)}`;
    const view = this.itemViews.get(key, () => startSharedRead(lms, (fork) => this.inspect(fork, ref)), this.snapshots.busyBesidesOne(courseKey(ref)));
    return usingShared(lms, view);
  }

  /**
   * The assignment's own grades of every student (one cheap call, shared in a burst), or null when
   * this token may not read them (function not in the service, or no right): the caller then reads
   * the grade report. Call it as a registered writer (see `writing`).
   */
  assignGrades(lms: MoodleSession, ref: GradeItemRef & { connectionId: string }, assignmentId: number): Promise<Map<number, number | null> | null> {
    const grades = this.assignGradeReads.get(
      `${ref.connectionId}|${assignmentId}`,
      () => startSharedRead(lms, (fork) => this.readAssignGrades(fork, ref.connectionId, assignmentId)),
      this.snapshots.busyBesidesOne(courseKey(ref)),
    );
    return usingShared(lms, grades);
  }

  private async readAssignGrades(lms: MoodleSession, connectionId: string, assignmentId: number): Promise<Map<number, number | null> | null> {
    const refusedAt = this.withoutAssignGrades.get(connectionId);
    if (refusedAt !== undefined && Date.now() - refusedAt < ASSIGN_GRADES_RECHECK_MS) return null;
    try {
      const grades = await lms.getAssignGrades(assignmentId);
      if (grades) this.withoutAssignGrades.delete(connectionId);
      return grades;
    } catch (error) {
      // An access exception may also be a bad token: the grade report read that follows says so.
      if (!(error instanceof LmsError && error.code === 'accessexception')) throw error;
      this.withoutAssignGrades.set(connectionId, Date.now());
      return null;
    }
  }

  /**
   * Registers a claim that may write into the course; call the returned function (idempotent)
   * once it is done writing. Read-backs of the course wait for it (see readBack).
   */
  writing(ref: GradeItemRef & { connectionId: string }): () => void {
    return this.snapshots.writing(courseKey(ref));
  }

  /**
   * What Moodle holds now for these students, read after the caller's writes. A course-wide read
   * is shared with every other claim of this process writing into the course: it is sent once none
   * is writing and `moreWritesDue` says no more writes are waiting to start (or after a bounded wait).
   */
  async readBack(lms: MoodleSession, ref: GradeItemRef & { connectionId: string }, userIds: readonly number[], moreWritesDue: MoreWritesDue): Promise<Map<number, MoodleGradeItem>> {
    const course = userIds.length >= COURSE_READ_FROM ? await this.snapshots.readBack(lms, courseKey(ref), ref.courseId, moreWritesDue) : new Map<number, MoodleUserGrades>();
    return this.itemsOf(lms, ref, userIds, course);
  }

  /** Refuses to write where Moodle would keep another value anyway. */
  assertWritable(item: MoodleGradeItem): void {
    if (item.locked) throw new SyncRefused('blocked', `the grade item "${item.itemname ?? item.id}" is locked in Moodle`, 'item_locked');
    if (item.gradeislocked) throw new SyncRefused('blocked', `this student's grade is locked in Moodle (it holds ${item.graderaw ?? 'no grade'})`, 'grade_locked');
    if (item.gradeisoverridden) {
      throw new SyncRefused('blocked', `a teacher overrode this grade in the gradebook (it holds ${item.graderaw ?? 'no grade'})`, 'grade_overridden');
    }
  }

  /**
   * Writes every entry in one call. For activities, an answer that settles every entry (item
   * locked, several items) is returned as an outcome for all; otherwise null, and only reading
   * back tells what landed: Moodle answers `null` (assign) or `0`/`1` whatever happened per student.
   */
  async write(lms: MoodleSession, ref: GradeItemRef, entries: readonly GradeEntry[]): Promise<Omit<SyncOutcome, 'grade'> | null> {
    const { target } = ref;
    if (target.type === 'assign') {
      await lms.saveAssignGrades(target.assignmentId, entries.map((e) => ({ userId: e.userId, grade: e.grade, feedbackHtml: e.feedbackHtml })));
      return null;
    }
    const result: GradeUpdateResult = await lms.updateActivityGrades({
      courseId: ref.courseId,
      component: target.component,
      cmid: target.cmid,
      itemNumber: target.itemNumber,
      grades: entries.map((e) => ({ studentId: e.userId, grade: e.grade })),
    });
    if (result === GRADE_UPDATE_RESULT.ITEM_LOCKED) {
      return { state: 'blocked', reason: 'Moodle answered ITEM_LOCKED (4): the grade item is locked; nothing was written', errorCode: 'item_locked' };
    }
    if (result === GRADE_UPDATE_RESULT.MULTIPLE) {
      return { state: 'failed', reason: `Moodle answered MULTIPLE (2): several grade items of course module ${target.cmid} share item number ${target.itemNumber}`, errorCode: 'item_multiple' };
    }
    return null;
  }

  /** What a read-back says about one written grade. */
  outcomeOf(item: MoodleGradeItem, grade: number): SyncOutcome {
    if (gradesEqual(item.graderaw, grade) && !item.gradeisoverridden) return { state: 'synced', reason: null, grade };
    const holds = `Moodle holds ${item.graderaw ?? 'no grade'}, not ${grade}`;
    if (item.locked || item.gradeislocked) return { state: 'blocked', reason: `the grade is locked in Moodle; ${holds}`, grade, errorCode: 'grade_locked' };
    if (item.gradeisoverridden) return { state: 'blocked', reason: `a teacher overrode this grade; ${holds}`, grade, errorCode: 'grade_overridden' };
    return { state: 'failed', reason: `Moodle accepted the call but did not store the grade: ${holds}`, grade, errorCode: 'not_stored' };
  }
}

function courseKey(ref: GradeItemRef & { connectionId: string }): string {
  return `${ref.connectionId}|${ref.courseId}`;
}

function itemNumberOf(target: MoodleTarget): number {
  return target.type === 'assign' ? 0 : target.itemNumber;
}

function findItem(report: MoodleUserGrades, ref: GradeItemRef): MoodleGradeItem {
  const { target } = ref;
  const item = report.gradeitems.find(
    (i) => i.itemtype === 'mod' && Number(i.cmid) === target.cmid && Number(i.itemnumber ?? 0) === itemNumberOf(target),
  );
  if (!item) {
    throw new SyncRefused(
      'failed',
      `course ${ref.courseId} has no grade item for course module ${target.cmid} (item number ${itemNumberOf(target)}) that the web-service user can see ` +
        `(Moodle leaves out of the grade report what the user may not see: its role needs ${viewCapabilityOf(target)}, and moodle/course:viewhiddenactivities, ` +
        'moodle/course:ignoreavailabilityrestrictions and moodle/grade:viewhidden for hidden or restricted ones)',
      'item_not_found',
    );
  }
  assertTargetMatches(item, target);
  const unwritable = unwritableGradeType(item);
  if (unwritable) throw new SyncRefused('failed', unwritable, 'grade_type_unsupported');
  return item;
}

/** The :view capability of the target's module (cm_info::$uservisible checks it). */
function viewCapabilityOf(target: MoodleTarget): string {
  return target.type === 'assign' ? 'mod/assign:view' : `mod/${target.component.replace(/^mod_/, '')}:view`;
}

function assertTargetMatches(item: MoodleGradeItem, target: MoodleTarget): void {
  if (target.type === 'assign') {
    if (item.itemmodule !== 'assign' || Number(item.iteminstance) !== target.assignmentId) {
      throw new SyncRefused(
        'failed',
        `course module ${target.cmid} is ${item.itemmodule} instance ${item.iteminstance}, not assignment ${target.assignmentId}: fix the mapping's assignmentId/cmid`,
        'target_mismatch',
      );
    }
    return;
  }
  const module = target.component.replace(/^mod_/, '');
  if (item.itemmodule !== module) {
    throw new SyncRefused('failed', `course module ${target.cmid} is a ${item.itemmodule} activity, not ${target.component}: fix the mapping`, 'target_mismatch');
  }
}
