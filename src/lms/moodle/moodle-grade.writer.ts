import { Injectable } from '@nestjs/common';
import { MappingTarget } from '../../mappings/mapping.entity';
import { gradesEqual } from '../../sync/score-scale';
import { SyncOutcome, SyncRefused } from '../../sync/sync-outcome';
import { MoodleSession } from './moodle.client';
import { GRADE_UPDATE_RESULT, MoodleGradeItem } from './moodle.types';

export interface GradeSlot {
  courseId: number;
  userId: number;
  target: MappingTarget;
}

/** Knows how Moodle writes grades for each target type, and how to see what really landed. */
@Injectable()
export class MoodleGradeWriter {
  /** The grade item as this student sees it now: range, locks, override, current raw grade. */
  async inspect(lms: MoodleSession, slot: GradeSlot): Promise<MoodleGradeItem> {
    const report = await lms.getUserGradeItems(slot.courseId, slot.userId);
    const item = report.gradeitems.find(
      (i) => i.itemtype === 'mod' && Number(i.cmid) === slot.target.cmid && Number(i.itemnumber ?? 0) === itemNumberOf(slot.target),
    );
    if (!item) {
      throw new SyncRefused(
        'failed',
        `course ${slot.courseId} has no grade item for course module ${slot.target.cmid} (item number ${itemNumberOf(slot.target)}) that the web-service user can see`,
        'item_not_found',
      );
    }
    assertTargetMatches(item, slot.target);
    return item;
  }

  /** Refuses to write where Moodle would keep another value anyway. */
  assertWritable(item: MoodleGradeItem): void {
    if (item.locked) throw new SyncRefused('blocked', `the grade item "${item.itemname ?? item.id}" is locked in Moodle`, 'item_locked');
    if (item.gradeislocked) throw new SyncRefused('blocked', `this student's grade is locked in Moodle (it holds ${item.graderaw ?? 'no grade'})`, 'grade_locked');
    if (item.gradeisoverridden) {
      throw new SyncRefused('blocked', `a teacher overrode this grade in the gradebook (it holds ${item.graderaw ?? 'no grade'})`, 'grade_overridden');
    }
  }

  /** Pushes the grade, then reads it back: Moodle's answers do not prove that anything was stored. */
  async write(lms: MoodleSession, slot: GradeSlot, grade: number, feedbackHtml: string): Promise<SyncOutcome> {
    const { target } = slot;
    if (target.type === 'assign') {
      await lms.saveAssignGrades(target.assignmentId, [{ userId: slot.userId, grade, feedbackHtml }]);
    } else {
      const result = await lms.updateActivityGrades({
        courseId: slot.courseId,
        component: target.component,
        cmid: target.cmid,
        itemNumber: target.itemNumber,
        grades: [{ studentId: slot.userId, grade }],
      });
      if (result === GRADE_UPDATE_RESULT.ITEM_LOCKED) {
        return { state: 'blocked', reason: 'Moodle answered ITEM_LOCKED (4): the grade item is locked; nothing was written', grade, errorCode: 'item_locked' };
      }
      if (result === GRADE_UPDATE_RESULT.MULTIPLE) {
        return { state: 'failed', reason: `Moodle answered MULTIPLE (2): several grade items of course module ${target.cmid} share item number ${target.itemNumber}`, grade, errorCode: 'item_multiple' };
      }
    }
    return this.readBack(lms, slot, grade);
  }

  private async readBack(lms: MoodleSession, slot: GradeSlot, grade: number): Promise<SyncOutcome> {
    const item = await this.inspect(lms, slot);
    if (gradesEqual(item.graderaw, grade) && !item.gradeisoverridden) {
      return { state: 'synced', reason: null, grade };
    }
    const holds = `Moodle holds ${item.graderaw ?? 'no grade'}, not ${grade}`;
    if (item.locked || item.gradeislocked) return { state: 'blocked', reason: `the grade is locked in Moodle; ${holds}`, grade, errorCode: 'grade_locked' };
    if (item.gradeisoverridden) return { state: 'blocked', reason: `a teacher overrode this grade; ${holds}`, grade, errorCode: 'grade_overridden' };
    return { state: 'failed', reason: `Moodle accepted the call but did not store the grade: ${holds}`, grade, errorCode: 'not_stored' };
  }
}

function itemNumberOf(target: MappingTarget): number {
  return target.type === 'assign' ? 0 : target.itemNumber;
}

function assertTargetMatches(item: MoodleGradeItem, target: MappingTarget): void {
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
