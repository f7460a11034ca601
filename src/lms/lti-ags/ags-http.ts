import { RecordedLmsCall } from '../../sync/sync-attempt.entity';
import { readStart } from '../answer-start';
import { CallGate } from '../lms-call.limiter';
import { LmsCallListener } from '../moodle/moodle.client';
import { LmsError } from '../moodle/moodle-errors';
import { AgsError, agsHttpError } from './ags-errors';
import { ltiUrlProblem } from './ags-urls';

const RECORDED_BODY_LIMIT = 2000;
/** How much of a refusal is read: enough for its message, never a whole error page of any size. */
const ERROR_PAGE_LIMIT = 64 * 1024;

export interface AgsLimits {
  timeoutMs: number;
  /** LMS_MAX_ANSWER_BYTES. */
  answerBytes: number;
  /** LMS_ALLOWED_HOSTS; empty allows any host. */
  allowedHosts: string[];
}

export interface AgsRequest {
  /** What the call is, as the attempt record names it: `POST scores`, `GET results`, `token`, … */
  name: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string | URLSearchParams;
  /** What the attempt record keeps of the request (never a token or an assertion). */
  params: Record<string, string>;
  /** Secrets the answer carries (the token answer's access_token): hidden before the answer is recorded. */
  secretsIn?: (text: string) => string[];
}

export interface AgsAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/**
 * One HTTP exchange with an LTI platform: the outbound URL rules, the connection's gate, a timeout
 * over the whole answer, redirects refused, the answer read up to LMS_MAX_ANSWER_BYTES, and a
 * record of the call whose texts never carry a secret (`secrets` are cut out wherever they appear).
 */
export class AgsHttp {
  readonly calls: RecordedLmsCall[] = [];
  private readonly secrets = new Set<string>();

  constructor(
    private readonly limits: AgsLimits,
    private readonly gate?: CallGate,
    private readonly listener?: LmsCallListener,
  ) {}

  /** A value that must never be recorded or thrown (an access token, an assertion). */
  hide(secret: string): void {
    if (secret.length > 0) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[secret]');
    return out.split(String.fromCharCode(0)).join('\uFFFD');
  }

  /** Sends the request; any 2xx answer (and a 409, which the score call reads as "already as new") is returned, others thrown. */
  async send(request: AgsRequest, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<AgsAnswer> {
    const record: RecordedLmsCall = { function: request.name, params: { url: request.url, ...request.params }, httpStatus: null, body: null, error: null, durationMs: 0 };
    this.calls.push(record);
    const started = Date.now();
    let failure: AgsError | null = null;
    try {
      const refused = ltiUrlProblem(request.url, this.limits.allowedHosts);
      if (refused) throw new AgsError('permanent', 'url_refused', `not calling ${request.url}: it ${refused}; fix the connection or mapping`);
      const exchange = async (): Promise<AgsAnswer> => {
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(this.limits.timeoutMs),
          redirect: 'manual',
        });
        record.httpStatus = response.status;
        const ok = accept(response.status);
        const text = ok ? await this.readLimited(request.name, response) : await readStart(response, ERROR_PAGE_LIMIT);
        for (const secret of request.secretsIn?.(text) ?? []) this.hide(secret);
        record.body = this.recordable(text);
        if (response.status >= 300 && response.status < 400) {
          throw new AgsError('permanent', `http_${response.status}`, `${request.name}: the platform redirected to ${response.headers.get('location') ?? '(no location)'}; give the exact URL`);
        }
        if (!ok) throw agsHttpError(request.name, response.status, response.statusText, snippetOf(this.redact(text)), response.headers.get('retry-after'));
        return { status: response.status, statusText: response.statusText, headers: response.headers, text };
      };
      return await (this.gate ? this.gate.run(exchange) : exchange());
    } catch (error) {
      const found = toLmsError(error, this.limits.timeoutMs);
      const clean = found instanceof AgsError ? new AgsError(found.kind, found.code, this.redact(found.message), found.retryAfterMs) : new AgsError(found.kind, found.code, this.redact(found.message));
      record.error = `${clean.code}: ${clean.message}`;
      failure = clean;
      throw clean;
    } finally {
      record.durationMs = Date.now() - started;
      try {
        this.listener?.({ function: `lti ${request.name}`, durationMs: record.durationMs, outcome: failure?.kind ?? 'ok', errorCode: failure?.code ?? null });
      } catch {
        // an observer's failure never fails the call it observes
      }
    }
  }

  private recordable(text: string): string {
    const clean = this.redact(text);
    return clean.length <= RECORDED_BODY_LIMIT ? clean : `${clean.slice(0, RECORDED_BODY_LIMIT)}…`;
  }

  private async readLimited(name: string, response: Response): Promise<string> {
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Uint8Array).byteLength;
      if (size > this.limits.answerBytes) {
        await response.body.cancel().catch(() => undefined);
        throw new AgsError('permanent', 'answer_too_large', `${name} answered more than ${this.limits.answerBytes} bytes (LMS_MAX_ANSWER_BYTES); the answer was not read further`);
      }
      chunks.push(chunk as Uint8Array);
    }
    return new TextDecoder().decode(Buffer.concat(chunks, size));
  }
}

/** JSON whatever the answer's content type says (Moodle labels its token answer text/html). */
export function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AgsError('transient', 'invalid_response', `${name}: the platform answered something that is not JSON: ${snippetOf(text)}`);
  }
}

export function snippetOf(text: string): string {
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}

function toLmsError(error: unknown, timeoutMs: number): LmsError {
  if (error instanceof LmsError) return error;
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new AgsError('transient', 'timeout', `the platform did not answer within ${timeoutMs} ms`);
  const detail = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  return new AgsError('transient', 'network', `could not reach the platform (no HTTP answer): ${detail}`);
}
