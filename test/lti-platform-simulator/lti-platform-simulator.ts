import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify, JWTPayload, ProtectedHeaderParameters } from 'jose';
import { PlatformState, SCOPES, SimLineItem, SimStoredGrade } from './platform-state';

export { SCOPES } from './platform-state';
export type { SimLineItem, SimStoredGrade } from './platform-state';

/** A fault served instead of the next matching requests. */
export type PlatformFault = { status: 429; retryAfter?: string } | { status: 500 | 502 | 503 } | { kind: 'drop' } | { kind: 'huge'; bytes: number };
export type FaultTarget = 'token' | 'lineitem' | 'lineitems' | 'scores' | 'results';

export interface SimRequest {
  target: FaultTarget | 'unknown';
  method: string;
  url: string;
  contentType: string | null;
  accept: string | null;
  authorization: string | null;
  body: string;
  status: number;
}

export interface PlatformOptions {
  clientId?: string;
  typeId?: number;
  /** Scopes the tool type allows ("grade sync and column management": all four). */
  allowedScopes?: string[];
  tokenLifetimeS?: number;
}

const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
const NON_NUMERIC_USER_REASON = 'Coding error detected, it must be fixed by a programmer: Invalid user parameter supplied for isguestuser() function!';
const FORMATS: Record<string, string> = {
  lineitem: 'application/vnd.ims.lis.v2.lineitem+json',
  lineitems: 'application/vnd.ims.lis.v2.lineitemcontainer+json',
  results: 'application/vnd.ims.lis.v2.resultcontainer+json',
  scores: SCORE_TYPE,
};

/**
 * An LTI 1.3 platform's Assignment and Grade Services, as Moodle 5.0.6 answers them
 * (docs/reference and test/fixtures/moodle-local/lti-ags-recorded.json): the token endpoint verifies the
 * tool's client assertion against the tool's JWKS (fetched from the service on every request, so a
 * deleted key stops verifying at once) or a pasted public key, and answers JSON labelled text/html;
 * scores are rescaled to the line item's maximum, refused with 409 when the stored grade is as new
 * in whole seconds, refused with 400 (reason in the status line) for a user not enrolled; a
 * non-numeric userId gets a status line with status 0 (clients see no HTTP answer); wrong, expired or under-scoped tokens
 * get a bare 401; the line item container's `Link` header is malformed as Moodle writes it.
 */
export class LtiPlatformSimulator {
  readonly state = new PlatformState();
  readonly requests: SimRequest[] = [];
  /** Header and claims of every client assertion the token endpoint verified. */
  readonly assertions: { header: ProtectedHeaderParameters; claims: JWTPayload }[] = [];
  readonly clientId: string;
  readonly typeId: number;
  allowedScopes: string[];
  tokenLifetimeS: number;
  private jwksUrl: string | null = null;
  private publicKeyPem: string | null = null;
  private readonly faults: { target: FaultTarget; fault: PlatformFault; left: number }[] = [];
  private readonly usedJtis = new Set<string>();

  private constructor(
    private readonly server: http.Server,
    readonly baseUrl: string,
    options: PlatformOptions,
  ) {
    this.clientId = options.clientId ?? 'vYLAag3q7wHr7wS';
    this.typeId = options.typeId ?? 1;
    this.allowedScopes = options.allowedScopes ?? Object.values(SCOPES);
    this.tokenLifetimeS = options.tokenLifetimeS ?? 3600;
  }

  static async start(options: PlatformOptions = {}): Promise<LtiPlatformSimulator> {
    const holder: { sim?: LtiPlatformSimulator } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void holder.sim!.handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: Error) => {
        res.writeHead(500, 'Simulator error', { 'content-type': 'text/plain' });
        res.end(error.stack);
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.sim = new LtiPlatformSimulator(server, `http://127.0.0.1:${port}`, options);
    return holder.sim;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get issuer(): string {
    return this.baseUrl;
  }

  get tokenUrl(): string {
    return `${this.baseUrl}/mod/lti/token.php`;
  }

  get deploymentId(): string {
    return String(this.typeId);
  }

  /** "Public key type: Keyset URL". */
  useKeysetUrl(url: string): void {
    this.jwksUrl = url;
    this.publicKeyPem = null;
  }

  /** "Public key type: RSA key": the PEM pasted into the tool type. */
  usePublicKey(pem: string): void {
    this.publicKeyPem = pem;
    this.jwksUrl = null;
  }

  lineItemUrl(item: SimLineItem): string {
    return `${this.baseUrl}/mod/lti/services.php/${item.courseId}/lineitems/${item.itemId}/lineitem?type_id=${this.typeId}`;
  }

  containerUrl(courseId: number): string {
    return `${this.baseUrl}/mod/lti/services.php/${courseId}/lineitems?type_id=${this.typeId}`;
  }

  failNext(target: FaultTarget, times: number, fault: PlatformFault): void {
    this.faults.push({ target, fault, left: times });
  }

  /** Every issued token stops working (as after a platform restart that lost its tokens). */
  revokeTokens(): void {
    this.state.tokens.clear();
  }

  count(target: FaultTarget, status?: number): number {
    return this.requests.filter((r) => r.target === target && (status === undefined || r.status === status)).length;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const record: SimRequest = {
      target: 'unknown',
      method: req.method ?? 'GET',
      url: url.toString(),
      contentType: req.headers['content-type'] ?? null,
      accept: req.headers.accept ?? null,
      authorization: req.headers.authorization ?? null,
      body,
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, reason: string, headers: Record<string, string>, text: string) => {
      record.status = status;
      res.writeHead(status, reason, headers);
      res.end(text);
    };
    const route = this.route(url.pathname, req.method ?? 'GET');
    if (!route) return send(404, 'Not Found', { 'content-type': 'text/html' }, '<h1>Not Found</h1>');
    record.target = route.target;
    const fault = this.takeFault(route.target);
    if (fault) {
      if ('kind' in fault && fault.kind === 'drop') return void req.socket.destroy();
      if ('kind' in fault) {
        record.status = 200;
        res.writeHead(200, 'OK', { 'content-type': 'application/json' });
        return void res.end(`{"id":"${'x'.repeat(fault.bytes)}"}`);
      }
      const headers: Record<string, string> = { 'content-type': 'text/html' };
      if (fault.status === 429 && fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      return send(fault.status, fault.status === 429 ? 'Too Many Requests' : 'Server Error', headers, '');
    }
    if (route.target === 'token') {
      const answer = await this.token(body);
      return send(answer.status, answer.status === 200 ? 'OK' : 'Bad Request', { 'content-type': 'text/html; charset=utf-8' }, JSON.stringify(answer.body, null, 2));
    }
    const format = FORMATS[route.target]!;
    const isGet = req.method === 'GET';
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!;
    const accept = req.headers.accept ?? '';
    if ((isGet && accept !== '' && !accept.includes('*/*') && accept !== format) || (!isGet && contentType !== format)) {
      const reason = `No handler found for ${url.pathname.replace('/mod/lti/services.php', '')} ${isGet ? accept : ''} ${isGet ? '' : contentType}`;
      return send(400, reason, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ status: 400, reason, request: { method: req.method, url: req.url } }, null, 4));
    }
    const needed = { lineitem: [SCOPES.lineItem, SCOPES.lineItemRead], lineitems: [SCOPES.lineItem, SCOPES.lineItemRead], scores: [SCOPES.score], results: [SCOPES.resultRead] }[route.target];
    if (!this.authorized(req.headers.authorization, needed)) {
      return send(401, 'Unauthorized', { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ status: 401, reason: 'Unauthorized', request: { method: req.method, url: req.url } }, null, 4));
    }
    const item = route.itemId !== undefined ? this.state.lineItems.get(route.itemId) : undefined;
    if (route.itemId !== undefined && (!item || item.courseId !== route.courseId)) return send(404, 'Not Found', { 'content-type': format }, '[]');
    switch (route.target) {
      case 'lineitems':
        return this.container(route.courseId, url, (status, reason, headers, text) => send(status, reason, { 'content-type': `${format}; charset=utf-8`, ...headers }, text));
      case 'lineitem':
        return send(200, 'OK', { 'content-type': `${format}; charset=utf-8` }, JSON.stringify(this.lineItemJson(item!)));
      case 'results':
        return send(200, 'OK', { 'content-type': `${format}; charset=utf-8` }, JSON.stringify(this.results(item!, url.searchParams.get('user_id'))));
      case 'scores': {
        const parsed = JSON.parse(body || 'null') as Record<string, unknown> | null;
        if (parsed && typeof parsed.userId === 'string' && !/^\d+$/.test(parsed.userId)) {
          // Moodle's isguestuser() throws a coding error whose code, 0, becomes the HTTP status (test/fixtures/moodle-local/lti-ags-recorded.json).
          record.status = 0;
          return void req.socket.end(`HTTP/1.0 0 ${NON_NUMERIC_USER_REASON}\r\nConnection: close\r\nContent-Type: ${format}; charset=utf-8\r\n\r\n[]`);
        }
        const answer = this.score(item!, parsed, body);
        return send(answer.status, answer.reason, { 'content-type': `${format}; charset=utf-8` }, answer.status === 200 ? '' : '[]');
      }
    }
  }

  private route(path: string, method: string): { target: FaultTarget; courseId: number; itemId?: number } | null {
    if (path === '/mod/lti/token.php' && method === 'POST') return { target: 'token', courseId: 0 };
    const m = /^\/mod\/lti\/services\.php\/(\d+)\/lineitems(?:\/(\d+)\/lineitem(?:\/(scores|results))?)?$/.exec(path);
    if (!m) return null;
    const courseId = Number(m[1]);
    if (!m[2]) return method === 'GET' ? { target: 'lineitems', courseId } : null;
    const itemId = Number(m[2]);
    if (!m[3]) return method === 'GET' ? { target: 'lineitem', courseId, itemId } : null;
    if (m[3] === 'scores') return method === 'POST' ? { target: 'scores', courseId, itemId } : null;
    return method === 'GET' ? { target: 'results', courseId, itemId } : null;
  }

  private takeFault(target: FaultTarget): PlatformFault | null {
    const found = this.faults.find((f) => f.target === target && f.left > 0);
    if (!found) return null;
    found.left--;
    return found.fault;
  }

  private async token(body: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !assertion) return { status: 400, body: { error: 'invalid_request' } };
    let claims: JWTPayload;
    try {
      claims = decodeJwt(assertion);
    } catch {
      return { status: 400, body: { error: 'invalid_request' } };
    }
    if (claims.sub !== this.clientId) return { status: 400, body: { error: 'invalid_client' } };
    try {
      await this.verify(assertion);
    } catch (error) {
      const code = (error as { code?: string }).code;
      return { status: 400, body: { error: code === 'ERR_JWT_EXPIRED' ? 'Expired token' : 'Signature verification failed' } };
    }
    // Moodle checks no more than the above; other platforms do, and our client must send them right.
    const problem = this.claimProblem(claims);
    if (problem) return { status: 400, body: { error: problem } };
    this.assertions.push({ header: decodeProtectedHeader(assertion), claims });
    const asked = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
    const granted = asked.filter((s) => this.allowedScopes.includes(s));
    if (granted.length === 0) return { status: 400, body: { error: 'invalid_scope' } };
    const token = randomBytes(16).toString('hex');
    this.state.tokens.set(token, { scopes: granted, expiresAt: Date.now() + this.tokenLifetimeS * 1000 });
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeS, scope: granted.join(' ') } };
  }

  private async verify(assertion: string): Promise<void> {
    if (this.publicKeyPem) {
      await jwtVerify(assertion, await importSPKI(this.publicKeyPem, 'RS256'), { algorithms: ['RS256'] });
      return;
    }
    if (!this.jwksUrl) throw new Error('no key registered for the tool');
    const jwks = (await (await fetch(this.jwksUrl)).json()) as Parameters<typeof createLocalJWKSet>[0];
    await jwtVerify(assertion, createLocalJWKSet(jwks), { algorithms: ['RS256'] });
  }

  private claimProblem(claims: JWTPayload): string | null {
    if (claims.iss !== this.clientId) return 'invalid_client: iss must be the client id';
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(this.tokenUrl)) return 'invalid_request: aud must be the token URL';
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return 'invalid_request: exp and iat are required';
    if (claims.iat > Math.floor(Date.now() / 1000) + 5) return 'invalid_request: iat is in the future';
    if (typeof claims.jti !== 'string' || this.usedJtis.has(claims.jti)) return 'invalid_request: jti missing or used before';
    this.usedJtis.add(claims.jti);
    return null;
  }

  private authorized(header: string | undefined, anyOf: string[]): boolean {
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    const issued = token ? this.state.tokens.get(token) : undefined;
    return issued !== undefined && issued.expiresAt > Date.now() && issued.scopes.some((s) => anyOf.includes(s));
  }

  private lineItemJson(item: SimLineItem) {
    return { id: this.lineItemUrl(item), label: item.label, scoreMaximum: item.scoreMaximum, resourceId: '', tag: '', resourceLinkId: item.resourceLinkId, ltiLinkId: item.resourceLinkId };
  }

  /**
   * Moodle's paging (lineitems.php): with `limit`, a Link header of first, prev, canonical, next and
   * last, written with `&amp;` in the URLs and typographic quotes around the rel (and its `last`
   * off by one, as Moodle computes it).
   */
  private container(courseId: number, url: URL, send: (status: number, reason: string, headers: Record<string, string>, text: string) => void): void {
    const all = [...this.state.lineItems.values()].filter((i) => i.courseId === courseId);
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const from = Number(url.searchParams.get('from') ?? 0);
    const page = limit > 0 ? all.slice(from, from + limit) : all;
    const headers: Record<string, string> = {};
    if (limit > 0) {
      const inRange = from >= 0 && from < all.length;
      const at = (n: number) => `<${this.containerUrl(courseId)}&amp;limit=${limit}&amp;from=${n}>`;
      const links = [`${at(0)}; rel=\u201cfirst\u201d`];
      if (from > 0 && inRange) links.push(`${at(Math.max(0, from - limit))}; rel=\u201cprev\u201d`);
      links.push(`${at(from)}; rel=\u201ccanonical\u201d`);
      if (from + limit <= all.length - 1 && inRange) links.push(`${at(from + limit)}; rel=\u201cnext\u201d`);
      links.push(`${at(Math.max(0, all.length - limit + 1))}; rel=\u201clast\u201d`);
      // Moodle sends the quotes as raw UTF-8 bytes; Node writes a header string's characters as Latin-1 bytes.
      headers.link = Buffer.from(links.join(', '), 'utf8').toString('latin1');
    }
    send(200, 'OK', headers, JSON.stringify(page.map((i) => this.lineItemJson(i))));
  }

  private results(item: SimLineItem, userFilter: string | null) {
    const rows: Record<string, unknown>[] = [];
    for (const userId of this.state.enrolments.get(item.courseId) ?? []) {
      if (userFilter && Number(userFilter) !== userId) continue;
      const grade = this.state.grade(item.itemId, userId);
      if (!grade) continue;
      const row: Record<string, unknown> = { id: `${this.lineItemUrl(item).replace('?', '/results?')}&user_id=${userId}`, userId: String(userId) };
      // Moodle leaves out score, comment and time of a zero grade (`!empty($grade->finalgrade)`).
      if (grade.grade !== 0) {
        Object.assign(row, { resultScore: grade.grade, resultMaximum: item.scoreMaximum });
        if (grade.comment) row.comment = grade.comment;
        Object.assign(row, { scoreOf: this.lineItemUrl(item), timestamp: new Date(grade.timemodified * 1000).toISOString().replace('.000Z', '+00:00') });
      }
      rows.push(row);
    }
    return rows;
  }

  private score(item: SimLineItem, score: Record<string, unknown> | null, body: string): { status: number; reason: string } {
    const incorrect = { status: 400, reason: `Incorrect score received${body}` };
    if (!score || score.userId === undefined || typeof score.timestamp !== 'string' || !score.gradingProgress || !score.activityProgress) return incorrect;
    const time = Date.parse(score.timestamp);
    if (Number.isNaN(time)) return incorrect;
    if (score.scoreGiven !== undefined && (typeof score.scoreGiven !== 'number' || typeof score.scoreMaximum !== 'number')) return incorrect;
    const userId = Number(score.userId);
    if (!this.state.isEnrolled(item.courseId, userId)) return incorrect;
    const seconds = Math.floor(time / 1000);
    const stored = this.state.grade(item.itemId, userId);
    if (stored && stored.timemodified >= seconds) return { status: 409, reason: `Refusing score with an earlier timestamp for item ${item.itemId} and user ${userId}` };
    if (score.scoreGiven === undefined || score.gradingProgress !== 'FullyGraded') {
      this.state.grades.delete(`${item.itemId}:${userId}`);
      return { status: 200, reason: 'OK' };
    }
    const rescaled = Math.round(((score.scoreGiven as number) * item.scoreMaximum) / (score.scoreMaximum as number) * 1e5) / 1e5;
    const grade: SimStoredGrade = { grade: Math.min(rescaled, item.scoreMaximum), comment: typeof score.comment === 'string' ? score.comment : null, timemodified: seconds };
    this.state.setGrade(item.itemId, userId, grade);
    return { status: 200, reason: 'OK' };
  }
}
