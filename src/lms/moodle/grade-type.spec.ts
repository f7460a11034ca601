import { gradeTypeOf, unwritableGradeType } from './grade-type';

describe('gradeTypeOf (from the grade report range)', () => {
  it.each([
    ['0&ndash;100', 'value'],
    ['0&ndash;200', 'value'],
    ['-5&ndash;5', 'value'],
    ['0,00&ndash;9,50', 'value'],
    ['1\u00a0000&ndash;2\u00a0000', 'value'],
    ['Not yet competent&ndash;Highly competent', 'scale'],
    ['Poor – Excellent', 'scale'],
    ['&ndash;', 'text'],
    [undefined, 'unknown'],
    ['100', 'unknown'],
  ])('%s → %s', (rangeformatted, type) => {
    expect(gradeTypeOf({ rangeformatted })).toBe(type);
  });

  it('says why a scale or text item is not written, and lets value and unknown items through', () => {
    expect(unwritableGradeType({ id: 7, itemname: 'Oral', rangeformatted: 'Poor&ndash;Good' })).toMatch(/"Oral" is graded with a scale \(Poor to Good\)/);
    expect(unwritableGradeType({ id: 7, itemname: null, rangeformatted: '&ndash;' })).toMatch(/"7" has grade type Text/);
    expect(unwritableGradeType({ id: 7, itemname: 'x', rangeformatted: '0&ndash;100' })).toBeNull();
    expect(unwritableGradeType({ id: 7, itemname: 'x' })).toBeNull();
  });
});
