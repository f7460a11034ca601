import { FailureKind, LmsError } from '../moodle/moodle-errors';

/** An LMS error of an LTI platform; a 429 carries how long the platform asked us to wait. */
export class AgsError extends LmsError {
  constructor(
    kind: FailureKind,
    code: string,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(kind, code, message);
    this.name = 'AgsError';
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** What an admin can do about a refused call, by HTTP status. */
export function agsHttpError(what: string, status: number, statusText: string, snippet: string, retryAfter: string | null): AgsError {
  const reason = [statusText, snippet].filter((t) => t.trim() !== '' && t.trim() !== '[]').join(': ');
  const text = `${what}: the platform answered HTTP ${status}${reason ? ` (${reason})` : ''}`;
  if (status === 429) return new AgsError('transient', 'http_429', `${text}; waiting as it asks`, retryAfterMs(retryAfter));
  if (status === 408 || status >= 500) return new AgsError('transient', `http_${status}`, text);
  if (status === 401) {
    return new AgsError(
      'permanent',
      'lti_unauthorized',
      `${text}: the access token was refused; when a fresh token is refused too, the tool registration lacks the grade services (Moodle: "IMS LTI Assignment and Grade Services: Use this service for grade sync and column management"), or the line item belongs to another tool or deployment`,
    );
  }
  if (status === 404) return new AgsError('permanent', 'lineitem_not_found', `${text}: the line item does not exist (deleted activity?) or the URL is wrong; fix the mapping's lineItemUrl`);
  if (status === 415) return new AgsError('permanent', 'http_415', `${text}: the platform refused the media type`);
  return new AgsError('permanent', `http_${status}`, text);
}
