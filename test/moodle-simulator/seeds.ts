import type { MoodleSimulator } from './moodle-simulator';

/**
 * The state the fixtures were recorded against (moodle-recorded.json "about"): course 2 with
 * students 4 and 5; assignment 1 (cmid 2, grade item 2, no feedback comments) and assignment 2
 * (cmid 3, grade item 3, feedback comments), both 0–100; course total item 1. The token user
 * "gradesync" (id 3) exists and is not enrolled. Usernames/emails of 4 and 5 were not recorded.
 */
export function seedRecorded(sim: MoodleSimulator): void {
  sim.addUser({ id: 4, username: 'student1', email: 'student1@example.com', idnumber: 'S0001', firstname: 'Student', lastname: 'Number1' });
  sim.addUser({ id: 5, username: 'student2', email: 'student2@example.com', idnumber: 'S0002', firstname: 'Student', lastname: 'Number2' });
  sim.addCourse({ id: 2, shortname: 'SPEECH101', fullname: 'Speechace Sync Test', idnumber: 'SPEECH101', timemodified: 1795628677 });
  sim.enrol(2, 4);
  sim.enrol(2, 5);
  sim.addAssignment({
    id: 1,
    cmid: 2,
    courseId: 2,
    gradeItemId: 2,
    name: 'Speaking task 1',
    intro: 'Pronunciation exercise graded by an external service',
    timemodified: 1795628677,
  });
  sim.addAssignment({
    id: 2,
    cmid: 3,
    courseId: 2,
    gradeItemId: 3,
    name: 'Speaking task 2 (feedback comments)',
    intro: 'Same as task 1, but with feedback comments enabled',
    feedbackComments: true,
    timemodified: 1795629002,
  });
}

/** The README demo: the recorded state plus an External tool (mod_lti instance 1, cmid 4, 0–100). */
export function seedDemo(sim: MoodleSimulator): void {
  seedRecorded(sim);
  sim.addActivity({ component: 'mod_lti', instance: 1, cmid: 4, courseId: 2, name: 'Speaking practice (External tool)' });
}
