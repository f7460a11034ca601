/**
 * The answers whose callbacks are kept: refused for their body (400 malformed, 404 unknown
 * assessment, 415 content type). Not 401 (a wrong or missing key), 413 (the body was not read
 * whole), 429 (rate limit) or 503 (the sender retries).
 */
export const QUARANTINED_STATUSES: ReadonlySet<number> = new Set([400, 404, 415]);
