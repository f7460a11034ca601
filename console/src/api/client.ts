import { signedOut, storedToken } from '../session';

/** An answer other than 2xx: the API's messages, each naming the field it is about. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly messages: string[],
  ) {
    super(messages.join('; ') || `HTTP ${status}`);
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Calls /api/v1 with the session's token; a 401 on a stored token ends the session. */
export async function api<T>(method: Method, path: string, body?: unknown, token = storedToken()): Promise<T> {
  const response = await send(method, path, body, token, 'application/json');
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The same call answered as text (the grades CSV). */
export async function apiText(path: string, accept: string): Promise<string> {
  const response = await send('GET', path, undefined, storedToken(), accept);
  return response.text();
}

async function send(method: Method, path: string, body: unknown, token: string | null, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, ['The service did not answer: check that it is running and reachable']);
  }
  if (response.ok) return response;
  const messages = await errorMessages(response);
  if (response.status === 401 && token && token === storedToken()) signedOut(messages[0] ?? 'The token was refused');
  throw new ApiError(response.status, messages);
}

async function errorMessages(response: Response): Promise<string[]> {
  try {
    const body = (await response.json()) as { message?: unknown };
    if (Array.isArray(body.message)) return body.message.map(String);
    if (typeof body.message === 'string') return [body.message];
  } catch {
    // Not JSON: the status line is all there is.
  }
  return [`${response.status} ${response.statusText}`.trim()];
}

/** The query string of a filter, without empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
