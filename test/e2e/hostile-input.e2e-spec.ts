import { gzipSync } from 'node:zlib';
import { getQueueToken } from '@nestjs/bull';
import { Queue } from 'bull';
import { loadConfig } from '../../src/config/app-config';
import { RedisThrottlerStorage } from '../../src/intake/rate-limit/redis-throttler.storage';
import { SubmissionEntity } from '../../src/submissions/submission.entity';
import { SYNC_QUEUE } from '../../src/sync/sync.queue';
import { CALLBACK_KEY, GradeSyncContext } from '../support/grade-sync-context';
import { listenOnFreePort, rawRequest } from '../support/raw-http';
import { createTestApp } from '../support/test-app';

const PATH = '/speechace/callback';
const LIMIT = 64 * 1024; // CALLBACK_BODY_LIMIT's default
const TEN_MB = 10 * 1024 * 1024;
const WRONG_KEY = 'not-the-key-0000';
const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

interface Answer {
  status: number;
  body?: unknown;
}
/** An exact status where the contract defines one (400 malformed, 401 key, 404, 413, 415), else any 4xx. */
type Expected = number | '4xx';
interface Case {
  name: string;
  expected: Expected;
  /** Where the same status could come from another check: the reason it must be refused for. */
  message?: RegExp;
  send: () => Promise<Answer>;
}

describe('POST /speechace/callback under hostile input', () => {
  let ctx: GradeSyncContext;
  let port: number;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    await ctx.newMapping();
    port = await listenOnFreePort(ctx.t);
  });
  afterAll(() => ctx.close());

  /** Bytes on a socket: for framing no HTTP client produces, and for binary bodies (superagent JSON-encodes a Buffer). */
  const raw = (head: string[], body: Buffer | string = '', requestLine = `POST ${PATH} HTTP/1.1`) =>
    rawRequest(port, [Buffer.from(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n${head.map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1'), body]);
  /** Text through supertest with a deadline, so a hang fails the case instead of the whole file. */
  const post = (body: string | Buffer, type: string | null, opts: { query?: string; headers?: Record<string, string> } = {}) => {
    const path = `${PATH}${opts.query ? `?${opts.query}` : ''}`;
    if (Buffer.isBuffer(body)) {
      const head = [...(type === null ? [] : [`Content-Type: ${type}`]), ...Object.entries(opts.headers ?? {}).map(([n, v]) => `${n}: ${v}`)];
      return raw([...head, `Content-Length: ${body.length}`], body, `POST ${path} HTTP/1.1`);
    }
    const req = ctx.t.http.post(path).timeout({ response: 15000, deadline: 30000 });
    if (type !== null) req.set('content-type', type);
    for (const [name, value] of Object.entries(opts.headers ?? {})) req.set(name, value);
    return req.send(body);
  };
  const json = (body: string | Buffer, opts: { query?: string; type?: string; headers?: Record<string, string> } = {}) =>
    post(body, opts.type ?? JSON_TYPE, opts);
  const form = (body: string, opts: { query?: string } = {}) => post(body, FORM_TYPE, opts);
  const gzipped = (body: Buffer, encoding = 'gzip') =>
    raw(['Content-Type: application/json', `Content-Encoding: ${encoding}`, `Content-Length: ${body.length}`], body);

  const valid = (overrides: Record<string, unknown> = {}) => ctx.callbackBody(overrides);
  const wrongKey = (overrides: Record<string, unknown> = {}) => ctx.callbackBody({ key: WRONG_KEY, ...overrides });
  const J = (value: unknown) => JSON.stringify(value);
  /** A valid body whose score.overall is the given JSON text, verbatim (tokens JSON.stringify cannot write). */
  const withOverallText = (text: string) => J(valid({ score: { overall: '@@' } })).replace('"@@"', text);
  const validForm = (extra = '', key = CALLBACK_KEY) =>
    `key=${key}&courseId=1234&quizId=456&userId=4&score[overall]=7.2&reportUrl=https%3A%2F%2Fspeak.speechace.co%2Fr%2F${Math.random().toString(16).slice(2)}${extra}`;
  const padTo = (size: number) => {
    const base = J({ ...valid(), pad: '' });
    return base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`);
  };
  const nested = (depth: number, open: string, close: string, inner: string) => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

  const cases: Case[] = [
    // Oversized bodies
    { name: 'a JSON body one byte over the limit', expected: 413, send: () => json(padTo(LIMIT + 1)) },
    { name: 'a 10 MB JSON body', expected: 413, send: () => json(padTo(TEN_MB)) },
    { name: 'a 10 MB form body', expected: 413, send: () => form(`${validForm()}&pad=${'x'.repeat(TEN_MB)}`) },
    { name: 'a 10 MB body of a type we refuse', expected: 413, send: () => post(Buffer.alloc(TEN_MB, 0x41), 'image/png') },
    {
      name: 'a 10 MB chunked body without Content-Length',
      expected: 413,
      send: () => {
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        const framed = Array.from({ length: 10 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
        return raw(['Content-Type: application/json', 'Transfer-Encoding: chunked'], Buffer.concat([...framed, Buffer.from('0\r\n\r\n')]));
      },
    },
    {
      name: 'a gzip bomb (10 MB of zeros, a few KB compressed)',
      expected: 413,
      send: () => gzipped(gzipSync(Buffer.alloc(TEN_MB, 0))),
    },

    // Deep nesting
    { name: 'JSON objects nested 5,000 deep', expected: 400, message: /nested deeper than 4/, send: () => json(nested(5000, '{"a":', '}', '1')) },
    { name: 'JSON arrays nested 10,000 deep', expected: 400, message: /must be a JSON object/, send: () => json(nested(10000, '[', ']', '1')) },
    { name: 'a score nested 5 deep', expected: 400, send: () => json(J(valid({ score: { overall: { a: { b: { c: { d: 1 } } } } } }))) },
    { name: 'form a[b][c][d][e][f]=1', expected: 400, message: /nested deeper than 4/, send: () => form('a[b][c][d][e][f]=1') },
    { name: 'form score[overall][0][0][0][0]=1 with valid fields', expected: 400, send: () => form(validForm().replace('score[overall]=7.2', 'score[overall][0][0][0][0]=1')) },
    {
      name: '1,000 junk form fields before the real ones',
      expected: 400,
      message: /courseId is required/,
      send: () => form(`${Array.from({ length: 1000 }, (_, i) => `x${i}=1`).join('&')}&${validForm()}`),
    },

    // Content types
    {
      name: 'multipart/form-data',
      expected: 415,
      send: () => post(`--b\r\nContent-Disposition: form-data; name="key"\r\n\r\n${CALLBACK_KEY}\r\n--b--\r\n`, 'multipart/form-data; boundary=b'),
    },
    { name: 'application/xml', expected: 415, send: () => post(`<callback><key>${CALLBACK_KEY}</key></callback>`, 'application/xml') },
    { name: 'text/xml', expected: 415, send: () => post('<?xml version="1.0"?><a/>', 'text/xml') },
    {
      name: 'image/png (a PNG header: not UTF-8 either)',
      expected: 415,
      send: () => post(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png'),
    },
    { name: 'a valid JSON body labelled */*', expected: 415, send: () => post(J(valid()), '*/*') },
    { name: 'two content types in one header', expected: 415, send: () => post(J(valid()), `${FORM_TYPE}, ${JSON_TYPE}`) },
    { name: 'no Content-Type, garbage body', expected: 400, send: () => raw(['Content-Length: 9'], '\x01\x02garbage') },
    {
      name: 'no Content-Type, JSON with a wrong key (sniffed, then refused)',
      expected: 401,
      send: () => {
        const body = J(wrongKey());
        return raw([`Content-Length: ${Buffer.byteLength(body)}`], body);
      },
    },
    { name: 'Content-Type with weird parameters', expected: 401, send: () => json(J(wrongKey()), { type: 'application/json;;; ;=;charset="x\\"y"; boundary=' }) },
    { name: 'Content-Type with a 5,000-character parameter', expected: 401, send: () => json(J(wrongKey()), { type: `application/json; x=${'a'.repeat(5000)}` }) },
    { name: 'Content-Type in capitals', expected: 401, send: () => json(J(wrongKey()), { type: 'APPLICATION/JSON; CHARSET=UTF-8' }) },
    {
      name: 'a UTF-16 body labelled charset=utf-16',
      expected: 400,
      message: /NUL character/,
      send: () => json(Buffer.from(J(valid()), 'utf16le'), { type: 'application/json; charset=utf-16' }),
    },

    // Invalid UTF-8 and BOMs
    { name: 'invalid UTF-8 bytes (0xff 0xfe) in a JSON string', expected: 400, message: /not valid UTF-8/, send: () => json(Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])) },
    { name: 'an overlong UTF-8 encoding (0xc0 0xaf)', expected: 400, message: /not valid UTF-8/, send: () => json(Buffer.concat([Buffer.from('{"version":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])) },
    { name: 'a UTF-8-encoded lone surrogate (0xed 0xa0 0x80)', expected: 400, message: /not valid UTF-8/, send: () => json(Buffer.concat([Buffer.from('{"userId":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])) },
    { name: 'a form body with a truncated UTF-8 sequence', expected: 400, message: /not valid UTF-8/, send: () => post(Buffer.concat([Buffer.from(validForm()), Buffer.from([0xe2, 0x82])]), FORM_TYPE) },
    { name: 'a raw NUL byte in a form body with the right key', expected: 400, message: /NUL character/, send: () => form(validForm('&version=1.0\u0000')) },
    { name: 'an escaped NUL (%00) in a form field with the right key', expected: 400, message: /NUL character/, send: () => form(validForm('&version=%00')) },
    { name: 'an escaped NUL (\\u0000) in a JSON field with the right key', expected: 400, message: /NUL character/, send: () => json(J(valid({ version: '1.\u0000' }))) },
    { name: 'a lone surrogate escape in the key', expected: 401, send: () => json(J(valid()).replace(`"${CALLBACK_KEY}"`, '"\\ud800"')) },
    { name: 'a UTF-8 BOM before JSON with a wrong key (BOM tolerated)', expected: 401, send: () => json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(J(wrongKey()))])) },
    { name: 'two UTF-8 BOMs before JSON', expected: 400, message: /not valid JSON/, send: () => json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from(J(valid()))])) },
    { name: 'a UTF-16 BOM', expected: 400, message: /not valid UTF-8/, send: () => json(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(J(valid()))])) },

    // Numbers
    { name: 'score.overall 1e400 (overflows to Infinity)', expected: 400, message: /score.overall must be a number/, send: () => json(withOverallText('1e400')) },
    { name: 'score.overall as a 400-digit integer', expected: 400, send: () => json(withOverallText(`1${'0'.repeat(400)}`)) },
    { name: 'score.overall "1e400" as a string', expected: 400, send: () => json(J(valid({ score: { overall: '1e400' } }))) },
    { name: 'courseId 1e400', expected: 400, send: () => json(J(valid({ courseId: '@@' })).replace('"@@"', '1e400')) },
    { name: 'userId as a 20-digit number (not a safe integer)', expected: 400, send: () => json(J(valid({ userId: '@@' })).replace('"@@"', '12345678901234567890')) },
    { name: 'courseId as a 20-digit string (an id nobody registered)', expected: 404, send: () => json(J(valid({ courseId: '12345678901234567890' }))) },
    { name: 'quizId -1', expected: 400, send: () => json(J(valid({ quizId: -1 }))) },
    { name: 'courseId 1.5', expected: 400, send: () => json(J(valid({ courseId: 1.5 }))) },
    { name: 'score.overall "NaN"', expected: 400, send: () => json(J(valid({ score: { overall: 'NaN' } }))) },
    { name: 'score.overall "Infinity"', expected: 400, send: () => json(J(valid({ score: { overall: 'Infinity' } }))) },
    { name: 'score.overall "-Infinity"', expected: 400, send: () => json(J(valid({ score: { overall: '-Infinity' } }))) },
    { name: 'a bare NaN token', expected: 400, message: /not valid JSON/, send: () => json(withOverallText('NaN')) },
    { name: 'a bare Infinity token', expected: 400, send: () => json(withOverallText('Infinity')) },
    { name: 'a bare -Infinity token', expected: 400, send: () => json(withOverallText('-Infinity')) },
    { name: 'form score[overall]=NaN', expected: 400, send: () => form(validForm().replace('score[overall]=7.2', 'score[overall]=NaN')) },
    { name: 'form score[overall]=Infinity', expected: 400, send: () => form(validForm().replace('score[overall]=7.2', 'score[overall]=Infinity')) },
    { name: 'a negative score', expected: 400, send: () => json(J(valid({ score: { overall: -0.0001 } }))) },
    { name: 'a negative score as a string', expected: 400, send: () => json(J(valid({ score: { overall: '-1' } }))) },
    { name: 'a score over 1,000,000', expected: 400, send: () => json(J(valid({ score: { overall: 1_000_001 } }))) },
    { name: 'a negative component score', expected: 400, send: () => json(J(valid({ score: { overall: 5, fluency: -5 } }))) },
    { name: 'a score with trailing junk', expected: 400, send: () => json(J(valid({ score: { overall: '7.2abc' } }))) },
    { name: 'a hexadecimal score', expected: 400, send: () => json(J(valid({ score: { overall: '0x10' } }))) },

    // Very long values
    { name: 'a 10,000-character courseId', expected: 400, send: () => json(J(valid({ courseId: '1'.repeat(10000) }))) },
    { name: 'a 10,000-character quizId', expected: 400, send: () => json(J(valid({ quizId: 'q'.repeat(10000) }))) },
    { name: 'a 10,000-character userId', expected: 400, send: () => json(J(valid({ userId: 'u'.repeat(10000) }))) },
    { name: 'a 10,000-character key', expected: 400, send: () => json(J(valid({ key: 'k'.repeat(10000) }))) },
    { name: 'a 10,000-character reportUrl', expected: 400, send: () => json(J(valid({ reportUrl: `https://speak.speechace.co/${'r'.repeat(10000)}` }))) },

    // Prototype pollution
    { name: 'a JSON __proto__ key', expected: 400, message: /field named \\"__proto__/, send: () => json(J(valid()).replace(/^\{/, '{"__proto__":{"polluted":"yes"},')) },
    { name: 'a JSON __proto__ key inside score', expected: 400, message: /field named \\"__proto__/, send: () => json(J(valid()).replace('"score":{', '"score":{"__proto__":{"polluted":"yes"},')) },
    { name: 'a JSON constructor.prototype key', expected: 400, message: /field named \\"constructor/, send: () => json(J({ ...valid(), constructor: { prototype: { polluted: 'yes' } } })) },
    { name: 'a JSON prototype key', expected: 400, message: /field named \\"prototype/, send: () => json(J({ ...valid(), prototype: { polluted: 'yes' } })) },
    { name: 'form __proto__[polluted]=yes alone', expected: 400, send: () => form('__proto__[polluted]=yes') },
    { name: 'form constructor[prototype][polluted]=yes alone', expected: 400, send: () => form('constructor[prototype][polluted]=yes') },
    { name: 'form __proto__[polluted]=yes beside a wrong key (dropped, then refused)', expected: 401, send: () => form(validForm('&__proto__[polluted]=yes', WRONG_KEY)) },
    { name: 'form constructor[prototype][polluted]=yes beside valid fields', expected: 400, message: /field named \\"constructor/, send: () => form(validForm('&constructor[prototype][polluted]=yes')) },
    { name: 'form score[__proto__][overall]=5', expected: 400, send: () => form(validForm().replace('score[overall]=7.2', 'score[__proto__][overall]=5')) },
    { name: 'query __proto__[polluted]=yes', expected: 401, send: () => json(J(wrongKey()), { query: '__proto__[polluted]=yes&__proto__=x&constructor=y' }) },

    // Wrong shapes
    { name: 'a top-level array', expected: 400, send: () => json(J([valid()])) },
    { name: 'score as an array', expected: 400, send: () => json(J(valid({ score: [7.2] }))) },
    { name: 'courseId as an array', expected: 400, send: () => json(J(valid({ courseId: [1234] }))) },
    { name: 'key as an object', expected: 400, send: () => json(J(valid({ key: { $ne: '' } }))) },
    { name: 'a null body', expected: 400, send: () => json('null') },
    { name: 'a JSON string', expected: 400, send: () => json('"x"') },
    { name: 'a JSON number', expected: 400, send: () => json('42') },
    { name: 'a JSON true', expected: 400, send: () => json('true') },
    { name: 'an empty body', expected: 400, send: () => json('') },
    { name: 'a whitespace body', expected: 400, send: () => json(' \r\n\t ') },
    { name: 'an empty object', expected: 400, send: () => json('{}') },
    { name: 'truncated JSON', expected: 400, send: () => json(J(valid()).slice(0, 40)) },

    // Duplicated keys
    { name: 'a duplicated JSON key (the last, wrong, key wins)', expected: 401, send: () => json(J(valid()).replace(/\}$/, `,"key":"${WRONG_KEY}"}`)) },
    { name: 'a duplicated JSON score, the second not an object', expected: 400, send: () => json(J(valid()).replace(/\}$/, ',"score":"x"}')) },
    { name: 'a duplicated form courseId', expected: 400, send: () => form(validForm('&courseId=1234')) },
    { name: 'a duplicated form key', expected: 400, send: () => form(validForm(`&key=${CALLBACK_KEY}`)) },

    // Headers and framing
    { name: 'a 16 KB header', expected: '4xx', send: () => raw([`X-Padding: ${'a'.repeat(16 * 1024)}`, 'Content-Type: application/json', 'Content-Length: 2'], '{}') },
    {
      name: 'both Content-Length and Transfer-Encoding (request smuggling)',
      expected: 400,
      send: () => raw(['Content-Type: application/json', 'Content-Length: 4', 'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n'),
    },
    { name: 'two different Content-Length headers', expected: 400, send: () => raw(['Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 3'], '{}') },
    { name: 'a non-numeric Content-Length', expected: 400, send: () => raw(['Content-Type: application/json', 'Content-Length: abc'], '{}') },
    { name: 'a negative Content-Length', expected: 400, send: () => raw(['Content-Type: application/json', 'Content-Length: -2'], '{}') },
    { name: 'an invalid chunk size', expected: 400, send: () => raw(['Content-Type: application/json', 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n') },
    { name: 'a header name with a space', expected: 400, send: () => raw(['Bad Header: x', 'Content-Length: 2'], '{}') },
    { name: 'no Host header', expected: 400, send: () => rawRequest(port, `POST ${PATH} HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`) },
    { name: 'a garbage request line', expected: 400, send: () => raw(['Content-Length: 2'], '{}', `POST ${PATH} HTTP/9.9 extra`) },
    { name: 'Content-Encoding gzip with garbage', expected: 400, send: () => gzipped(Buffer.from('this is not gzip')) },
    { name: 'Content-Encoding deflate with garbage', expected: 400, send: () => gzipped(Buffer.from('nor deflate'), 'deflate') },
    { name: 'Content-Encoding br with garbage', expected: 400, send: () => gzipped(Buffer.from('nor brotli'), 'br') },
    { name: 'gzip cut off half-way', expected: 400, send: () => gzipped(gzipSync(Buffer.from(J(valid()))).subarray(0, 20)) },
    { name: 'an unknown Content-Encoding', expected: 415, send: () => gzipped(Buffer.from(J(valid())), 'x-compress-9000') },
    { name: 'valid gzip of JSON with a wrong key (inflated, then refused)', expected: 401, send: () => gzipped(gzipSync(Buffer.from(J(wrongKey())))) },
    { name: 'a garbage X-Forwarded-For', expected: 401, send: () => json(J(wrongKey()), { headers: { 'x-forwarded-for': 'not-an-ip, <script>, ::::' } }) },

    // Query strings
    { name: 'a repeated userid', expected: 400, message: /query parameter userid must be/, send: () => json(J(valid()), { query: 'userid=4&userid=5' }) },
    { name: 'userid[]=4 (not read as userid; body has no userId)', expected: 400, message: /userId is required/, send: () => json(J(valid({ userId: undefined })), { query: 'userid[]=4' }) },
    { name: 'a 10,000-character userid', expected: 400, send: () => json(J(valid()), { query: `userid=${'4'.repeat(10000)}` }) },
    { name: 'a 10,000-character courseid', expected: 400, send: () => json(J(valid()), { query: `courseid=${'2'.repeat(10000)}` }) },
    { name: 'a userid with an escaped NUL', expected: 400, send: () => json(J(valid()), { query: 'userid=4%00' }) },
    { name: 'a userid with broken percent-escapes', expected: 400, send: () => json(J(valid()), { query: 'userid=%ZZ%E0%A4%A' }) },
    { name: 'a repeated testid', expected: 400, send: () => json(J(valid()), { query: 'testid=3&testid=3' }) },
    { name: 'a malformed signed-URL mid and sig', expected: 400, send: () => json(J(valid()), { query: 'userid=4&mid=../../etc&sig=%00' }) },
    { name: '1,200 query parameters', expected: 401, send: () => json(J(wrongKey()), { query: Array.from({ length: 1200 }, (_, i) => `p${i}=1`).join('&') }) },

    // Methods
    { name: 'GET on the callback', expected: 404, send: () => ctx.t.http.get(PATH).timeout({ response: 15000 }) },
    { name: 'PUT on the callback', expected: 404, send: () => ctx.t.http.put(PATH).set('content-type', JSON_TYPE).send(J(valid())).timeout({ response: 15000 }) },
  ];

  it('has a corpus of at least 60 hostile requests', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('answers %s with a 4xx', async (_name, c) => {
    const res = await c.send();
    // Status and body in one string, so a failure shows what the service said.
    const answer = `${res.status} ${JSON.stringify(res.body)}`.slice(0, 400);
    expect(answer).toMatch(c.expected === '4xx' ? /^4\d\d / : new RegExp(`^${c.expected} `));
    if (c.message) expect(answer).toMatch(c.message);
  });

  it('stored none of them and left Object.prototype alone', async () => {
    expect(await ctx.t.db.getRepository(SubmissionEntity).count()).toBe(0);
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it('is still up afterwards: a valid callback is accepted and ends synced', async () => {
    await ctx.t.http.get('/health/ready').expect(200);
    const sync = await ctx.deliver(ctx.callbackBody());
    expect(sync.state).toBe('synced');
  });
});

describe('POST /speechace/callback rate limit', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ CALLBACK_RATE_LIMIT_PER_MIN: '5' });
  });
  afterAll(() => ctx.close());

  const from = (address: string) => ctx.postCallback(ctx.callbackBody({ courseId: 'nobody' })).set('x-forwarded-for', address);

  it('answers 429 with a JSON message and Retry-After once one address sends more than the limit in a minute', async () => {
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.7')).status).toBe(404);
    const limited = await from('203.0.113.7');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/application\/json/);
    expect(limited.body.message).toMatch(/Too many callbacks from 203\.0\.113\.7: at most 5 per minute/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('counts each source address on its own', async () => {
    expect((await from('203.0.113.8')).status).toBe(404);
  });

  it('keeps its counts in Redis under the queue prefix', async () => {
    const redis = ctx.t.app.get<Queue>(getQueueToken(SYNC_QUEUE)).client;
    const keys = await redis.keys(`${ctx.t.config.QUEUE_PREFIX}:throttle:*`);
    expect(keys.length).toBeGreaterThanOrEqual(2);
  });

  it('shares the count between API processes on one Redis', async () => {
    const second = await createTestApp({ ROLE: 'api', QUEUE_PREFIX: ctx.t.config.QUEUE_PREFIX, CALLBACK_RATE_LIMIT_PER_MIN: '5' });
    try {
      for (let i = 0; i < 3; i++) expect((await from('203.0.113.9')).status).toBe(404);
      const there = () => second.http.post('/speechace/callback').set('content-type', 'application/json').set('x-forwarded-for', '203.0.113.9');
      expect((await there().send(JSON.stringify(ctx.callbackBody({ courseId: 'nobody' })))).status).toBe(404);
      expect((await there().send(JSON.stringify(ctx.callbackBody({ courseId: 'nobody' })))).status).toBe(404);
      expect((await there().send(JSON.stringify(ctx.callbackBody({ courseId: 'nobody' })))).status).toBe(429);
    } finally {
      await second.close();
    }
  });

  it('keeps limiting, per process, while Redis cannot be reached', async () => {
    const unreachable = loadConfig({ ADMIN_API_TOKEN: ctx.t.config.ADMIN_API_TOKEN, ENCRYPTION_KEY: ctx.t.config.ENCRYPTION_KEY, SIGNING_KEY: ctx.t.config.SIGNING_KEY, REDIS_URL: 'redis://127.0.0.1:1' });
    const storage = new RedisThrottlerStorage(unreachable);
    await storage.onModuleInit();
    try {
      const hits = [];
      for (let i = 0; i < 6; i++) hits.push(await storage.increment('offline-key', 60_000, 5, 60_000, 'default'));
      expect(hits.map((h) => h.isBlocked)).toEqual([false, false, false, false, false, true]);
    } finally {
      storage.onApplicationShutdown();
    }
  });

  it('limits only the callback: admin, health and metrics answer however often they are called', async () => {
    for (let i = 0; i < 8; i++) {
      await ctx.t.http.get('/health/live').set('x-forwarded-for', '203.0.113.7').expect(200);
      await ctx.t.http.get('/metrics').set('x-forwarded-for', '203.0.113.7').expect(200);
      await ctx.admin('get', '/api/v1/assessments').set('x-forwarded-for', '203.0.113.7').expect(200);
    }
  });
});
