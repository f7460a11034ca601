import { gradesEqual, isWithinScale, roundGrade, scaleScore } from './score-scale';

const IELTS = { sourceMin: 0, sourceMax: 9 };

describe('roundGrade', () => {
  it.each([
    [77.5, 77.5],
    [66.666666666, 66.66667],
    [1.234564, 1.23456],
    [0.1 + 0.2, 0.3],
    [1e-7, 0],
    [100, 100],
    [-5.123456, -5.12346],
  ])('rounds %p to Moodle’s 5 decimals: %p', (value, expected) => {
    expect(roundGrade(value)).toBe(expected);
  });
});

describe('gradesEqual', () => {
  it('treats a missing grade as different from any grade', () => {
    expect(gradesEqual(null, 0)).toBe(false);
    expect(gradesEqual(undefined, 0)).toBe(false);
  });

  it('treats grades equal to Moodle’s 5 stored decimals as equal', () => {
    expect(gradesEqual(81.25, 81.25)).toBe(true);
    expect(gradesEqual(77.77778, 77.777777777)).toBe(true);
    expect(gradesEqual(0, 0.000004)).toBe(true);
  });

  it('treats grades that differ in the 5th decimal as different', () => {
    expect(gradesEqual(81.25, 81.25001)).toBe(false);
    expect(gradesEqual(81.25, 81.2501)).toBe(false);
    expect(gradesEqual(0, 1)).toBe(false);
  });
});

describe('scaleScore', () => {
  it('maps the ends of the source scale onto the ends of the item range', () => {
    expect(scaleScore(0, IELTS, 0, 100)).toBe(0);
    expect(scaleScore(9, IELTS, 0, 100)).toBe(100);
    expect(scaleScore(1, { sourceMin: 1, sourceMax: 5 }, 10, 20)).toBe(10);
    expect(scaleScore(5, { sourceMin: 1, sourceMax: 5 }, 10, 20)).toBe(20);
  });

  it('maps linearly in between', () => {
    expect(scaleScore(4.5, IELTS, 0, 100)).toBe(50);
    expect(scaleScore(3, { sourceMin: 1, sourceMax: 5 }, 10, 20)).toBe(15);
    expect(scaleScore(50, { sourceMin: 0, sourceMax: 100 }, 0, 10)).toBe(5);
  });

  it('rounds the result to 5 decimals', () => {
    expect(scaleScore(7, IELTS, 0, 100)).toBe(77.77778);
    expect(scaleScore(4, IELTS, 0, 100)).toBe(44.44444);
  });

  it('leaves a score unchanged when both ranges are the same', () => {
    expect(scaleScore(6.5, IELTS, 0, 9)).toBe(6.5);
  });

  it('handles a source scale with a negative minimum', () => {
    expect(scaleScore(0, { sourceMin: -10, sourceMax: 10 }, 0, 100)).toBe(50);
  });

  it('returns the item minimum for every score when the item range is empty', () => {
    expect(scaleScore(7, IELTS, 5, 5)).toBe(5);
  });
});

describe('isWithinScale', () => {
  it('includes both ends of the scale', () => {
    expect(isWithinScale(0, IELTS)).toBe(true);
    expect(isWithinScale(9, IELTS)).toBe(true);
    expect(isWithinScale(6.5, IELTS)).toBe(true);
  });

  it('excludes scores outside the scale', () => {
    expect(isWithinScale(-0.01, IELTS)).toBe(false);
    expect(isWithinScale(9.01, IELTS)).toBe(false);
    expect(isWithinScale(75, IELTS)).toBe(false);
  });

  it('rejects NaN', () => {
    expect(isWithinScale(Number.NaN, IELTS)).toBe(false);
  });
});
