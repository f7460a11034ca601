import { hostAllowed } from '../lms-base-url';

/**
 * What is wrong with `raw` as a URL of an LTI platform (token URL, issuer, line item), or null:
 * http(s) only, no user name or password, no fragment, and a host in LMS_ALLOWED_HOSTS when that is
 * set. Unlike a Moodle baseUrl, a query is allowed: Moodle's line item URLs carry `?type_id=`.
 */
export function ltiUrlProblem(raw: string, allowedHosts: readonly string[]): string | null {
  if (/[\s\\]/.test(raw)) return 'may not contain spaces or backslashes';
  if (raw.includes('#')) return 'may not contain a fragment (#)';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an http(s) URL such as https://moodle.example.edu/mod/lti/token.php';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL such as https://moodle.example.edu/mod/lti/token.php';
  const authority = raw.slice(raw.indexOf('//') + 2).split('/')[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) return 'may not contain a user name or password (user@host)';
  if (!hostAllowed(url, allowedHosts)) return `host ${url.host} is not in LMS_ALLOWED_HOSTS (${allowedHosts.join(', ')})`;
  return null;
}

/**
 * A line item's sub-resource (`/scores`, `/results`): inserted into the path, before the query.
 * Moodle's line item URL is `…/lineitems/7/lineitem?type_id=3`, so `/scores` appended after the
 * query would name a `type_id` of "3/scores".
 */
export function lineItemSubUrl(lineItemUrl: string, sub: 'scores' | 'results', query: Record<string, string> = {}): string {
  const url = new URL(lineItemUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${sub}`;
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}
