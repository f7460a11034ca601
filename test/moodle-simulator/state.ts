import { round5 } from './encode';
import { wsErrors } from './errors';

/**
 * In-memory model of the Moodle tables the grade functions touch, and the gradebook/assignment
 * rules that decide what gets written (lib/gradelib.php grade_update, grade_item::update_raw_grade,
 * mod/assign/locallib.php apply_grade_to_user / update_grade).
 */

export const FORMAT_HTML = 1;
export const FORMAT_PLAIN = 2;
export const GRADE_UPDATE = { OK: 0, FAILED: 1, MULTIPLE: 2, ITEM_LOCKED: 4 } as const;
export type GradeUpdateResult = (typeof GRADE_UPDATE)[keyof typeof GRADE_UPDATE];

export interface SimUser {
  id: number;
  username: string;
  email: string;
  idnumber: string;
  firstname: string;
  lastname: string;
  suspended: boolean;
}

export interface SimCourse {
  id: number;
  shortname: string;
  fullname: string;
  idnumber: string;
  /** Id of the course's top grade category (the course total item's iteminstance). */
  categoryId: number;
  courseItemId: number;
  timemodified: number;
  /** False: hidden from students (only moodle/course:viewhiddencourses gets in). */
  visible: boolean;
}

export type EnrolRole = 'student' | 'teacher' | 'editingteacher';
export interface SimEnrolment {
  courseId: number;
  userId: number;
  role: EnrolRole;
  suspended: boolean;
}

export interface SimCourseModule {
  cmid: number;
  courseId: number;
  /** Module name without the "mod_" prefix: 'assign', 'lti', 'quiz'… */
  module: string;
  instance: number;
  /** False: hidden from students (only moodle/course:viewhiddenactivities sees it). */
  visible?: boolean;
}

export interface SimGradeItem {
  id: number;
  courseId: number;
  itemtype: 'mod' | 'manual' | 'course';
  itemmodule: string | null;
  iteminstance: number | null;
  itemnumber: number | null;
  itemname: string | null;
  idnumber: string;
  gradetype: number;
  /** For gradetype 2 (scale): the scale's items, lowest first (grademin 1, grademax their count). */
  scaleItems?: string[];
  grademin: number;
  grademax: number;
  multfactor: number;
  plusfactor: number;
  locked: boolean;
}

export interface GradeRow {
  rawgrade: number | null;
  finalgrade: number | null;
  feedback: string | null;
  feedbackformat: number;
  locked: boolean;
  overridden: boolean;
  /** When the override was made: what Moodle reports as "date graded" for an overridden grade. */
  overriddenAt: number | null;
  /** "Date graded" (grade_grades.timemodified). */
  timemodified: number | null;
  /** "Date submitted" (grade_grades.timecreated), only set by an activity's refresh push. */
  datesubmitted: number | null;
}

export interface SimAssignment {
  id: number;
  cmid: number;
  courseId: number;
  name: string;
  intro: string;
  /** Maximum grade (assign.grade). */
  grade: number;
  feedbackComments: boolean;
  gradeItemId: number;
  timemodified: number;
}

export interface AssignGradeRow {
  id: number;
  assignmentId: number;
  userid: number;
  attemptnumber: number;
  timecreated: number;
  timemodified: number;
  grader: number;
  /** -1 means "touched but not graded". */
  grade: number;
}

export interface AssignComment {
  text: string;
  format: number;
}

export interface RawGradeInput {
  userid: number;
  /** undefined = leave the raw grade as it is. */
  rawgrade?: number | null;
  /** undefined = leave the feedback as it is. */
  feedback?: { text: string | null; format: number };
  datesubmitted?: number | null;
  dategraded?: number | null;
}

export interface ItemDetails {
  itemname?: string;
  idnumber?: number;
  gradetype?: number;
  grademax?: number;
  grademin?: number;
  multfactor?: number;
  plusfactor?: number;
  deleted?: boolean;
}

export interface AssignGradeEntry {
  userid: number;
  grade: number;
  addattempt: boolean;
  plugindata?: { assignfeedbackcomments_editor?: { text: string; format: number } };
}

const key = (a: number, b: number) => `${a}:${b}`;

export class SimState {
  readonly users = new Map<number, SimUser>();
  readonly courses = new Map<number, SimCourse>();
  readonly enrolments: SimEnrolment[] = [];
  readonly cms = new Map<number, SimCourseModule>();
  readonly items = new Map<number, SimGradeItem>();
  /** itemId → userId → row */
  readonly grades = new Map<number, Map<number, GradeRow>>();
  readonly assignments = new Map<number, SimAssignment>();
  /** "assignmentId:userId" → row (attempts are not modelled: one row per user). */
  readonly assignGrades = new Map<string, AssignGradeRow>();
  readonly comments = new Map<string, AssignComment>();
  readonly notifications = new Map<string, number>();
  private nextItemId = 1;
  private nextCategoryId = 1;
  private nextAssignGradeId = 1;

  now(): number {
    return Math.floor(Date.now() / 1000);
  }

  // ---- seeding ---------------------------------------------------------------------------

  addUser(user: SimUser): SimUser {
    this.users.set(user.id, user);
    return user;
  }

  addCourse(input: { id: number; shortname: string; fullname: string; idnumber: string; timemodified?: number; visible?: boolean }): SimCourse {
    if (this.courses.has(input.id)) throw new Error(`course ${input.id} already exists`);
    const categoryId = this.nextCategoryId++;
    const courseItem = this.addGradeItem({
      courseId: input.id,
      itemtype: 'course',
      itemmodule: null,
      iteminstance: categoryId,
      itemnumber: null,
      itemname: null,
    });
    const course: SimCourse = {
      ...input,
      categoryId,
      courseItemId: courseItem.id,
      timemodified: input.timemodified ?? this.now(),
      visible: input.visible ?? true,
    };
    this.courses.set(course.id, course);
    return course;
  }

  enrol(courseId: number, userId: number, role: EnrolRole, suspended: boolean): void {
    this.requireCourse(courseId);
    const existing = this.enrolments.find((e) => e.courseId === courseId && e.userId === userId);
    if (existing) Object.assign(existing, { role, suspended });
    else this.enrolments.push({ courseId, userId, role, suspended });
  }

  addCourseModule(cm: SimCourseModule): void {
    if (this.cms.has(cm.cmid)) throw new Error(`course module ${cm.cmid} already exists`);
    this.requireCourse(cm.courseId);
    this.cms.set(cm.cmid, cm);
  }

  addGradeItem(input: Partial<SimGradeItem> & Pick<SimGradeItem, 'courseId' | 'itemtype'>): SimGradeItem {
    const id = input.id ?? this.nextItemId;
    if (this.items.has(id)) throw new Error(`grade item ${id} already exists`);
    this.nextItemId = Math.max(this.nextItemId, id + 1);
    const item: SimGradeItem = {
      itemmodule: null,
      iteminstance: null,
      itemnumber: input.itemtype === 'course' ? null : 0,
      itemname: null,
      idnumber: '',
      gradetype: 1,
      grademin: 0,
      grademax: 100,
      multfactor: 1,
      plusfactor: 0,
      locked: false,
      ...input,
      id,
    };
    this.items.set(id, item);
    return item;
  }

  addAssignment(
    a: Omit<SimAssignment, 'gradeItemId'> & { gradeItemId?: number },
    grademin: number,
    type: Pick<SimGradeItem, 'gradetype' | 'scaleItems'> = { gradetype: 1 },
  ): SimAssignment {
    if (this.assignments.has(a.id)) throw new Error(`assignment ${a.id} already exists`);
    this.addCourseModule({ cmid: a.cmid, courseId: a.courseId, module: 'assign', instance: a.id });
    const item = this.addGradeItem({
      id: a.gradeItemId,
      courseId: a.courseId,
      itemtype: 'mod',
      itemmodule: 'assign',
      iteminstance: a.id,
      itemnumber: 0,
      itemname: a.name,
      ...type,
      grademin: type.scaleItems ? 1 : grademin,
      grademax: type.scaleItems ? type.scaleItems.length : a.grade > 0 ? a.grade : 100,
    });
    const assignment: SimAssignment = { ...a, gradeItemId: item.id };
    this.assignments.set(assignment.id, assignment);
    return assignment;
  }

  // ---- lookups ---------------------------------------------------------------------------

  requireCourse(courseId: number): SimCourse {
    const course = this.courses.get(courseId);
    if (!course) throw new Error(`course ${courseId} does not exist`);
    return course;
  }

  requireItem(itemId: number): SimGradeItem {
    const item = this.items.get(itemId);
    if (!item) throw new Error(`grade item ${itemId} does not exist`);
    return item;
  }

  itemsOfCourse(courseId: number): SimGradeItem[] {
    return [...this.items.values()].filter((i) => i.courseId === courseId).sort((a, b) => a.id - b.id);
  }

  itemForCm(cmid: number, itemnumber = 0): SimGradeItem | undefined {
    const cm = this.cms.get(cmid);
    if (!cm) return undefined;
    return [...this.items.values()].find(
      (i) =>
        i.courseId === cm.courseId &&
        i.itemtype === 'mod' &&
        i.itemmodule === cm.module &&
        i.iteminstance === cm.instance &&
        i.itemnumber === itemnumber,
    );
  }

  assignmentOfItem(item: SimGradeItem): SimAssignment | undefined {
    if (item.itemtype !== 'mod' || item.itemmodule !== 'assign' || item.itemnumber !== 0) return undefined;
    const a = item.iteminstance === null ? undefined : this.assignments.get(item.iteminstance);
    return a && a.courseId === item.courseId ? a : undefined;
  }

  gradeRow(itemId: number, userId: number): GradeRow | undefined {
    return this.grades.get(itemId)?.get(userId);
  }

  private ensureRow(itemId: number, userId: number): GradeRow {
    let byUser = this.grades.get(itemId);
    if (!byUser) this.grades.set(itemId, (byUser = new Map()));
    let row = byUser.get(userId);
    if (!row) {
      row = {
        rawgrade: null,
        finalgrade: null,
        feedback: null,
        feedbackformat: FORMAT_PLAIN,
        locked: false,
        overridden: false,
        overriddenAt: null,
        timemodified: null,
        datesubmitted: null,
      };
      byUser.set(userId, row);
    }
    return row;
  }

  enrolmentsOf(courseId: number): SimEnrolment[] {
    return this.enrolments.filter((e) => e.courseId === courseId);
  }

  isEnrolled(courseId: number, userId: number): boolean {
    return this.enrolments.some((e) => e.courseId === courseId && e.userId === userId);
  }

  // ---- gradebook -------------------------------------------------------------------------

  /** grade_item::adjust_raw_grade for value items: factor, offset, then clamp to the item range. */
  adjustRawGrade(item: SimGradeItem, raw: number | null): number | null {
    if (raw === null) return null;
    const value = raw * item.multfactor + item.plusfactor;
    return round5(Math.min(item.grademax, Math.max(item.grademin, value)));
  }

  /** grade_item::update_raw_grade: false when the item or the user's grade is locked. */
  updateRawGrade(item: SimGradeItem, input: RawGradeInput): boolean {
    if (item.itemtype === 'course' || item.gradetype === 0 || item.locked) return false;
    const existing = this.gradeRow(item.id, input.userid);
    if (existing?.locked) return false;
    const row = existing ?? this.ensureRow(item.id, input.userid);
    const before = JSON.stringify(row);
    if (input.rawgrade !== undefined) row.rawgrade = input.rawgrade === null ? null : round5(input.rawgrade);
    // A teacher's override keeps both its final grade and its feedback.
    if (input.feedback !== undefined && !row.overridden) {
      row.feedback = input.feedback.text === '' ? null : input.feedback.text;
      row.feedbackformat = input.feedback.format;
    }
    if (!row.overridden) row.finalgrade = this.adjustRawGrade(item, row.rawgrade);
    if (input.datesubmitted != null) row.datesubmitted = input.datesubmitted;
    if (input.dategraded != null) row.timemodified = input.dategraded;
    else if (!existing || JSON.stringify(row) !== before) row.timemodified = this.now();
    return true;
  }

  /** lib/gradelib.php grade_update() for an activity item, as core_grades_update_grades calls it. */
  gradeUpdate(
    courseId: number,
    module: string,
    instance: number,
    itemnumber: number,
    grades: RawGradeInput[],
    details?: ItemDetails,
  ): GradeUpdateResult {
    const found = [...this.items.values()].filter(
      (i) =>
        i.courseId === courseId &&
        i.itemtype === 'mod' &&
        i.itemmodule === module &&
        i.iteminstance === instance &&
        i.itemnumber === itemnumber,
    );
    if (found.length > 1) return GRADE_UPDATE.MULTIPLE;
    let item = found[0];
    if (details?.deleted) {
      if (item) this.deleteItem(item.id);
      return GRADE_UPDATE.OK;
    }
    if (!item) {
      // Moodle creates the missing item (even without itemdetails) unless gradetype is "none".
      if (details?.gradetype === 0) return GRADE_UPDATE.OK;
      item = this.addGradeItem({
        courseId,
        itemtype: 'mod',
        itemmodule: module,
        iteminstance: instance,
        itemnumber,
      });
      this.applyItemDetails(item, details);
    } else {
      if (item.locked) return GRADE_UPDATE.ITEM_LOCKED;
      this.applyItemDetails(item, details);
    }
    if (item.gradetype === 0 || grades.length === 0) return GRADE_UPDATE.OK;
    const valid = grades.filter((g) => g.userid);
    if (valid.length === 0) return GRADE_UPDATE.FAILED;
    let failed = false;
    for (const g of valid) {
      if (!this.updateRawGrade(item, g)) failed = true;
    }
    return failed ? GRADE_UPDATE.FAILED : GRADE_UPDATE.OK;
  }

  private applyItemDetails(item: SimGradeItem, details: ItemDetails | undefined): void {
    if (!details) return;
    if (details.itemname !== undefined) item.itemname = details.itemname;
    if (details.idnumber !== undefined) item.idnumber = String(details.idnumber);
    if (details.gradetype !== undefined) item.gradetype = details.gradetype;
    if (details.grademin !== undefined) item.grademin = details.grademin;
    if (details.grademax !== undefined) item.grademax = details.grademax;
    if (details.multfactor !== undefined) item.multfactor = details.multfactor;
    if (details.plusfactor !== undefined) item.plusfactor = details.plusfactor;
  }

  deleteItem(itemId: number): void {
    this.items.delete(itemId);
    this.grades.delete(itemId);
  }

  /** Regrade after an unlock or an override removal: finals follow raws again where allowed. */
  private regradeRow(item: SimGradeItem, row: GradeRow): void {
    if (row.locked || row.overridden || item.locked) return;
    const final = this.adjustRawGrade(item, row.rawgrade);
    if (final !== row.finalgrade) {
      row.finalgrade = final;
      row.timemodified = this.now();
    }
  }

  setItemLocked(itemId: number, locked: boolean): void {
    const item = this.requireItem(itemId);
    item.locked = locked;
    if (locked) return;
    for (const row of this.grades.get(itemId)?.values() ?? []) this.regradeRow(item, row);
    const assignment = this.assignmentOfItem(item);
    if (assignment) this.refreshFromAssignment(assignment);
  }

  setGradeLocked(itemId: number, userId: number, locked: boolean): void {
    const item = this.requireItem(itemId);
    const row = this.ensureRow(itemId, userId);
    row.locked = locked;
    if (locked) return;
    this.regradeRow(item, row);
    const assignment = this.assignmentOfItem(item);
    if (assignment) this.refreshFromAssignment(assignment, userId);
  }

  /** A teacher's override in the gradebook; `null` removes it (and refreshes from the activity). */
  setOverride(itemId: number, userId: number, value: number | null, feedback?: string): void {
    const item = this.requireItem(itemId);
    const row = this.ensureRow(itemId, userId);
    if (value !== null) {
      row.overridden = true;
      row.overriddenAt = this.now();
      row.finalgrade = round5(value);
      if (feedback !== undefined) {
        row.feedback = feedback === '' ? null : feedback;
        row.feedbackformat = FORMAT_HTML;
      }
      row.timemodified = this.now();
      return;
    }
    row.overridden = false;
    row.overriddenAt = null;
    this.regradeRow(item, row);
    const assignment = this.assignmentOfItem(item);
    if (assignment) this.refreshFromAssignment(assignment, userId);
  }

  /** Seeding: write a raw grade directly, ignoring locks (like a restore). */
  forceRawGrade(itemId: number, userId: number, raw: number | null): void {
    const item = this.requireItem(itemId);
    const row = this.ensureRow(itemId, userId);
    row.rawgrade = raw === null ? null : round5(raw);
    if (!row.overridden) row.finalgrade = this.adjustRawGrade(item, row.rawgrade);
    row.timemodified = this.now();
  }

  // ---- assignments -----------------------------------------------------------------------

  assignGrade(assignmentId: number, userId: number): AssignGradeRow | undefined {
    return this.assignGrades.get(key(assignmentId, userId));
  }

  assignComment(assignmentId: number, userId: number): AssignComment | undefined {
    return this.comments.get(key(assignmentId, userId));
  }

  notificationCount(assignmentId: number, userId: number): number {
    return this.notifications.get(key(assignmentId, userId)) ?? 0;
  }

  /** assign::get_user_grade($userid, true): creates the row (grade -1, grader -1) on first touch. */
  private ensureAssignGrade(a: SimAssignment, userId: number): AssignGradeRow {
    const k = key(a.id, userId);
    let row = this.assignGrades.get(k);
    if (!row) {
      const now = this.now();
      row = {
        id: this.nextAssignGradeId++,
        assignmentId: a.id,
        userid: userId,
        attemptnumber: 0,
        timecreated: now,
        timemodified: now,
        grader: -1,
        grade: -1,
      };
      this.assignGrades.set(k, row);
    }
    return row;
  }

  /** assign::grading_disabled(): the gradebook grade is locked (item or grade) or overridden. */
  private assignGradingDisabled(a: SimAssignment, userId: number): boolean {
    const item = this.items.get(a.gradeItemId);
    const row = this.gradeRow(a.gradeItemId, userId);
    return Boolean(item?.locked || row?.locked || row?.overridden);
  }

  /**
   * assign::apply_grade_to_user() for one mod_assign_save_grade(s) entry. Throws
   * dmlwriteexception like Moodle when the comments plugin would store a NULL comment.
   */
  /**
   * Students whose grade write throws (a fault a test sets, standing for whatever Moodle-side error
   * one student's row can raise). Batches are not atomic: entries before the failing one stay.
   */
  readonly writeFaults = new Map<number, Error>();

  applyAssignGrade(a: SimAssignment, entry: AssignGradeEntry, graderId: number): void {
    const fault = this.writeFaults.get(entry.userid);
    if (fault) throw fault;
    const k = key(a.id, entry.userid);
    const row = this.ensureAssignGrade(a, entry.userid);
    const original = row.grade;
    const newGrade = this.assignGradingDisabled(a, entry.userid) ? original : round5(entry.grade);

    let feedbackModified = false;
    if (a.feedbackComments) {
      const stored = this.comments.get(k)?.text ?? '';
      const editor = entry.plugindata?.assignfeedbackcomments_editor;
      // is_feedback_modified() compares with PHP's ==, where '' == null: a missing editor only
      // counts as a change when a comment is already stored, and saving it then writes NULL.
      const modified = editor === undefined ? stored !== '' : stored !== editor.text;
      if (modified) {
        if (!editor) throw wsErrors.dmlWrite();
        this.comments.set(k, { text: editor.text, format: editor.format });
        feedbackModified = true;
      }
    }

    if (entry.addattempt || original !== -1 || newGrade !== -1 || feedbackModified) {
      this.storeAssignGrade(a, row, newGrade, graderId);
    }
    // notify_grade_modified() runs at the end of apply_grade_to_user() whether or not the
    // grade was stored: the student is flagged for a "feedback available" message each time.
    this.notifications.set(k, this.notificationCount(a.id, entry.userid) + 1);
  }

  /** assign::update_grade(): refuses (silently) a grade above the maximum or below 0. */
  private storeAssignGrade(a: SimAssignment, row: AssignGradeRow, grade: number, graderId: number): boolean {
    if (grade && grade !== -1 && a.grade > 0 && (grade > a.grade || grade < 0)) return false;
    row.grade = grade;
    row.grader = graderId;
    row.timemodified = this.now();
    this.pushAssignGrade(a, row.userid, 'save');
    return true;
  }

  /**
   * assign_grade_item_update(): the assignment's grade (and comment) pushed to its gradebook item.
   * A save (convert_grade_for_gradebook) sends no submission date; a refresh
   * (get_user_grades_for_gradebook) sends the submission's time, which here is the row's creation.
   */
  pushAssignGrade(a: SimAssignment, userId: number, path: 'save' | 'refresh'): GradeUpdateResult {
    const row = this.assignGrade(a.id, userId);
    const rawgrade = !row || row.grade < 0 ? null : row.grade;
    let feedback: RawGradeInput['feedback'];
    if (a.feedbackComments) {
      const comment = this.assignComment(a.id, userId);
      feedback = { text: comment?.text ?? '', format: comment?.format ?? 0 };
    }
    const dates = {
      datesubmitted: path === 'refresh' ? (row?.timecreated ?? null) : null,
      dategraded: row?.timemodified ?? null,
    };
    return this.gradeUpdate(a.courseId, 'assign', a.id, 0, [{ userid: userId, rawgrade, feedback, ...dates }], {
      itemname: a.name,
      grademax: a.grade,
    });
  }

  /**
   * assign_update_grades(): Moodle re-pushes the assignment's own grades to the gradebook on
   * unlock, override removal and regrade, replacing values written with core_grades_update_grades.
   * Only users with an assignment grade row (and an existing account) are touched.
   */
  refreshFromAssignment(a: SimAssignment, userId?: number): void {
    for (const row of this.assignGrades.values()) {
      if (row.assignmentId !== a.id || (userId !== undefined && row.userid !== userId)) continue;
      if (!this.users.has(row.userid)) continue;
      this.pushAssignGrade(a, row.userid, 'refresh');
    }
  }

  /** Seeding: a teacher grading on the assignment page. */
  forceAssignGrade(a: SimAssignment, userId: number, grade: number | null, comment?: string): void {
    const row = this.ensureAssignGrade(a, userId);
    row.grade = grade === null ? -1 : round5(grade);
    row.timemodified = this.now();
    if (comment !== undefined && a.feedbackComments) {
      this.comments.set(key(a.id, userId), { text: comment, format: FORMAT_HTML });
    }
    this.pushAssignGrade(a, userId, 'save');
  }
}
