import type { MoodleSimulator } from '../../test/moodle-simulator/moodle-simulator';
import type { TargetKind } from './grade-sync-setup';

/** One Moodle course of a drain bench: its students, its grade items and the item the bench grades. */
export interface BenchCourse {
  courseId: number;
  /** The Speechace course whose assessment maps to this Moodle course. */
  speechaceCourseId: string;
  firstStudentId: number;
  students: number;
  /** Grade items of the course, the course total and the target included (what a grade write and the report cost). */
  gradeItems: number;
  target: TargetKind;
  /** Assignment id (assign) or mod_lti instance (activity). */
  instance: number;
  cmid: number;
}

export type DrainShape = 'single' | 'spread';
export const SPREAD_COURSES = 20;
const FIRST_STUDENT_ID = 1000;

/**
 * Like the two courses measured on a real Moodle (docs/reference/moodle-grades-api.md): 402
 * students with 5 grade items, 2,000 students with 2 (one assignment and the course total).
 */
export function defaultGradeItems(students: number): number {
  return students < 1000 ? 5 : 2;
}

/** `single`: one course of N students; `spread`: N students over 20 courses of N/20. */
export function drainLayout(n: number, shape: DrainShape, target: TargetKind, gradeItems?: number): BenchCourse[] {
  const courses = shape === 'single' ? 1 : SPREAD_COURSES;
  const perCourse = Math.ceil(n / courses);
  return Array.from({ length: courses }, (_, k) => {
    const students = Math.max(0, Math.min(perCourse, n - k * perCourse));
    return {
      courseId: 2 + k,
      speechaceCourseId: String(1234 + k),
      firstStudentId: FIRST_STUDENT_ID + k * perCourse,
      students,
      gradeItems: gradeItems ?? defaultGradeItems(students),
      target,
      instance: 2 + k,
      cmid: 100 + k,
    };
  });
}

/** Which course and student callback `i` is for. */
export function studentOf(layout: BenchCourse[], i: number): { course: BenchCourse; userId: number } {
  for (const course of layout) {
    const offset = i - (course.firstStudentId - FIRST_STUDENT_ID);
    if (offset >= 0 && offset < course.students) return { course, userId: course.firstStudentId + offset };
  }
  throw new Error(`no student for callback ${i}`);
}

/** Seeds the simulator with the layout's courses, students and grade items. */
export function seedLayout(sim: MoodleSimulator, layout: BenchCourse[]): void {
  for (const c of layout) {
    sim.addCourse({ id: c.courseId, shortname: `BENCH${c.courseId}`, fullname: `Bench course ${c.courseId}` });
    if (c.target === 'assign') {
      sim.addAssignment({ id: c.instance, cmid: c.cmid, courseId: c.courseId, name: 'Speaking task' });
    } else {
      sim.addActivity({ component: 'mod_lti', instance: c.instance, cmid: c.cmid, courseId: c.courseId, name: 'Speaking practice' });
    }
    for (let j = 2; j < c.gradeItems; j++) sim.addGradeItem({ courseId: c.courseId, itemtype: 'manual', itemname: `Other work ${j - 1}` });
    for (let i = 0; i < c.students; i++) {
      const id = c.firstStudentId + i;
      sim.addUser({ id, username: `bench${id}`, email: `bench${id}@example.edu`, idnumber: `B${id}` });
      sim.enrol(c.courseId, id);
    }
  }
}
