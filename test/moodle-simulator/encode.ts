import type { MoodleWsError } from './errors';

/**
 * PHP's json_encode() without flags, which is what Moodle's REST server uses: "/" is escaped
 * as "\/" and every non-ASCII character as \uXXXX. Keeping that makes recorded bodies
 * byte-identical.
 */
export function phpJsonEncode(value: unknown): string {
  const json = JSON.stringify(value === undefined ? null : value);
  return json
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlize(value: unknown): string {
  if (value === null || value === undefined) return '<VALUE null="null"/>\n';
  if (Array.isArray(value)) return '<MULTIPLE>\n' + value.map(xmlize).join('') + '</MULTIPLE>\n';
  if (typeof value === 'object') {
    const keys = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `<KEY name="${escapeXml(k)}">${xmlize(v)}</KEY>\n`)
      .join('');
    return '<SINGLE>\n' + keys + '</SINGLE>\n';
  }
  if (typeof value === 'boolean') return `<VALUE>${value ? 1 : 0}</VALUE>\n`;
  return `<VALUE>${escapeXml(String(value))}</VALUE>\n`;
}

/**
 * Moodle's REST XML (webservice/rest/locallib.php): the default when moodlewsrestformat is not
 * "json". Structure-faithful, but not checked byte for byte against a real server.
 */
export function xmlEncodeResult(value: unknown): string {
  const inner = value === null || value === undefined ? '' : xmlize(value);
  return `<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n${inner}</RESPONSE>\n`;
}

export function xmlEncodeError(error: MoodleWsError, debug: boolean): string {
  const debuginfo =
    debug && error.debuginfo !== undefined ? `<DEBUGINFO>${escapeXml(error.debuginfo)}</DEBUGINFO>\n` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8" ?>\n' +
    `<EXCEPTION class="${escapeXml(error.exception)}">\n` +
    `<ERRORCODE>${escapeXml(error.errorcode)}</ERRORCODE>\n` +
    `<MESSAGE>${escapeXml(error.message)}</MESSAGE>\n` +
    debuginfo +
    '</EXCEPTION>\n'
  );
}

/** PHP round(): half away from zero, with PHP's pre-rounding to 15 significant digits (1.005 → 1.01). */
export function phpRound(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  const shifted = Number((Math.abs(value) * factor).toPrecision(15));
  const rounded = Math.round(shifted) / factor;
  return value < 0 ? -rounded : rounded;
}

/** Moodle's format_float() with a "." decimal point and no thousands separator. */
export function formatFloat(value: number, decimals: number): string {
  return phpRound(value, decimals).toFixed(decimals);
}

/** Grades live in DECIMAL(10,5) columns. */
export function round5(value: number): number {
  return phpRound(value, 5);
}
