/**
 * The rules every LMS base URL obeys, at create/patch time and again before every outbound call
 * (a row written before these rules, or by hand, must not send a token anywhere else).
 */

/** `LMS_ALLOWED_HOSTS` parsed: lower-case `host` (any port) or `host:port` entries; empty allows every host. */
export function parseAllowedHosts(setting: string): string[] {
  return setting
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
}

/**
 * What is wrong with `raw` as an LMS base URL, or null when it is fine: http(s) only, no userinfo,
 * no query, no fragment (a trailing `#` or `?` would cut off the `/webservice/rest/server.php` we
 * append, so the token would go to whatever the rest of the URL names), and a host on the
 * allow-list when there is one.
 */
export function baseUrlProblem(raw: string, allowedHosts: readonly string[]): string | null {
  if (/[\s\\]/.test(raw)) return 'baseUrl may not contain spaces or backslashes';
  if (raw.includes('?') || raw.includes('#')) return 'baseUrl may not contain a query (?) or a fragment (#): give Moodle\'s wwwroot, such as https://moodle.example.edu';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'baseUrl must be an http(s) URL such as https://moodle.example.edu';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'baseUrl must be an http(s) URL such as https://moodle.example.edu';
  const authority = raw.slice(raw.indexOf('//') + 2).split('/')[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) return 'baseUrl may not contain a user name or password (user@host)';
  if (!hostAllowed(url, allowedHosts)) {
    return `baseUrl's host ${url.host} is not in LMS_ALLOWED_HOSTS (${allowedHosts.join(', ')})`;
  }
  return null;
}

export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => entry === host || entry === `${host}:${port}`);
}

/** The stored form: no trailing slash, no `/webservice/rest/server.php`. Call after baseUrlProblem() said null. */
export function normalizeBaseUrl(raw: string): string {
  const url = new URL(raw);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/webservice\/rest\/server\.php$/, '');
  return `${url.origin}${path}`;
}
