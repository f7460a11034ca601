import { ABSENT, partsOfAssignGrades, partsOfElements, partsOfOneReport } from './student-parts';
import { MoodleUserGrades } from './moodle.types';

const cut = (text: string) => (text.length > 60 ? `${text.slice(0, 60)}…` : text);

describe('student parts of answers about many students', () => {
  it("keeps each element under its student's id, cut like a recorded body", () => {
    const parts = partsOfElements([{ id: 4, email: 'a@x' }, { id: 5, email: 'b@x' }], 'id', ABSENT.enrolled, (t) => t)!;
    expect(parts.byUser.get(5)).toBe('{"id":5,"email":"b@x"}');
    expect(parts.absent).toBe(ABSENT.enrolled);
    expect(partsOfElements({ not: 'an array' }, 'id', ABSENT.enrolled, cut)).toBeUndefined();
    const long = partsOfElements([{ id: 4, fullname: 'x'.repeat(200) }], 'id', ABSENT.users, cut)!;
    expect(long.byUser.get(4)).toHaveLength(61);
  });

  it("gives an assignment's grade rows to their students, every attempt of theirs", () => {
    const parts = partsOfAssignGrades({ assignments: [{ assignmentid: 3, grades: [{ userid: 4, grade: '80.00', attemptnumber: 0 }, { userid: 5, grade: '70.00' }, { userid: 4, grade: '90.00', attemptnumber: 1 }] }] }, (t) => t)!;
    expect(JSON.parse(parts.byUser.get(4)!)).toEqual([
      { assignmentid: 3, userid: 4, grade: '80.00', attemptnumber: 0 },
      { assignmentid: 3, userid: 4, grade: '90.00', attemptnumber: 1 },
    ]);
    expect(parts.byUser.has(6)).toBe(false);
    expect(parts.absent).toBe(ABSENT.assignGrades);
  });

  it("shows one student's report to that student, and to the others only what it says of the items", () => {
    const report: MoodleUserGrades = {
      courseid: 2,
      userid: 4,
      userfullname: 'Student One',
      gradeitems: [
        { id: 2, itemname: 'Task', itemtype: 'mod', itemmodule: 'assign', iteminstance: 1, itemnumber: 0, cmid: 2, locked: false, graderaw: 77.5, gradeislocked: false, gradeisoverridden: true, grademin: 0, grademax: 100, feedback: 'well done' },
        { id: 1, itemname: null, itemtype: 'course', itemmodule: null, iteminstance: 2, itemnumber: null, locked: false, graderaw: 77.5, gradeislocked: false, gradeisoverridden: false, grademin: 0, grademax: 100 },
      ],
    };
    const parts = partsOfOneReport(report, (t) => t);
    const own = JSON.parse(parts.byUser.get(4)!) as MoodleUserGrades;
    expect(own.gradeitems.map((i) => [i.id, i.graderaw, i.feedback])).toEqual([[2, 77.5, 'well done']]);
    expect(parts.absent).not.toMatch(/77\.5|well done|Student One|overridden/);
    expect(JSON.parse(parts.absent)).toEqual({ anotherStudentsReport: true, gradeitems: [{ id: 2, itemname: 'Task', itemtype: 'mod', itemmodule: 'assign', iteminstance: 1, itemnumber: 0, cmid: 2, locked: false, grademin: 0, grademax: 100 }] });
  });
});
