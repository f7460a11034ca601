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

  it("keeps of an answer about many students only the student's own part, or what says they are absent", () => {
    const roster = {
      ...call('core_enrol_get_enrolled_users', { courseid: '2' }),
      body: '[{"id":4},{"id":5},{"id":6}]',
      studentParts: { byUser: new Map([[4, '{"id":4}'], [5, '{"id":5}']]), absent: '(not in the answer)' },
    };
    const { studentParts: _parts, ...stored } = roster;
    expect(callsForStudent([roster], 5)).toEqual([{ ...stored, body: '{"id":5}', studentPart: true }]);
    expect(callsForStudent([roster], 7)).toEqual([{ ...stored, body: '(not in the answer)', studentPart: true }]);
    expect(callsForStudent([roster], undefined)).toEqual([{ ...stored, body: '(not in the answer)', studentPart: true }]);
    // What is stored is plain JSON: the in-memory parts never reach the database.
    expect(JSON.stringify(callsForStudent([roster, write1], 4))).not.toContain('studentParts');
  });
});
