export type FormValue = string | number | boolean | null | undefined | FormValue[] | { [key: string]: FormValue };

/** Flattens nested params the way PHP reads them: grades[0][studentid]=4&itemdetails[grademax]=100. */
export function toMoodleForm(params: Record<string, FormValue>): [string, string][] {
  const out: [string, string][] = [];
  const walk = (prefix: string, value: FormValue): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(`${prefix}[${index}]`, item));
    } else if (typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(`${prefix}[${key}]`, inner);
    } else if (typeof value === 'boolean') {
      out.push([prefix, value ? '1' : '0']);
    } else {
      out.push([prefix, typeof value === 'number' ? formatNumber(value) : value]);
    }
  };
  for (const [key, value] of Object.entries(params)) walk(key, value);
  return out;
}

/** Moodle cleans floats strictly: a dot decimal separator, no exponent, at most 5 decimals stored. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) throw new RangeError(`Cannot send ${value} to Moodle`);
  const text = Number.isInteger(value) ? String(value) : value.toFixed(5).replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}
