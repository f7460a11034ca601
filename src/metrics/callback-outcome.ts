export const CALLBACK_OUTCOMES = [
  'accepted',
  'duplicate',
  'bad_request',
  'unauthorized',
  'unknown_assessment',
  'too_large',
  'unsupported_type',
  'rate_limited',
  'unavailable',
  'error',
] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/** The answer intake gave, as a metric label; README "How a callback is read" defines the statuses. */
export function callbackOutcome(status: number): CallbackOutcome {
  switch (status) {
    case 202:
      return 'accepted';
    case 200:
      return 'duplicate';
    case 401:
    case 403:
      return 'unauthorized';
    case 404:
      return 'unknown_assessment';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_type';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 400 && status < 500 ? 'bad_request' : 'error';
  }
}
