import { RecordedLmsCall } from './sync-attempt.entity';

/** `grades[3][studentid]` (core_grades_update_grades), `grades[3][userid]` and `grades[3][…]…` (mod_assign_save_grades). */
const GRADE_ENTRY = /^grades\[(\d+)\]/;
const ENTRY_USER = /^grades\[(\d+)\]\[(studentid|userid)\]$/;

/**
 * A batched attempt's LMS calls as one student's attempt record keeps them: every call, except
 * that a grade-writing call keeps only this student's entry, and one that did not carry it is
 * left out. A claim of 500 syncs would otherwise store all 500 entries of every write call with
 * each of the 500 attempts.
 */
export function callsForStudent(calls: readonly RecordedLmsCall[], lmsUserId: number | undefined): RecordedLmsCall[] {
  const kept: RecordedLmsCall[] = [];
  for (const call of calls) {
    const keys = Object.keys(call.params);
    if (!keys.some((k) => GRADE_ENTRY.test(k))) {
      kept.push(call);
      continue;
    }
    const mine = new Set<string>();
    for (const key of keys) {
      const match = ENTRY_USER.exec(key);
      if (match && lmsUserId !== undefined && call.params[key] === String(lmsUserId)) mine.add(match[1]!);
    }
    if (mine.size === 0) continue;
    const params = Object.fromEntries(Object.entries(call.params).filter(([key]) => {
      const entry = GRADE_ENTRY.exec(key);
      return !entry || mine.has(entry[1]!);
    }));
    kept.push({ ...call, params });
  }
  return kept;
}
