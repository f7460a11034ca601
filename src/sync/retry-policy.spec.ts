import { backoffDelayMs } from './retry-policy';

const BASE = 1000;
const MAX = 60_000;
const lowest = () => 0;
const highest = () => 1;

describe('backoffDelayMs', () => {
  it('waits between half a step and a full step on the first attempt', () => {
    expect(backoffDelayMs(1, BASE, MAX, lowest)).toBe(500);
    expect(backoffDelayMs(1, BASE, MAX, highest)).toBe(1000);
    expect(backoffDelayMs(1, BASE, MAX, () => 0.5)).toBe(750);
  });

  it('doubles the step with every attempt', () => {
    const steps = [1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, BASE, MAX, highest));
    expect(steps).toEqual([1000, 2000, 4000, 8000, 16000]);
    const floors = [1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, BASE, MAX, lowest));
    expect(floors).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('never exceeds the maximum, however many attempts', () => {
    for (const attempt of [7, 10, 50, 1100, 1e6]) {
      expect(backoffDelayMs(attempt, BASE, MAX, highest)).toBe(MAX);
      expect(backoffDelayMs(attempt, BASE, MAX, lowest)).toBe(MAX / 2);
    }
  });

  it('treats attempt 0 and negative attempts like the first attempt', () => {
    expect(backoffDelayMs(0, BASE, MAX, highest)).toBe(1000);
    expect(backoffDelayMs(-3, BASE, MAX, highest)).toBe(1000);
  });

  it('caps even the first step when the maximum is below the base', () => {
    expect(backoffDelayMs(1, 10_000, 4_000, highest)).toBe(4_000);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelayMs(3, 333, MAX, () => 0.3333))).toBe(true);
  });

  it('stays within [step/2, step] with the real random source', () => {
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelayMs(3, BASE, MAX);
      expect(delay).toBeGreaterThanOrEqual(2000);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});
