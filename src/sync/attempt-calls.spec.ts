import { callsForStudent } from './attempt-calls';
import { RecordedLmsCall } from './sync-attempt.entity';

const call = (fn: string, params: Record<string, string>): RecordedLmsCall => ({ function: fn, params, httpStatus: 200, body: 'null', error: null, durationMs: 5 });

describe('callsForStudent', () => {
  const read = call('gradereport_user_get_grade_items', { courseid: '2', userid: '0' });
  const write1 = call('core_grades_update_grades', {
    source: 'x', courseid: '2',
    'grades[0][studentid]': '4', 'grades[0][grade]': '80',
    'grades[1][studentid]': '5', 'grades[1][grade]': '70',
  });
  const write2 = call('mod_assign_save_grades', {
    assignmentid: '2',
    'grades[0][userid]': '6', 'grades[0][grade]': '60', 'grades[0][plugindata][assignfeedbackcomments_editor][text]': 'hi',
    'grades[1][userid]': '5', 'grades[1][grade]': '70', 'grades[1][plugindata][assignfeedbackcomments_editor][text]': 'yo',
  });

  it("keeps calls without grade entries whole and only the student's own entries of a write", () => {
    expect(callsForStudent([read, write1, write2], 5)).toEqual([
      read,
      { ...write1, params: { source: 'x', courseid: '2', 'grades[1][studentid]': '5', 'grades[1][grade]': '70' } },
      { ...write2, params: { assignmentid: '2', 'grades[1][userid]': '5', 'grades[1][grade]': '70', 'grades[1][plugindata][assignfeedbackcomments_editor][text]': 'yo' } },
    ]);
  });

  it('leaves out write calls that did not carry the student, and every write when the student is unknown', () => {
    expect(callsForStudent([read, write1, write2], 6).map((c) => c.function)).toEqual(['gradereport_user_get_grade_items', 'mod_assign_save_grades']);
    expect(callsForStudent([read, write1], undefined)).toEqual([read]);
  });
});
