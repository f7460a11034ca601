import { RecordedLmsCall } from './sync-attempt.entity';

/** `grades[3][studentid]` (core_grades_update_grades), `grades[3][userid]` and `grades[3][…]…` (mod_assign_save_grades). */
const GRADE_ENTRY = /^grades\[(\d+)\]/;
const ENTRY_USER = /^grades\[(\d+)\]\[(studentid|userid)\]$/;

/**
 * A batched attempt's LMS calls as one student's attempt record keeps them: every call, except
 * that a grade-writing call keeps only this student's entry (one that did not carry it is left
 * out), and an answer about many students keeps only this student's part. A claim of 500 syncs
 * would otherwise store all 500 entries of every write call, and the start of every course-wide
 * answer (other students' grades), with each of the 500 attempts.
 */
export function callsForStudent(calls: readonly RecordedLmsCall[], lmsUserId: number | undefined): RecordedLmsCall[] {
  return studentCallsOf(calls)(lmsUserId);
}

interface IndexedCall {
  call: RecordedLmsCall;
  /** Null for a call without grade entries (kept whole). */
  keys: string[] | null;
  /** Positions in `keys` of the parameters outside any grade entry. */
  common: number[];
  /** Per student id (as sent): positions in `keys` of the parameters of that student's entries. */
  byUser: Map<string, number[]>;
}

/**
 * callsForStudent for many students of one claim: each call's parameters are indexed once, so a
 * claim of 500 syncs does not scan every entry of every write call 500 times.
 */
export function studentCallsOf(calls: readonly RecordedLmsCall[]): (lmsUserId: number | undefined) => RecordedLmsCall[] {
  const indexed = calls.map(indexCall);
  return (lmsUserId) => {
    const kept: RecordedLmsCall[] = [];
    for (const { call, keys, common, byUser } of indexed) {
      if (keys === null) {
        kept.push(studentView(call, lmsUserId));
        continue;
      }
      const mine = lmsUserId === undefined ? undefined : byUser.get(String(lmsUserId));
      if (!mine) continue;
      const positions = [...common, ...mine].sort((a, b) => a - b);
      kept.push({ ...studentView(call, lmsUserId), params: Object.fromEntries(positions.map((i) => [keys[i]!, call.params[keys[i]!]!])) });
    }
    return kept;
  };
}

/** The call with `body` cut to this student's part when the answer was about many students. */
function studentView(call: RecordedLmsCall, lmsUserId: number | undefined): RecordedLmsCall {
  const { studentParts, ...stored } = call;
  if (!studentParts) return stored;
  const part = lmsUserId === undefined ? undefined : studentParts.byUser.get(lmsUserId);
  return { ...stored, body: part ?? studentParts.absent, studentPart: true };
}

function indexCall(call: RecordedLmsCall): IndexedCall {
  const keys = Object.keys(call.params);
  const entryOf = keys.map((key) => GRADE_ENTRY.exec(key)?.[1]);
  if (entryOf.every((entry) => entry === undefined)) return { call, keys: null, common: [], byUser: new Map() };
  const common: number[] = [];
  const positionsOfEntry = new Map<string, number[]>();
  const usersOfEntry = new Map<string, string>();
  keys.forEach((key, i) => {
    const entry = entryOf[i];
    if (entry === undefined) {
      common.push(i);
      return;
    }
    const positions = positionsOfEntry.get(entry) ?? [];
    positions.push(i);
    positionsOfEntry.set(entry, positions);
    if (ENTRY_USER.test(key)) usersOfEntry.set(entry, String(call.params[key]));
  });
  const byUser = new Map<string, number[]>();
  for (const [entry, user] of usersOfEntry) byUser.set(user, [...(byUser.get(user) ?? []), ...positionsOfEntry.get(entry)!]);
  return { call, keys, common, byUser };
}
