import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { LtiPlatformSimulator, SCOPES } from '../lti-platform-simulator/lti-platform-simulator';

interface Exchange {
  name: string;
  request: { method: string; path: string; body?: string };
  answer: { statusLine: string; headers: Record<string, string>; body: string };
}
const recorded = JSON.parse(readFileSync(join(__dirname, '../fixtures/moodle-local/lti-ags-recorded.json'), 'utf8')) as { exchanges: Exchange[] };
const answerTo = (name: string) => recorded.exchanges.find((e) => e.name === name)!.answer;

/** One raw HTTP exchange, so a status line Node's own client would refuse (status 0) can be compared too. */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ statusLine: string; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const head = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${body}`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head!.split('\r\n');
      const parsed = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const body = rest.join('\r\n\r\n');
      // Node's server frames its answers in chunks; the recorded Moodle (HTTP/1.0) does not.
      resolve({ statusLine: statusLine!.replace('HTTP/1.1', 'HTTP/1.0'), headers: parsed, body: parsed['transfer-encoding'] === 'chunked' ? unchunk(body) : body });
    });
  });
}

function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/** The simulator answers as the recorded Moodle 5.0.6 did (test/fixtures/moodle-local/lti-ags-recorded.json). */
describe('LTI platform simulator against the recorded Moodle 5.0.6', () => {
  let sim: LtiPlatformSimulator;
  let port: number;
  let token: string;
  const item = () => `/mod/lti/services.php/2/lineitems/3/lineitem`;

  beforeAll(async () => {
    sim = await LtiPlatformSimulator.start();
    port = Number(new URL(sim.baseUrl).port);
    sim.state.enrol(2, 3, 4, 5);
    sim.state.addLineItem(2, 'Speechace speaking test (LTI)', 100);
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    sim.usePublicKey(await exportSPKI(publicKey));
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer(sim.clientId).setSubject(sim.clientId).setAudience(sim.tokenUrl).setIssuedAt(now).setExpirationTime(now + 60).setJti('j1').sign(privateKey);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion, scope: Object.values(SCOPES).slice(1).join(' ') });
    const answer = await raw(port, 'POST', '/mod/lti/token.php', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString());
    expect(answer.statusLine).toBe(answerTo('token').statusLine);
    expect(answer.headers['content-type']).toBe(answerTo('token').headers['content-type']);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(Object.keys(JSON.parse(answerTo('token').body) as object).sort());
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: (JSON.parse(answerTo('token').body) as { scope: string }).scope });
    token = body.access_token as string;
  });
  afterAll(async () => {
    await sim?.close();
  });

  const auth = () => ({ authorization: `Bearer ${token}` });
  const post = (body: string, type = 'application/vnd.ims.lis.v1.score+json') => raw(port, 'POST', `${item()}/scores?type_id=1`, { ...auth(), 'content-type': type }, body);
  const score = (userId: string, extra: Record<string, unknown> = {}) => JSON.stringify({ userId, scoreGiven: 7, scoreMaximum: 9, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date().toISOString(), ...extra });

  it('GET line item', async () => {
    const answer = await raw(port, 'GET', `${item()}?type_id=1`, { ...auth(), accept: 'application/vnd.ims.lis.v2.lineitem+json' });
    const expected = answerTo('GET line item');
    expect(answer.statusLine).toBe(expected.statusLine);
    expect(answer.headers['content-type']).toBe(expected.headers['content-type']);
    expect(JSON.parse(answer.body)).toEqual({ ...(JSON.parse(expected.body) as object), id: `${sim.baseUrl}${item()}?type_id=1` });
  });

  it('POST score, the same again (409), and the result rescaled to the item', async () => {
    const body = score('5', { comment: 'c' });
    const first = await post(body);
    expect([first.statusLine, first.body]).toEqual([answerTo('POST score (7 of 9 on a max-100 item)').statusLine, '']);
    const again = await post(body);
    expect([again.statusLine, again.body]).toEqual([answerTo('the same POST again').statusLine, answerTo('the same POST again').body]);
    const results = await raw(port, 'GET', `${item()}/results?type_id=1&user_id=5`, { ...auth(), accept: 'application/vnd.ims.lis.v2.resultcontainer+json' });
    const expected = (JSON.parse(answerTo('GET results of user 5').body) as Record<string, unknown>[])[0]!;
    const got = (JSON.parse(results.body) as Record<string, unknown>[])[0]!;
    expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
    expect(got.resultScore).toBe(expected.resultScore);
  });

  it('a user not enrolled: 400 with the request in the reason phrase, body []', async () => {
    const body = score('2');
    const answer = await post(body);
    expect(answer.statusLine).toBe(`HTTP/1.0 400 Incorrect score received${body}`);
    expect(answer.body).toBe(answerTo('POST score for user 2 (admin, not enrolled)').body);
  });

  it('a non-numeric userId: status 0 with a coding error', async () => {
    const answer = await post(score('abc'));
    expect(answer.statusLine).toBe(answerTo('POST score for a non-numeric userId').statusLine);
    expect(answer.body).toBe('[]');
  });

  it('another content type: 400 "No handler found"', async () => {
    const answer = await post(score('5'), 'application/json');
    expect(answer.statusLine).toBe(answerTo('POST score as application/json').statusLine);
  });

  it('an unknown token: 401 Unauthorized with the JSON explanation', async () => {
    const answer = await raw(port, 'GET', `${item()}?type_id=1`, { authorization: 'Bearer 0123456789abcdef0123456789abcdef', accept: 'application/vnd.ims.lis.v2.lineitem+json' });
    expect(answer.statusLine).toBe(answerTo('GET line item with an unknown token').statusLine);
    expect(Object.keys(JSON.parse(answer.body) as object)).toEqual(Object.keys(JSON.parse(answerTo('GET line item with an unknown token').body) as object));
  });

  it("the container's Link header, malformed as Moodle writes it", async () => {
    const answer = await raw(port, 'GET', '/mod/lti/services.php/2/lineitems?type_id=1&limit=1', { ...auth(), accept: 'application/vnd.ims.lis.v2.lineitemcontainer+json' });
    expect(answer.headers.link).toBe(answerTo('GET line items of course 2 with limit=1').headers.link!.replaceAll('http://127.0.0.1:8089', sim.baseUrl));
  });
});
