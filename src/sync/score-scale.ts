import { MappingEntity } from '../mappings/mapping.entity';

/** Moodle stores grades to 5 decimals. */
export function roundGrade(value: number): number {
  return Math.round(value * 1e5) / 1e5;
}

export function gradesEqual(a: number | null | undefined, b: number): boolean {
  return a !== null && a !== undefined && Math.abs(a - b) < 0.000005;
}

/** Linear conversion from the mapping's source scale to the grade item's range. */
export function scaleScore(score: number, source: Pick<MappingEntity, 'sourceMin' | 'sourceMax'>, itemMin: number, itemMax: number): number {
  const fraction = (score - source.sourceMin) / (source.sourceMax - source.sourceMin);
  return roundGrade(itemMin + fraction * (itemMax - itemMin));
}

export function isWithinScale(score: number, source: Pick<MappingEntity, 'sourceMin' | 'sourceMax'>): boolean {
  return score >= source.sourceMin && score <= source.sourceMax;
}
