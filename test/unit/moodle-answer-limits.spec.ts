import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../../src/config/app-config';
import { LmsError } from '../../src/lms/moodle/moodle-errors';
import { MoodleClient, MoodleSession } from '../../src/lms/moodle/moodle.client';

/** Every answer is read with a byte limit, as it arrives: over the limit is a permanent failure and the rest is never downloaded. */
describe('Moodle answer limits', () => {
  let server: Server;
  let baseUrl: string;
  let answer: (res: ServerResponse) => void;
  let sent = 0;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    sent = 0;
    requests = 0;
  });

  const session = (config: Partial<AppConfig> = {}, url = baseUrl): MoodleSession =>
    new MoodleClient({ LMS_TIMEOUT_MS: 5000, LMS_MAX_ANSWER_BYTES: 100_000, LMS_MAX_REPORT_BYTES: 1_000_000, LMS_ALLOWED_HOSTS: '', ...config } as AppConfig).session({ baseUrl: url, token: 'tok' });

  /** Streams `head`, then `filler` repeated up to `bytes` in total, then `tail`, honouring back-pressure. */
  function stream(head: string, filler: string, bytes: number, tail: string) {
    return (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let left = bytes;
      const chunk = filler.repeat(Math.ceil(16384 / filler.length));
      const pump = () => {
        if (sent === 0) {
          sent += head.length;
          res.write(head);
        }
        while (left > 0 && !res.destroyed) {
          const piece = chunk.slice(0, Math.min(chunk.length, left));
          left -= piece.length;
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end(tail);
      };
      res.on('error', () => undefined);
      pump();
    };
  }

  async function failure(promise: Promise<unknown>): Promise<LmsError> {
    const error = await promise.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(LmsError);
    return error as LmsError;
  }

  it('refuses a site info answer above 1 MB without reading the rest (a 200 MB answer)', async () => {
    answer = stream('{"sitename":"', ' ', 200 * 1024 * 1024, '"}');
    const error = await failure(session({ LMS_MAX_ANSWER_BYTES: 16 * 1024 * 1024 }).getSiteInfo());
    expect({ kind: error.kind, code: error.code }).toEqual({ kind: 'permanent', code: 'answer_too_large' });
    expect(error.message).toContain('core_webservice_get_site_info answered more than 1048576 bytes');
    expect(error.message.length).toBeLessThan(300);
    expect(sent).toBeLessThan(20 * 1024 * 1024);
  });

  it('refuses an ordinary answer above LMS_MAX_ANSWER_BYTES and records no part of it', async () => {
    answer = stream('[', '{"id":1},', 300_000, '{"id":2}]');
    const lms = session();
    const error = await failure(lms.getUsersByField('id', ['1']));
    expect(error.code).toBe('answer_too_large');
    expect(error.message).toContain('LMS_MAX_ANSWER_BYTES');
    expect(lms.calls[0]!.body).toBe('(an answer larger than 100000 bytes: not kept)');
  });

  it('judges a huge error page by its status (transient 503) after reading only its start', async () => {
    answer = (res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      let left = 50 * 1024 * 1024;
      const chunk = '<p>busy</p>'.repeat(1500);
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          left -= chunk.length;
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      res.on('error', () => undefined);
      pump();
    };
    const error = await failure(session().getUsersByField('id', ['1']));
    expect({ kind: error.kind, code: error.code }).toEqual({ kind: 'transient', code: 'http_503' });
    expect(sent).toBeLessThan(10 * 1024 * 1024);
  });

  it('reads a course-wide report far larger than LMS_MAX_ANSWER_BYTES element by element', async () => {
    const element = JSON.stringify({ userid: 4, gradeitems: [{ id: 1, graderaw: 5 }] });
    answer = stream('{"usergrades":[', `${element},`, 600_000 - (600_000 % (element.length + 1)), `${element}],"warnings":[]}`);
    let count = 0;
    await session().forEachCourseGradeReport(2, () => (count += 1));
    expect(count).toBeGreaterThan(10_000);
  });

  it('refuses a course-wide report above LMS_MAX_REPORT_BYTES', async () => {
    const element = JSON.stringify({ userid: 4, gradeitems: [{ id: 1, graderaw: 5 }] });
    answer = stream('{"usergrades":[', `${element},`, 50_000_000, `${element}]}`);
    const error = await failure(session().forEachCourseGradeReport(2, () => undefined));
    expect(error.code).toBe('answer_too_large');
    expect(error.message).toContain('LMS_MAX_REPORT_BYTES');
    expect(sent).toBeLessThan(10_000_000);
  });

  it('refuses one element of a streamed report above LMS_MAX_ANSWER_BYTES (an element that never closes)', async () => {
    answer = stream('{"usergrades":[{"userid":4,"gradeitems":[{"feedback":"', 'x', 900_000, '"}]}]}');
    const error = await failure(session().forEachCourseGradeReport(2, () => undefined));
    expect(error.code).toBe('answer_too_large');
    expect(error.message).toContain('one element');
  });

  it('cuts off an answer that trickles past the time limit', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"sitename":"');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 50);
      res.on('close', () => clearInterval(timer));
    };
    const started = Date.now();
    const error = await failure(session({ LMS_TIMEOUT_MS: 500 }).getSiteInfo());
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('never calls a base URL with a fragment, a query or user info, or a host outside LMS_ALLOWED_HOSTS', async () => {
    answer = (res) => res.end('{}');
    for (const url of [`${baseUrl}/x#`, `${baseUrl}/x?a=`, baseUrl.replace('//', '//user:pw@')]) {
      const error = await failure(session({}, url).getSiteInfo());
      expect({ url, code: error.code, kind: error.kind }).toEqual({ url, code: 'base_url_refused', kind: 'permanent' });
    }
    const error = await failure(session({ LMS_ALLOWED_HOSTS: 'moodle.example.edu, 127.0.0.2' }).getSiteInfo());
    expect(error.message).toContain('LMS_ALLOWED_HOSTS');
    expect(requests).toBe(0);
    const port = new URL(baseUrl).port;
    await session({ LMS_ALLOWED_HOSTS: `moodle.example.edu,127.0.0.1:${port}` }).getSiteInfo();
    expect(requests).toBe(1);
  });
});
