import { Injectable } from '@nestjs/common';
import { UndecryptableCredentialError } from '../../common/crypto/credential-cipher';
import { AppConfig } from '../../config/app-config';
import { ConnectionEntity } from '../../connections/connection.entity';
import { ToolSigner, LtiToolKeys } from '../../lti/lti-tool-keys.service';
import { RecordedLmsCall } from '../../sync/sync-attempt.entity';
import { parseAllowedHosts } from '../lms-base-url';
import { GateOptions, LmsCallLimiter } from '../lms-call.limiter';
import { LmsCallListener } from '../moodle/moodle.client';
import { AgsError } from './ags-errors';
import { AgsHttp, AgsRequest, parseJson, snippetOf } from './ags-http';
import { AgsAccessToken, AgsTokenCache, renewAt } from './ags-token.cache';
import { lineItemSubUrl } from './ags-urls';
import { AgsLineItem, AgsPlatform, AgsResult, AgsScore, MEDIA_TYPES, REQUIRED_AGS_SCOPES, ScoreAnswer } from './ags.types';
import { clientAssertion } from './client-assertion';
import { nextLink } from './link-header';

/** Pages of a line item container read at most (Moodle pages only when asked to). */
const MAX_CONTAINER_PAGES = 50;

/** The only code that speaks LTI Advantage AGS. `session()` gives a handle that records every call. */
@Injectable()
export class AgsClient {
  private listener?: LmsCallListener;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: LtiToolKeys,
    private readonly tokens: AgsTokenCache,
    private readonly limiter: LmsCallLimiter,
  ) {}

  /** Sets the one listener told about every call (the metrics module's LMS call histogram). */
  onCall(listener: LmsCallListener): void {
    this.listener = listener;
  }

  session(connection: ConnectionEntity, gate: GateOptions = {}): AgsSession {
    const http = new AgsHttp(
      { timeoutMs: this.config.LMS_TIMEOUT_MS, answerBytes: this.config.LMS_MAX_ANSWER_BYTES, allowedHosts: parseAllowedHosts(this.config.LMS_ALLOWED_HOSTS) },
      this.limiter.gateFor(connection, gate),
      this.listener,
    );
    return new AgsSession(platformOf(connection), http, this.tokens, () => this.signer());
  }

  private async signer(): Promise<ToolSigner> {
    try {
      return await this.keys.signer();
    } catch (error) {
      if (!(error instanceof UndecryptableCredentialError)) throw error;
      throw new AgsError(
        'transient',
        'tool_key_undecryptable',
        "the tool's private key cannot be decrypted: ENCRYPTION_KEY does not match the key it was stored with (set ENCRYPTION_KEY_PREVIOUS to that key), or create a new key (POST /api/v1/lti/keys/rotate) and register it with the platform",
      );
    }
  }
}

export function platformOf(connection: ConnectionEntity): AgsPlatform {
  if (connection.kind !== 'lti-ags' || !connection.ltiClientId || !connection.ltiTokenUrl) {
    throw new AgsError('permanent', 'not_lti_connection', `connection ${connection.id} is not a complete lti-ags connection`);
  }
  return { connectionId: connection.id, clientId: connection.ltiClientId, tokenUrl: connection.ltiTokenUrl, audience: connection.ltiAudience ?? connection.ltiTokenUrl };
}

export class AgsSession {
  constructor(
    readonly platform: AgsPlatform,
    private readonly http: AgsHttp,
    private readonly tokens: AgsTokenCache,
    private readonly signer: () => Promise<ToolSigner>,
  ) {}

  get calls(): RecordedLmsCall[] {
    return this.http.calls;
  }

  /** The cached access token, or a new one (client_credentials with a signed assertion). */
  async accessToken(): Promise<AgsAccessToken> {
    const signer = await this.signer();
    const key = [this.platform.clientId, this.platform.tokenUrl, this.platform.audience, signer.kid].join('\n');
    const token = await this.tokens.get(this.platform.connectionId, key, () => this.requestToken(signer));
    this.http.hide(token.value);
    return token;
  }

  private async requestToken(signer: ToolSigner): Promise<AgsAccessToken> {
    const assertion = await clientAssertion(this.platform, signer);
    this.http.hide(assertion);
    const scope = REQUIRED_AGS_SCOPES.join(' ');
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope,
    });
    let answer;
    try {
      answer = await this.http.send({
        name: 'token',
        method: 'POST',
        url: this.platform.tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        params: { grant_type: 'client_credentials', scope, kid: signer.kid, client_id: this.platform.clientId },
        secretsIn: accessTokensIn,
      });
    } catch (error) {
      throw tokenRefusal(error, signer.kid);
    }
    const parsed = parseJson('token', answer.text) as { access_token?: unknown; expires_in?: unknown; scope?: unknown } | null;
    if (!parsed || typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      throw new AgsError('transient', 'invalid_response', `token: the platform's answer has no access_token: ${snippetOf(this.http.redact(answer.text))}`);
    }
    this.http.hide(parsed.access_token);
    const expiresIn = typeof parsed.expires_in === 'number' ? parsed.expires_in : Number(parsed.expires_in ?? 3600);
    const scopes = typeof parsed.scope === 'string' ? parsed.scope.split(/\s+/).filter((s) => s !== '') : [...REQUIRED_AGS_SCOPES];
    return { value: parsed.access_token, scopes, renewAt: renewAt(Number.isFinite(expiresIn) ? expiresIn : 3600) };
  }

  /** A call with the access token; a 401 gets one fresh token and one more try. */
  private async authorized(request: Omit<AgsRequest, 'headers'> & { headers?: Record<string, string> }, accept?: (status: number) => boolean) {
    const token = await this.accessToken();
    const withToken = (value: string): AgsRequest => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${value}` } });
    try {
      return await this.http.send(withToken(token.value), accept);
    } catch (error) {
      if (!(error instanceof AgsError && error.code === 'lti_unauthorized')) throw error;
      this.tokens.invalidate(this.platform.connectionId, token.value);
      const fresh = await this.accessToken();
      return this.http.send(withToken(fresh.value), accept);
    }
  }

  async getLineItem(url: string): Promise<AgsLineItem> {
    const answer = await this.authorized({ name: 'GET lineitem', method: 'GET', url, params: {}, headers: { accept: MEDIA_TYPES.lineItem } });
    const item = toLineItem(parseJson('GET lineitem', answer.text));
    if (!item) throw new AgsError('transient', 'invalid_response', `GET lineitem: the answer is not a line item with a numeric scoreMaximum: ${snippetOf(answer.text)}`);
    return item;
  }

  /** Every line item of a container (following its `next` links, which Moodle writes malformed). */
  async listLineItems(containerUrl: string): Promise<AgsLineItem[]> {
    const items: AgsLineItem[] = [];
    let url: string | null = containerUrl;
    for (let page = 0; url && page < MAX_CONTAINER_PAGES; page++) {
      const answer = await this.authorized({ name: 'GET lineitems', method: 'GET', url, params: {}, headers: { accept: MEDIA_TYPES.lineItemContainer } });
      const parsed = parseJson('GET lineitems', answer.text);
      if (!Array.isArray(parsed)) throw new AgsError('transient', 'invalid_response', `GET lineitems: the answer is not an array of line items: ${snippetOf(answer.text)}`);
      for (const raw of parsed) {
        const item = toLineItem(raw);
        if (item) items.push(item);
      }
      const next = nextLink(answer.headers.get('link'));
      url = next && next !== url ? next : null;
    }
    return items;
  }

  /** POST {lineitem}/scores; a 409 means the platform holds a grade at least as new as this one. */
  async postScore(lineItemUrl: string, score: AgsScore): Promise<ScoreAnswer> {
    const answer = await this.authorized(
      {
        name: 'POST scores',
        method: 'POST',
        url: lineItemSubUrl(lineItemUrl, 'scores'),
        headers: { 'content-type': MEDIA_TYPES.score, accept: 'application/json' },
        body: JSON.stringify(score),
        params: { userId: score.userId, scoreGiven: String(score.scoreGiven), scoreMaximum: String(score.scoreMaximum), timestamp: score.timestamp, comment: score.comment ?? '' },
      },
      (status) => (status >= 200 && status < 300) || status === 409,
    );
    return answer.status === 409 ? 'conflict' : 'written';
  }

  /** The user's result on the line item, or null when the platform has none. */
  async getResult(lineItemUrl: string, userId: string): Promise<AgsResult | null> {
    const answer = await this.authorized({
      name: 'GET results',
      method: 'GET',
      url: lineItemSubUrl(lineItemUrl, 'results', { user_id: userId }),
      params: { userId },
      headers: { accept: MEDIA_TYPES.resultContainer },
    });
    const parsed = parseJson('GET results', answer.text);
    if (!Array.isArray(parsed)) throw new AgsError('transient', 'invalid_response', `GET results: the answer is not an array of results: ${snippetOf(answer.text)}`);
    const mine = (parsed as Record<string, unknown>[]).find((r) => r && typeof r === 'object' && String(r.userId) === userId);
    if (!mine) return null;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
    return {
      userId,
      resultScore: num(mine.resultScore),
      resultMaximum: num(mine.resultMaximum),
      comment: typeof mine.comment === 'string' ? mine.comment : null,
      timestamp: typeof mine.timestamp === 'string' ? mine.timestamp : null,
    };
  }
}

/** Every `access_token` (and `refresh_token`) value in a token answer, however it is labelled or malformed. */
function accessTokensIn(text: string): string[] {
  return [...text.matchAll(/"(?:access|refresh)_token"\s*:\s*"([^"]+)"/g)].map((m) => m[1]!);
}

function toLineItem(raw: unknown): AgsLineItem | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const max = typeof r.scoreMaximum === 'number' ? r.scoreMaximum : Number(r.scoreMaximum);
  if (typeof r.id !== 'string' || !Number.isFinite(max) || max <= 0) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { id: r.id, label: text(r.label) ?? '', scoreMaximum: max, resourceLinkId: text(r.resourceLinkId), resourceId: text(r.resourceId), tag: text(r.tag) };
}

/** A refused token request in words an admin can act on. */
function tokenRefusal(error: unknown, kid: string): unknown {
  if (!(error instanceof AgsError) || error.kind !== 'permanent' || !/^(http_400|lti_unauthorized|http_403)$/.test(error.code)) return error;
  return new AgsError(
    'permanent',
    'lti_token_refused',
    `${error.message}. The platform refused the tool's client assertion: check the connection's clientId, tokenUrl and audience, and that the platform holds the tool's current public key (kid ${kid}: GET /api/v1/lti/tool gives the PEM and the keyset URL)`,
  );
}
