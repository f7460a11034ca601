import { MoodleGradeItem } from './moodle.types';

export type ItemGradeType = 'value' | 'scale' | 'text' | 'unknown';

const NUMBER = /^-?[\d\s.,'\u00a0\u202f]+$/;

/**
 * The grade report does not say an item's grade type, but its range does: Moodle formats both ends
 * with grade_format_gradevalue() (grade/report/user, grade_item::get_formatted_range()), which gives
 * numbers for a value item, the lowest and highest scale item for a scale ("Poor&ndash;Excellent"),
 * and nothing for a text item ("&ndash;"). Items of type none are not in the report at all.
 * A scale whose items are themselves numbers reads as a value item.
 */
export function gradeTypeOf(item: Pick<MoodleGradeItem, 'rangeformatted'>): ItemGradeType {
  if (typeof item.rangeformatted !== 'string') return 'unknown';
  const sides = item.rangeformatted.split(/&ndash;|\u2013/).map((side) => side.trim());
  if (sides.length !== 2) return 'unknown';
  if (sides.every((side) => side === '')) return 'text';
  return sides.every((side) => NUMBER.test(side)) ? 'value' : 'scale';
}

/** Why grades cannot be written to an item of this type, or null when they can. */
export function unwritableGradeType(item: Pick<MoodleGradeItem, 'rangeformatted' | 'itemname' | 'id'>): string | null {
  const name = `the grade item "${item.itemname ?? item.id}"`;
  switch (gradeTypeOf(item)) {
    case 'scale':
      return `${name} is graded with a scale (${item.rangeformatted!.replace('&ndash;', ' to ')}): this service writes numeric grades, which Moodle would round to a scale position; set the item's grade type to Point, or map another item`;
    case 'text':
      return `${name} has grade type Text: it holds feedback only, no grade can be written to it; set its grade type to Value, or map another item`;
    default:
      return null;
  }
}
