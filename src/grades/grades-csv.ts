import { CourseGradeRow } from './course-grades.dto';

type Cell = string | number | boolean | Date | null | undefined;

const COLUMNS: [string, (r: CourseGradeRow) => Cell][] = [
  ['mappingId', (r) => r.mappingId],
  ['targetType', (r) => r.target.type],
  ['cmid', (r) => (r.target.type === 'lineitem' ? null : r.target.cmid)],
  ['scoreField', (r) => r.scoreField],
  ['userRef', (r) => r.userRef],
  ['lmsUserId', (r) => r.lmsUserId],
  ['overall', (r) => r.scores.overall],
  ['pronunciation', (r) => r.scores.pronunciation],
  ['fluency', (r) => r.scores.fluency],
  ['vocab', (r) => r.scores.vocab],
  ['grammar', (r) => r.scores.grammar],
  ['receivedAt', (r) => r.receivedAt],
  ['syncState', (r) => r.syncState],
  ['syncReason', (r) => r.syncReason],
  ['syncedGrade', (r) => r.syncedGrade],
  ['syncedAt', (r) => r.syncedAt],
  ['submissionId', (r) => r.submissionId],
  ['syncId', (r) => r.syncId],
];

export const GRADE_CSV_HEADER = COLUMNS.map(([name]) => name);

/** RFC 4180 CSV (CRLF line ends, a header row) of the course grade rows. */
export function gradesCsv(rows: readonly CourseGradeRow[]): string {
  const lines = [GRADE_CSV_HEADER, ...rows.map((r) => COLUMNS.map(([, read]) => read(r)))];
  return lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/**
 * One cell, quoted when it holds a comma, quote or line break. Text that a spreadsheet would run
 * as a formula (= + - @, tab, CR first) gets a leading apostrophe; numbers are not text and stay as they are.
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = value instanceof Date ? value.toISOString() : value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
