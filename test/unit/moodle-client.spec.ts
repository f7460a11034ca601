import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../../src/config/app-config';
import { LmsError } from '../../src/lms/moodle/moodle-errors';
import { MoodleClient, MoodleSession } from '../../src/lms/moodle/moodle.client';
import { RecordedCall, recordedMoodleCalls } from '../support/spec-fixtures';

/* ------------------------------------------------------------------------------------------------
 * Recorded Moodle 5.0.6 calls (shared spec fixtures): bodies are picked by their `case` names.
 * --------------------------------------------------------------------------------------------- */


const RECORDED: RecordedCall[] = recordedMoodleCalls();

/** The one recorded call with exactly this `case` name. */
function recorded(caseName: string): RecordedCall {
  const found = RECORDED.filter((c) => c.case === caseName);
  if (found.length !== 1) throw new Error(`expected exactly one recorded call named "${caseName}", found ${found.length}`);
  return found[0]!;
}

function parsedBody(call: RecordedCall): unknown {
  return JSON.parse(call.body) as unknown;
}

function moodleErrorCode(call: RecordedCall): string | null {
  try {
    const body = parsedBody(call) as { errorcode?: unknown; exception?: unknown } | null;
    return body && typeof body === 'object' && typeof body.errorcode === 'string' && 'exception' in body ? body.errorcode : null;
  } catch {
    return null;
  }
}

/** The spec's table of Moodle error codes and whether a retry may help. */
const EXPECTED_KIND: Record<string, 'transient' | 'permanent'> = {
  invalidtoken: 'permanent',
  accessexception: 'permanent',
  invalidparameter: 'permanent',
  invalidcoursemodule: 'permanent',
  invalidrecordunknown: 'permanent',
  nopermissions: 'permanent',
  wsaccessusersuspended: 'permanent',
  dmlwriteexception: 'transient',
  sitemaintenance: 'transient',
};

const RECORDED_ERRORS = RECORDED.filter((c) => moodleErrorCode(c) !== null);

/** Bodies the spec prints but the recording does not contain (verbatim from moodle-grades-api.md, or Moodle's own wording). */
const SPEC_ONLY_ERRORS: { code: string; body: string }[] = [
  {
    code: 'invalidcoursemodule',
    body: '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"invalidcoursemodule","message":"Invalid course module ID"}',
  },
  {
    code: 'sitemaintenance',
    body: '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"sitemaintenance","message":"The site is undergoing maintenance and is currently not available"}',
  },
];

/* ------------------------------------------------------------------------------------------------
 * A tiny Moodle stand-in: answers whatever the test queued and records what it received.
 * --------------------------------------------------------------------------------------------- */

type Reply =
  | { kind: 'answer'; status: number; contentType: string | null; body: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'hang-after-headers' }
  | { kind: 'destroy' };

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  form: URLSearchParams;
}

class FakeMoodle {
  readonly received: ReceivedRequest[] = [];
  baseUrl = '';
  private queue: Reply[] = [];
  private readonly held = new Set<ServerResponse>();
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  async start(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.reset();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  reset(): void {
    this.queue = [];
    this.received.length = 0;
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  answer(status: number, contentType: string | null, body: string, headers?: Record<string, string>): void {
    this.queue.push({ kind: 'answer', status, contentType, body, headers });
  }

  json(body: string): void {
    this.answer(200, 'application/json', body);
  }

  replay(call: RecordedCall): void {
    this.answer(call.httpStatus, call.contentType, call.body);
  }

  hang(): void {
    this.queue.push({ kind: 'hang' });
  }

  hangAfterHeaders(): void {
    this.queue.push({ kind: 'hang-after-headers' });
  }

  destroySocket(): void {
    this.queue.push({ kind: 'destroy' });
  }

  /** The single request received (fails when there were more or fewer). */
  only(): ReceivedRequest {
    expect(this.received).toHaveLength(1);
    return this.received[0]!;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, form: new URLSearchParams(rawBody) });
      const reply = this.queue.shift() ?? { kind: 'answer', status: 599, contentType: 'text/plain', body: 'the test queued no answer' };
      switch (reply.kind) {
        case 'hang':
          this.held.add(res);
          return;
        case 'hang-after-headers':
          this.held.add(res);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"usergrades":');
          return;
        case 'destroy':
          req.socket.destroy();
          return;
        case 'answer': {
          const headers: Record<string, string> = { ...(reply.headers ?? {}) };
          if (reply.contentType !== null) headers['content-type'] = reply.contentType;
          res.writeHead(reply.status, headers);
          res.end(reply.body);
        }
      }
    });
  }
}

const TOKEN = 'secret-token';
const TIMEOUT_MS = 300;
const moodle = new FakeMoodle();

function newSession(baseUrl = moodle.baseUrl): MoodleSession {
  return new MoodleClient({ LMS_TIMEOUT_MS: TIMEOUT_MS } as AppConfig).session({ baseUrl, token: TOKEN });
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<LmsError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(LmsError);
  return outcome.error as LmsError;
}

/** Sends the call the recording was made with, through the typed method when there is one. */
function invokeLike(session: MoodleSession, call: RecordedCall): Promise<unknown> {
  switch (call.wsfunction) {
    case 'mod_assign_save_grades':
      return session.saveAssignGrades(2, [{ userId: 4, grade: 55, feedbackHtml: '<p>x</p>' }]);
    case 'core_grades_update_grades':
      return session.updateActivityGrades({ courseId: 2, component: 'mod_assign', cmid: 2, itemNumber: 0, grades: [{ studentId: 4, grade: 55 }] });
    case 'core_webservice_get_site_info':
      return session.getSiteInfo();
    case 'gradereport_user_get_grade_items':
      return session.getUserGradeItems(2, 4);
    case 'mod_assign_get_assignments':
      return session.getAssignments([2]);
    default:
      return session.call(call.wsfunction, Object.fromEntries(call.params.filter(([k]) => k !== 'wsfunction' && k !== 'moodlewsrestformat')));
  }
}

beforeAll(() => moodle.start());
afterAll(() => moodle.stop());
afterEach(() => moodle.reset());

describe('the recorded fixture file', () => {
  it('holds the 68 recorded calls the tests below draw from', () => {
    expect(RECORDED).toHaveLength(68);
  });

  it('contains a recorded error body for every permanent code of the spec except invalidcoursemodule', () => {
    const codes = new Set(RECORDED_ERRORS.map(moodleErrorCode));
    for (const code of ['invalidtoken', 'accessexception', 'invalidparameter', 'invalidrecordunknown', 'nopermissions', 'wsaccessusersuspended', 'dmlwriteexception']) {
      expect(codes).toContain(code);
    }
  });
});

describe('MoodleSession request encoding', () => {
  it('POSTs a urlencoded form to {baseUrl}/webservice/rest/server.php with token, function and JSON format in the body', async () => {
    const session = newSession();
    moodle.replay(recorded('4.2a wsthrowaway token (user active): core_webservice_get_site_info'));
    await session.getSiteInfo();

    const req = moodle.only();
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/webservice/rest/server.php');
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/);
    expect(req.form.get('wstoken')).toBe(TOKEN);
    expect(req.form.get('wsfunction')).toBe('core_webservice_get_site_info');
    expect(req.form.get('moodlewsrestformat')).toBe('json');
  });

  it('keeps the token out of the URL', async () => {
    const session = newSession();
    moodle.json('{}');
    await session.call('core_webservice_get_site_info');
    expect(moodle.only().url).not.toContain(TOKEN);
  });

  it('appends the endpoint to a base URL with a sub-path and trailing slashes', async () => {
    const session = newSession(`${moodle.baseUrl}/moodle//`);
    moodle.json('{}');
    await session.call('core_webservice_get_site_info');
    expect(moodle.only().url).toBe('/moodle/webservice/rest/server.php');
  });

  it('sends mod_assign_save_grades exactly like the recorded batch call (PHP nesting, attemptnumber -1, addattempt 0, empty workflowstate, feedback text and format 1)', async () => {
    const call = recorded('1.10 mod_assign_save_grades batch of 2 (users 4,5) assignment 2');
    const session = newSession();
    moodle.replay(call);
    await session.saveAssignGrades(2, [
      { userId: 4, grade: 82.5, feedbackHtml: 'Overall 7.0 (batch)' },
      { userId: 5, grade: 66, feedbackHtml: 'Overall 6.0 (batch)' },
    ]);

    const sent = [...moodle.only().form.entries()];
    expect(sent[0]).toEqual(['wstoken', TOKEN]);
    expect(sent.slice(1)).toEqual(call.params);
  });

  it('sends the workflowstate field even though it is empty (Moodle rejects the call without it)', async () => {
    const session = newSession();
    moodle.json('null');
    await session.saveAssignGrades(1, [{ userId: 4, grade: 81.25, feedbackHtml: '' }]);
    const form = moodle.only().form;
    expect(form.has('grades[0][workflowstate]')).toBe(true);
    expect(form.get('grades[0][workflowstate]')).toBe('');
    expect(form.get('grades[0][plugindata][assignfeedbackcomments_editor][text]')).toBe('');
    expect(form.get('grades[0][plugindata][assignfeedbackcomments_editor][format]')).toBe('1');
  });

  it('sends core_grades_update_grades exactly like the recorded two-student call', async () => {
    const call = recorded('2.d1 core_grades_update_grades item 2: user 4 -> 60 (mod_assign holds 81.25), user 5 -> 88 (mod_assign holds nothing)');
    const session = newSession();
    moodle.replay(call);
    await session.updateActivityGrades({
      courseId: 2,
      component: 'mod_assign',
      cmid: 2,
      itemNumber: 0,
      grades: [
        { studentId: 4, grade: 60 },
        { studentId: 5, grade: 88 },
      ],
    });
    const sent = [...moodle.only().form.entries()];
    expect(sent[0]).toEqual(['wstoken', TOKEN]);
    expect(sent.slice(1)).toEqual(call.params);
  });

  it('sends gradereport_user_get_grade_items and mod_assign_get_assignments exactly like the recorded reads', async () => {
    const report = recorded('1.2 read back: gradereport_user_get_grade_items course 2 user 4');
    const assignments = recorded('1.8 mod_assign_get_assignments courseids[0]=2 includenotenrolledcourses=1');
    const session = newSession();
    moodle.replay(report);
    moodle.replay(assignments);
    await session.getUserGradeItems(2, 4);
    await session.getAssignments([2]);
    expect([...moodle.received[0]!.form.entries()].slice(1)).toEqual(report.params);
    expect([...moodle.received[1]!.form.entries()].slice(1)).toEqual(assignments.params);
  });

  it('sends core_user_get_users_by_field values and core_enrol_get_enrolled_users options with PHP nesting', async () => {
    const session = newSession();
    moodle.json('[{"id":4,"username":"s1"}]');
    moodle.json('[{"id":4},{"id":"5"}]');
    await expect(session.getUsersByField('idnumber', ['S0001', 'S0002'])).resolves.toEqual([{ id: 4, username: 's1' }]);
    await expect(session.getEnrolledUserIds(2)).resolves.toEqual([4, 5]);

    expect([...moodle.received[0]!.form.entries()].slice(1)).toEqual([
      ['wsfunction', 'core_user_get_users_by_field'],
      ['moodlewsrestformat', 'json'],
      ['field', 'idnumber'],
      ['values[0]', 'S0001'],
      ['values[1]', 'S0002'],
    ]);
    expect([...moodle.received[1]!.form.entries()].slice(1)).toEqual([
      ['wsfunction', 'core_enrol_get_enrolled_users'],
      ['moodlewsrestformat', 'json'],
      ['courseid', '2'],
      ['options[0][name]', 'onlyactive'],
      ['options[0][value]', '1'],
      ['options[1][name]', 'userfields'],
      ['options[1][value]', 'id'],
    ]);
  });

  it.each([
    [77.5, '77.5'],
    [81.25, '81.25'],
    [0.00001, '0.00001'],
    [1e-7, '0'],
    [0.1 + 0.2, '0.3'],
    [66.666666666, '66.66667'],
    [100, '100'],
    [-5, '-5'],
  ])('writes the grade %p as %p (dot decimal, never exponent notation)', async (grade, expected) => {
    const session = newSession();
    moodle.json('0');
    await session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 7, itemNumber: 0, grades: [{ studentId: 4, grade }] });
    const sent = moodle.only().form.get('grades[0][grade]');
    expect(sent).toBe(expected);
    expect(sent).not.toMatch(/[eE,]/);
  });

  it('writes assignment grades with a dot decimal and no exponent either', async () => {
    const session = newSession();
    moodle.json('null');
    await session.saveAssignGrades(1, [
      { userId: 4, grade: 0.00001, feedbackHtml: '' },
      { userId: 5, grade: 1e-7, feedbackHtml: '' },
    ]);
    const form = moodle.only().form;
    expect(form.get('grades[0][grade]')).toBe('0.00001');
    expect(form.get('grades[1][grade]')).toBe('0');
  });

  it('refuses to send a grade that is not a finite number, without calling Moodle', async () => {
    const session = newSession();
    await expect(
      session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 7, itemNumber: 0, grades: [{ studentId: 4, grade: Number.NaN }] }),
    ).rejects.toThrow(RangeError);
    expect(moodle.received).toHaveLength(0);
  });
});

describe('mod_assign_save_grades answers', () => {
  const nullAnswers = RECORDED.filter((c) => c.wsfunction === 'mod_assign_save_grades' && c.body === 'null');

  it('has recorded null answers to replay', () => {
    expect(nullAnswers.length).toBeGreaterThanOrEqual(10);
  });

  it.each(nullAnswers.map((c) => [c.case, c] as const))('accepts the recorded `null` answer of "%s"', async (_name, call) => {
    const session = newSession();
    moodle.replay(call);
    await expect(session.saveAssignGrades(2, [{ userId: 4, grade: 55, feedbackHtml: '<p>ok</p>' }])).resolves.toBeUndefined();
    expect(session.calls).toHaveLength(1);
    expect(session.calls[0]).toMatchObject({ function: 'mod_assign_save_grades', httpStatus: 200, body: 'null', error: null });
  });

  it('accepts the recorded `null` answer of the singular mod_assign_save_grade', async () => {
    const session = newSession();
    moodle.replay(recorded('1.9 mod_assign_save_grade (singular) assignment 2 user 5'));
    await expect(session.call('mod_assign_save_grade', { assignmentid: 2, userid: 5, grade: 64.5 })).resolves.toBeNull();
  });
});

describe('core_grades_update_grades answers', () => {
  const byBody = (body: string) => RECORDED.filter((c) => c.wsfunction === 'core_grades_update_grades' && c.body === body);

  it.each([
    ['0', 0],
    ['1', 1],
    ['4', 4],
  ])('returns %s for every recorded bare-integer answer %s', async (body, expected) => {
    const calls = byBody(body);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const session = newSession();
      moodle.replay(call);
      await expect(
        session.updateActivityGrades({ courseId: 2, component: 'mod_assign', cmid: 2, itemNumber: 0, grades: [{ studentId: 4, grade: 55 }] }),
      ).resolves.toBe(expected);
    }
  });

  it('returns 2 (MULTIPLE) for the answer 2, which the recording does not contain', async () => {
    expect(byBody('2')).toHaveLength(0);
    const session = newSession();
    moodle.json('2');
    await expect(session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 7, itemNumber: 0, grades: [{ studentId: 4, grade: 55 }] })).resolves.toBe(2);
  });

  it.each([
    ['7', 'an undocumented integer'],
    ['3', 'an undocumented integer between the known ones'],
    ['"0"', 'a JSON string'],
    ['null', 'null'],
    ['{}', 'an object'],
    ['[0]', 'an array'],
  ])('rejects the answer %s (%s) as an invalid response', async (body) => {
    const session = newSession();
    moodle.json(body);
    const error = await failure(
      session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 7, itemNumber: 0, grades: [{ studentId: 4, grade: 55 }] }),
    );
    expect(error.code).toBe('invalid_response');
  });
});

describe('Moodle errors sent with HTTP 200', () => {
  it.each(RECORDED_ERRORS.map((c) => [c.case, moodleErrorCode(c)!, c] as const))(
    'turns the recorded answer of "%s" into LmsError %s of the right kind',
    async (_name, code, call) => {
      expect(Object.keys(EXPECTED_KIND)).toContain(code);
      const session = newSession();
      moodle.replay(call);
      const error = await failure(invokeLike(session, call));
      expect(error.code).toBe(code);
      expect(error.kind).toBe(EXPECTED_KIND[code]);
      expect(error.message).toContain(code);
      expect(session.calls[0]).toMatchObject({ httpStatus: 200, body: call.body, error: expect.stringContaining(code) });
    },
  );

  it.each(SPEC_ONLY_ERRORS.map((e) => [e.code, e] as const))('turns the spec-documented %s body into an LmsError of the right kind', async (code, { body }) => {
    const session = newSession();
    moodle.json(body);
    const error = await failure(session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 999, itemNumber: 0, grades: [{ studentId: 4, grade: 1 }] }));
    expect(error.code).toBe(code);
    expect(error.kind).toBe(EXPECTED_KIND[code]);
  });

  it('classifies accessexception answers that carry debuginfo the same way', async () => {
    const withDebug = RECORDED_ERRORS.filter((c) => (parsedBody(c) as { debuginfo?: string }).debuginfo !== undefined);
    expect(withDebug.length).toBeGreaterThanOrEqual(6);
    for (const call of withDebug) {
      const session = newSession();
      moodle.replay(call);
      const error = await failure(invokeLike(session, call));
      expect(error.code).toBe(moodleErrorCode(call));
      expect(error.kind).toBe('permanent');
    }
  });

  it('matches on errorcode, not on the message', async () => {
    const session = newSession();
    moodle.json('{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"invalidtoken","message":"Site is under maintenance"}');
    const error = await failure(session.getSiteInfo());
    expect(error.code).toBe('invalidtoken');
    expect(error.kind).toBe('permanent');
  });

  it('treats an unknown errorcode as permanent', async () => {
    const session = newSession();
    moodle.json('{"exception":"moodle_exception","errorcode":"somethingnew","message":"?"}');
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ code: 'somethingnew', kind: 'permanent' });
  });
});

describe('read answers', () => {
  it('parses the "No access rights" warning answer of mod_assign_get_grades without throwing', async () => {
    const call = recorded('1.0b mod_assign_get_grades without mod/assign:viewgrades / grade');
    const session = newSession();
    moodle.replay(call);
    const answer = await session.call<{ assignments: unknown[]; warnings: { warningcode: string; message: string }[] }>('mod_assign_get_grades', { assignmentids: [1] });
    expect(answer.assignments).toEqual([]);
    expect(answer.warnings).toEqual([expect.objectContaining({ warningcode: '1', message: 'No access rights in module context' })]);
  });

  it('parses a recorded mod_assign_get_grades answer with grades as 5-decimal strings', async () => {
    const session = newSession();
    moodle.replay(recorded('1.3 read back: mod_assign_get_grades assignment 1'));
    const answer = await session.call<{ assignments: { assignmentid: number; grades: { userid: number; grade: string }[] }[] }>('mod_assign_get_grades', { assignmentids: [1] });
    expect(answer.assignments[0]!.assignmentid).toBe(1);
    expect(answer.assignments[0]!.grades[0]).toMatchObject({ userid: 4, grade: expect.stringMatching(/^-?\d+\.\d{5}$/) });
  });

  it('getAssignGrades maps each student to the grade of the recorded answer, and "-1.00000" (touched, not graded) to null', async () => {
    const session = newSession();
    moodle.replay(recorded('1.11 read back mod_assign_get_grades assignment 2'));
    expect(await session.getAssignGrades(2)).toEqual(new Map([[4, 82.5], [5, 66]]));
    moodle.replay(recorded('2.b6 mod_assign_get_grades 1,2'));
    expect(await session.getAssignGrades(1)).toEqual(new Map([[4, 81.25], [5, null]]));
  });

  it('getAssignGrades answers null when Moodle withholds the grades (warning 1, no right to view them)', async () => {
    const session = newSession();
    moodle.replay(recorded('1.0b mod_assign_get_grades without mod/assign:viewgrades / grade'));
    expect(await session.getAssignGrades(1)).toBeNull();
  });

  const gradeReports = RECORDED.filter((c) => c.wsfunction === 'gradereport_user_get_grade_items');

  it.each(gradeReports.map((c) => [c.case, c] as const))('getUserGradeItems returns the items of "%s" with raw grade, locks, override and range', async (_name, call) => {
    const userId = Number(call.params.find(([k]) => k === 'userid')![1]);
    const courseId = Number(call.params.find(([k]) => k === 'courseid')![1]);
    const expected = (parsedBody(call) as { usergrades: { userid: number; gradeitems: Record<string, unknown>[] }[] }).usergrades.find((u) => u.userid === userId)!;
    const session = newSession();
    moodle.replay(call);

    const grades = await session.getUserGradeItems(courseId, userId);

    expect(grades.userid).toBe(userId);
    expect(grades.gradeitems).toHaveLength(expected.gradeitems.length);
    grades.gradeitems.forEach((item, i) => {
      const want = expected.gradeitems[i]!;
      expect(item).toMatchObject({
        id: want.id,
        graderaw: want.graderaw,
        locked: want.locked,
        gradeislocked: want.gradeislocked,
        gradeisoverridden: want.gradeisoverridden,
        grademin: want.grademin,
        grademax: want.grademax,
      });
    });
  });

  it('reports the states the recording captured: a locked item, a locked grade, an override and an empty grade', async () => {
    const item = async (caseName: string, userId: number, cmid: number) => {
      const session = newSession();
      moodle.replay(recorded(caseName));
      const grades = await session.getUserGradeItems(2, userId);
      return grades.gradeitems.find((g) => g.cmid === cmid)!;
    };
    expect(await item('1.2 read back: gradereport_user_get_grade_items course 2 user 4', 4, 2)).toMatchObject({ graderaw: 81.25, locked: false, grademin: 0, grademax: 100 });
    expect(await item('1.2 read back: gradereport_user_get_grade_items course 2 user 4', 4, 3)).toMatchObject({ graderaw: null });
    expect(await item('2.a5 gradereport_user_get_grade_items user 4 (items locked)', 4, 3)).toMatchObject({ locked: true, gradeislocked: true, graderaw: 83 });
    expect(await item('2.b5 gradereport_user_get_grade_items user 5', 5, 2)).toMatchObject({ gradeisoverridden: true, graderaw: 90 });
    expect(await item('2.c4 gradereport_user_get_grade_items user 4', 4, 2)).toMatchObject({ locked: false, gradeislocked: true });
  });

  it('rejects a grade report that does not contain the requested user', async () => {
    const session = newSession();
    moodle.replay(recorded('1.2 read back: gradereport_user_get_grade_items course 2 user 4'));
    const error = await failure(session.getUserGradeItems(2, 5));
    expect(error.code).toBe('invalid_response');
  });

  it.each(RECORDED.filter((c) => c.wsfunction === 'core_webservice_get_site_info' && moodleErrorCode(c) === null).map((c) => [c.case, c] as const))(
    'getSiteInfo returns the functions list of "%s"',
    async (_name, call) => {
      const expected = parsedBody(call) as { functions: { name: string }[]; userid: number };
      const session = newSession();
      moodle.replay(call);
      const info = await session.getSiteInfo();
      expect(info.userid).toBe(expected.userid);
      expect(info.functions.map((f) => f.name)).toEqual(expected.functions.map((f) => f.name));
      expect(info.functions.map((f) => f.name)).toEqual(expect.arrayContaining(['core_grades_update_grades', 'mod_assign_save_grades', 'gradereport_user_get_grade_items']));
    },
  );

  it('getAssignments flattens the recorded courses into assignments with their configs', async () => {
    const session = newSession();
    moodle.replay(recorded('1.8 mod_assign_get_assignments courseids[0]=2 includenotenrolledcourses=1'));
    const assignments = await session.getAssignments([2]);
    expect(assignments.map((a) => [a.id, a.cmid])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(assignments[1]!.configs).toEqual(expect.arrayContaining([{ plugin: 'comments', subtype: 'assignfeedback', name: 'enabled', value: '1' }]));
  });

  it('getAssignments returns no assignments for the recorded "not enrolled" warning answer', async () => {
    const session = newSession();
    moodle.replay(recorded('1.7 mod_assign_get_assignments courseids[0]=2 (WS user not enrolled)'));
    await expect(session.getAssignments([2])).resolves.toEqual([]);
  });

  it('rejects a users answer that is not an array', async () => {
    const session = newSession();
    moodle.json('{"users":[]}');
    const error = await failure(session.getUsersByField('id', ['4']));
    expect(error.code).toBe('invalid_response');
  });
});

describe('answers that are not Moodle JSON', () => {
  it.each([
    ['an HTML page with status 200', 'text/html; charset=utf-8', '<!DOCTYPE html><html><body>Moodle is being upgraded</body></html>'],
    ['garbage', 'application/json', '{"sitename":"Te'],
    ['an empty body', 'application/json', ''],
    ['XML (format parameter ignored)', 'application/xml', '<?xml version="1.0"?><RESPONSE></RESPONSE>'],
  ])('treats %s as a transient invalid_response', async (_name, contentType, body) => {
    const session = newSession();
    moodle.answer(200, contentType, body);
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ kind: 'transient', code: 'invalid_response' });
    expect(session.calls[0]).toMatchObject({ httpStatus: 200, body, error: expect.stringContaining('invalid_response') });
  });

  it.each([500, 502, 503, 429, 408])('treats HTTP %i as transient', async (status) => {
    const session = newSession();
    moodle.answer(status, 'text/html', `<h1>${status}</h1>`);
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ kind: 'transient', code: `http_${status}` });
    expect(session.calls[0]!.httpStatus).toBe(status);
  });

  it('treats HTTP 500 with a JSON-looking body as transient, not as a Moodle answer', async () => {
    const session = newSession();
    moodle.answer(500, 'application/json', '0');
    const error = await failure(session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 7, itemNumber: 0, grades: [{ studentId: 4, grade: 1 }] }));
    expect(error).toMatchObject({ kind: 'transient', code: 'http_500' });
  });

  it.each([404, 401, 403])('treats HTTP %i as permanent', async (status) => {
    const session = newSession();
    moodle.answer(status, 'text/html', 'Not here');
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ kind: 'permanent', code: `http_${status}` });
  });

  it('does not follow a redirect (the token is never re-posted elsewhere)', async () => {
    const session = newSession();
    moodle.answer(302, 'text/html', '', { location: '/login/index.php' });
    const error = await failure(session.getSiteInfo());
    // A redirect means the base URL is wrong (http vs https, a login page): retrying cannot help.
    expect(error.kind).toBe('permanent');
    expect(error.code).toBe('http_302');
    expect(error.message).toContain('/login/index.php');
    expect(moodle.received.map((r) => r.url)).toEqual(['/webservice/rest/server.php']);
  });
});

describe('network failures', () => {
  it('turns a server that never answers into a transient timeout', async () => {
    const session = newSession();
    moodle.hang();
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(session.calls[0]).toMatchObject({ httpStatus: null, body: null, error: expect.stringContaining('timeout') });
  });

  it('turns a body that stops half-way into a transient timeout', async () => {
    const session = newSession();
    moodle.hangAfterHeaders();
    const error = await failure(session.getUserGradeItems(2, 4));
    expect(error).toMatchObject({ kind: 'transient', code: 'timeout' });
  });

  it('turns a destroyed socket into a transient network error', async () => {
    const session = newSession();
    moodle.destroySocket();
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ kind: 'transient', code: 'network' });
    expect(session.calls[0]).toMatchObject({ httpStatus: null, error: expect.stringContaining('network') });
  });

  it('turns a refused connection into a transient network error', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));

    const session = newSession(`http://127.0.0.1:${port}`);
    const error = await failure(session.getSiteInfo());
    expect(error).toMatchObject({ kind: 'transient', code: 'network' });
  });
});

describe('session.calls', () => {
  it('records function, params without the token, status and body of a successful call', async () => {
    const session = newSession();
    moodle.json('0');
    await session.updateActivityGrades({ courseId: 2, component: 'mod_lti', cmid: 7, itemNumber: 0, grades: [{ studentId: 4, grade: 77.5 }] });
    expect(session.calls).toEqual([
      {
        function: 'core_grades_update_grades',
        params: {
          source: 'speechace',
          courseid: '2',
          component: 'mod_lti',
          activityid: '7',
          itemnumber: '0',
          'grades[0][studentid]': '4',
          'grades[0][grade]': '77.5',
        },
        httpStatus: 200,
        body: '0',
        error: null,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('records one entry per call, in order', async () => {
    const session = newSession();
    moodle.json('{"functions":[]}');
    moodle.json('null');
    await session.getSiteInfo();
    await session.saveAssignGrades(1, [{ userId: 4, grade: 1, feedbackHtml: '' }]);
    expect(session.calls.map((c) => c.function)).toEqual(['core_webservice_get_site_info', 'mod_assign_save_grades']);
  });

  it('never records or reports the token, whatever the outcome', async () => {
    const session = newSession();
    const errors: LmsError[] = [];
    const attempt = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (error) {
        errors.push(error as LmsError);
      }
    };
    moodle.replay(recorded('4.2a wsthrowaway token (user active): core_webservice_get_site_info'));
    await attempt(session.getSiteInfo());
    moodle.replay(recorded('4.3b same expired token, second use'));
    await attempt(session.getSiteInfo());
    moodle.replay(recorded('4.D3 expired token'));
    await attempt(session.getSiteInfo());
    moodle.answer(503, 'text/html', 'busy');
    await attempt(session.getSiteInfo());
    moodle.answer(200, 'text/html', '<html></html>');
    await attempt(session.getSiteInfo());
    moodle.hang();
    await attempt(session.getSiteInfo());
    moodle.destroySocket();
    await attempt(session.saveAssignGrades(1, [{ userId: 4, grade: 1, feedbackHtml: 'x' }]));

    expect(session.calls).toHaveLength(7);
    expect(errors).toHaveLength(6);
    expect(moodle.received.every((r) => r.form.get('wstoken') === TOKEN)).toBe(true);
    expect(JSON.stringify(session.calls)).not.toContain(TOKEN);
    for (const call of session.calls) expect(Object.keys(call.params)).not.toContain('wstoken');
    for (const error of errors) {
      expect(error.message).not.toContain(TOKEN);
      expect(String(error.stack)).not.toContain(TOKEN);
    }
  });

  it('truncates a very long answer body in the record', async () => {
    const session = newSession();
    const long = JSON.stringify({ padding: 'x'.repeat(10_000) });
    moodle.json(long);
    await session.call('core_webservice_get_site_info');
    expect(session.calls[0]!.body!.length).toBeLessThan(long.length);
    expect(long.startsWith(session.calls[0]!.body!.slice(0, 2000))).toBe(true);
  });

  describe('forEachCourseGradeReport (a course-wide read, streamed)', () => {
    const report = (userid: number) => ({ courseid: 2, userid, userfullname: `S ${userid}`, gradeitems: [{ id: 2, itemtype: 'mod', graderaw: userid / 10 }] });
    const collect = async (session: MoodleSession) => {
      const seen: unknown[] = [];
      await session.forEachCourseGradeReport(2, (r) => seen.push(r));
      return seen;
    };

    it('hands every report on, asks for userid 0, and records the start of the answer', async () => {
      const usergrades = Array.from({ length: 300 }, (_, i) => report(i + 4));
      moodle.json(JSON.stringify({ usergrades, warnings: [] }));
      const session = newSession();
      expect(await collect(session)).toEqual(usergrades);
      expect(moodle.only().form.get('userid')).toBe('0');
      expect(session.calls[0]!.body!.length).toBeLessThanOrEqual(2001);
      expect(session.calls[0]!.body!.endsWith('…')).toBe(true);
    });

    it('reads an answer formatted differently (not streamable) the ordinary way', async () => {
      moodle.json(`{ "warnings": [], "usergrades": [${JSON.stringify(report(4))}] }`);
      expect(await collect(newSession())).toEqual([report(4)]);
    });

    it("throws Moodle's error, and a transient invalid_response for a cut-off or wrongly shaped answer", async () => {
      moodle.json('{"exception":"required_capability_exception","errorcode":"nopermissions","message":"Sorry, but you do not currently have permissions to do that (View all grades)."}');
      await expect(collect(newSession())).rejects.toMatchObject({ code: 'nopermissions' });
      moodle.json(`{"usergrades":[${JSON.stringify(report(4))},{"userid":5,"grade`);
      await expect(collect(newSession())).rejects.toMatchObject({ kind: 'transient', code: 'invalid_response' });
      moodle.json('{"usergrades":[{"userid":4}],"warnings":[]}');
      await expect(collect(newSession())).rejects.toMatchObject({ code: 'invalid_response' });
      moodle.json('{"warnings":[]}');
      await expect(collect(newSession())).rejects.toMatchObject({ code: 'invalid_response' });
    });
  });

  it('redacts a token that an answer echoes across the point where the record is cut', async () => {
    for (const offset of [2000 - TOKEN.length, 2000 - 5, 1999, 2000, 2001]) {
      const session = newSession();
      const prefix = '{"echo":"' + 'x'.repeat(offset - 9);
      moodle.json(`${prefix}${TOKEN}${'y'.repeat(5000)}"}`);
      await session.call('core_webservice_get_site_info');
      const body = session.calls[0]!.body!;
      expect({ offset, leaks: body.includes(TOKEN.slice(0, 4)) }).toEqual({ offset, leaks: false });
      expect(body.length).toBeLessThanOrEqual(2000 + TOKEN.length + 1);
    }
  });
});
