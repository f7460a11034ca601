import { HttpException } from '@nestjs/common';
import { parseCallbackBody } from '../../src/intake/callback-body.parser';
import { CallbackFields, CallbackQuery, readCallbackFields } from '../../src/intake/callback-fields';
import { specFixture } from '../support/spec-fixtures';

const fixture = specFixture;

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** What a valid callback reads as (the attempt all three fixtures describe). */
const DOCUMENTED_ATTEMPT: CallbackFields = {
  key: 'IlYq1zwpMrCaUAW3',
  version: '1.0',
  speechaceCourseId: '1234',
  speechaceQuizId: '456',
  speechaceUserId: '1234a',
  userRef: '1234a',
  queryCourseId: null,
  queryTestId: null,
  scores: { overall: 4, pronunciation: 7.6, fluency: 6.5, vocab: 6.6, grammar: 5.5 },
  reportUrl: 'https://speak.speechace.co/placement/report/a698bd97924e08e68ef1db96a8',
  signature: null,
};

/** parse + read, the way intake does. */
function intake(raw: Buffer | string, contentType: string | undefined, query: CallbackQuery = {}): CallbackFields {
  const body = parseCallbackBody(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, contentType);
  return readCallbackFields(body, query);
}

function jsonIntake(body: unknown, query: CallbackQuery = {}): CallbackFields {
  return intake(JSON.stringify(body), JSON_TYPE, query);
}

/** A valid JSON callback with some fields replaced (undefined removes a field). */
function callback(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = JSON.parse(fixture('callback.json').toString('utf8')) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

/** The HttpException `fn` throws; fails when it returns or throws anything else, or when the status is not 4xx. */
function httpError(fn: () => unknown): HttpException {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error('expected an HttpException, nothing was thrown');
  expect(thrown).toBeInstanceOf(HttpException);
  const error = thrown as HttpException;
  expect(error.getStatus()).toBeGreaterThanOrEqual(400);
  expect(error.getStatus()).toBeLessThan(500);
  return error;
}

/** The problems a 400 from readCallbackFields lists, or its message. */
function details(error: HttpException): string {
  const response = error.getResponse();
  const problems = typeof response === 'object' && response !== null && 'problems' in response ? (response as { problems: string[] }).problems : [];
  return [error.message, ...problems].join(' | ');
}

afterEach(() => {
  // Nothing any test sends may reach Object.prototype.
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('the spec fixtures', () => {
  it('reads callback.json sent as application/json', () => {
    expect(intake(fixture('callback.json'), JSON_TYPE)).toEqual(DOCUMENTED_ATTEMPT);
  });

  it('reads callback.form.txt sent as a form, with nested score[...] fields', () => {
    expect(intake(fixture('callback.form.txt'), FORM_TYPE)).toEqual(DOCUMENTED_ATTEMPT);
  });

  it('reads the same attempt from a content type with parameters and odd case', () => {
    expect(intake(fixture('callback.json'), 'Application/JSON; charset=UTF-8')).toEqual(DOCUMENTED_ATTEMPT);
    expect(intake(fixture('callback.form.txt'), 'application/x-www-form-urlencoded; charset=utf-8')).toEqual(DOCUMENTED_ATTEMPT);
  });

  it.each([JSON_TYPE, undefined, 'text/plain'])('answers the documented example (invalid JSON) with a 400 saying it is not valid JSON (content type %p)', (type) => {
    const error = httpError(() => intake(fixture('documented-example.txt'), type));
    expect(error.getStatus()).toBe(400);
    expect(error.message).toMatch(/not valid JSON/);
  });
});

describe('content types', () => {
  it.each([undefined, '', 'text/plain', 'application/octet-stream'])('sniffs a JSON body sent with content type %p', (type) => {
    expect(intake(fixture('callback.json'), type)).toEqual(DOCUMENTED_ATTEMPT);
  });

  it.each([undefined, 'text/plain'])('sniffs a form body sent with content type %p', (type) => {
    expect(intake(fixture('callback.form.txt'), type)).toEqual(DOCUMENTED_ATTEMPT);
  });

  it('sniffs JSON that starts with whitespace', () => {
    expect(intake(`\n  ${fixture('callback.json').toString('utf8')}`, undefined)).toEqual(DOCUMENTED_ATTEMPT);
  });

  it('accepts a +json content type', () => {
    expect(intake(fixture('callback.json'), 'application/vnd.speechace+json')).toEqual(DOCUMENTED_ATTEMPT);
  });

  it.each(['multipart/form-data; boundary=----x', 'application/xml', 'text/html'])('answers %s with 415', (type) => {
    const error = httpError(() => parseCallbackBody(fixture('callback.form.txt'), type));
    expect(error.getStatus()).toBe(415);
  });

  it('answers a form body labelled application/json with 400', () => {
    expect(httpError(() => parseCallbackBody(fixture('callback.form.txt'), JSON_TYPE)).getStatus()).toBe(400);
  });

  it('answers an untyped body that is neither JSON nor a form with 400', () => {
    expect(httpError(() => parseCallbackBody(Buffer.from('hello world'), undefined)).getStatus()).toBe(400);
  });
});

describe('malformed bodies', () => {
  it.each([JSON_TYPE, FORM_TYPE, undefined])('answers an empty body with 400 (content type %p)', (type) => {
    expect(httpError(() => parseCallbackBody(Buffer.alloc(0), type)).getStatus()).toBe(400);
  });

  it.each([JSON_TYPE, undefined])('answers a JSON array with 400 (content type %p)', (type) => {
    expect(httpError(() => parseCallbackBody(Buffer.from(JSON.stringify([callback()])), type)).getStatus()).toBe(400);
  });

  it.each(['null', '42', '"text"', 'true'])('answers the JSON scalar %s with 400', (body) => {
    expect(httpError(() => parseCallbackBody(Buffer.from(body), JSON_TYPE)).getStatus()).toBe(400);
  });

  it('answers invalid UTF-8 with 400', () => {
    const raw = Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const error = httpError(() => parseCallbackBody(raw, JSON_TYPE));
    expect(error.getStatus()).toBe(400);
    expect(error.message).toMatch(/UTF-8/);
  });

  it('answers invalid UTF-8 in a form with 400', () => {
    const raw = Buffer.concat([Buffer.from('courseId=1&key='), Buffer.from([0xfe, 0xfe])]);
    expect(httpError(() => parseCallbackBody(raw, FORM_TYPE)).getStatus()).toBe(400);
  });

  it('accepts a UTF-8 byte-order mark before JSON', () => {
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture('callback.json')]);
    expect(intake(raw, JSON_TYPE)).toEqual(DOCUMENTED_ATTEMPT);
  });

  it('accepts JSON nested up to the limit', () => {
    expect(parseCallbackBody(Buffer.from('{"a":{"b":{"c":{"d":1}}}}'), JSON_TYPE)).toEqual({ a: { b: { c: { d: 1 } } } });
  });

  it('answers JSON nested deeper than the limit with 400', () => {
    const error = httpError(() => parseCallbackBody(Buffer.from('{"a":{"b":{"c":{"d":{"e":1}}}}}'), JSON_TYPE));
    expect(error.getStatus()).toBe(400);
    expect(error.message).toMatch(/nested deeper/);
  });

  it('answers very deep JSON (arrays inside objects) with 400, not a crash', () => {
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(httpError(() => parseCallbackBody(Buffer.from(deep), JSON_TYPE)).getStatus()).toBe(400);
  });

  it('answers a form nested deeper than the limit with 400', () => {
    expect(httpError(() => parseCallbackBody(Buffer.from('a[b][c][d][e][f]=1'), FORM_TYPE)).getStatus()).toBe(400);
  });

  it('answers a JSON object with too many fields with 400', () => {
    const wide = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}`, i]));
    expect(httpError(() => parseCallbackBody(Buffer.from(JSON.stringify(wide)), JSON_TYPE)).getStatus()).toBe(400);
  });
});

describe('prototype pollution', () => {
  it.each([
    '{"__proto__":{"polluted":1},"courseId":1}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"score":{"__proto__":{"polluted":1},"overall":4}}',
    '{"prototype":{"polluted":1}}',
  ])('refuses the JSON body %s with 400', (body) => {
    const error = httpError(() => parseCallbackBody(Buffer.from(body), JSON_TYPE));
    expect(error.getStatus()).toBe(400);
  });

  it.each(['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'score[__proto__][polluted]=1', '__proto__=x', 'a[constructor][prototype][polluted]=1'])(
    'refuses or drops the form field %s',
    (field) => {
      const raw = Buffer.from(`${fixture('callback.form.txt').toString('utf8')}&${field}`);
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = parseCallbackBody(raw, FORM_TYPE);
      } catch (error) {
        expect(error).toBeInstanceOf(HttpException);
        expect((error as HttpException).getStatus()).toBe(400);
        return;
      }
      // Dropped: the rest of the body is intact and no forbidden key survived anywhere.
      expect(readCallbackFields(parsed, {})).toEqual(DOCUMENTED_ATTEMPT);
      const json = JSON.stringify(parsed);
      expect(json).not.toMatch(/__proto__|constructor|prototype|polluted/);
    },
  );

  it('never pollutes Object.prototype through readCallbackFields', () => {
    const body = JSON.parse('{"courseId":1,"quizId":2,"userId":"u","score":{"overall":4},"__proto__":{"polluted":1}}') as Record<string, unknown>;
    readCallbackFields(body, JSON.parse('{"__proto__":{"polluted":1}}') as CallbackQuery);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('identifiers', () => {
  it.each([
    ['a numeric string', '1234', '1234'],
    ['a number', 1234, '1234'],
    ['a mixed string', '1234a', '1234a'],
    ['a string with surrounding spaces', ' 77 ', '77'],
    ['an email-like id', 'student+1@example.edu', 'student+1@example.edu'],
    ['zero', 0, '0'],
  ])('reads a body userId given as %s', (_name, userId, expected) => {
    const fields = jsonIntake(callback({ userId }));
    expect(fields.speechaceUserId).toBe(expected);
    expect(fields.userRef).toBe(expected);
  });

  it.each([
    ['a number', 1234, '1234'],
    ['a string', '1234', '1234'],
  ])('reads courseId and quizId given as %s', (_name, id, expected) => {
    const fields = jsonIntake(callback({ courseId: id, quizId: id }));
    expect(fields.speechaceCourseId).toBe(expected);
    expect(fields.speechaceQuizId).toBe(expected);
  });

  it.each([
    ['a 129-character string', 'a'.repeat(129)],
    ['a 10 000-character string', '9'.repeat(10_000)],
    // eslint-disable-next-line no-loss-of-precision -- the point: a JSON id beyond Number.MAX_SAFE_INTEGER
    ['an unsafe integer', 12345678901234567890],
    ['a negative number', -1],
    ['a fraction', 12.5],
    ['spaces inside', '12 34'],
    ['markup', '<script>'],
    ['an object', { id: 1 }],
    ['an array', [1]],
    ['a boolean', true],
    ['only spaces', '   '],
  ])('answers a courseId that is %s with 400', (_name, courseId) => {
    const error = httpError(() => jsonIntake(callback({ courseId })));
    expect(error.getStatus()).toBe(400);
    expect(details(error)).toMatch(/courseId/);
  });

  it('accepts an id of exactly 128 characters', () => {
    expect(jsonIntake(callback({ userId: 'u'.repeat(128) })).userRef).toBe('u'.repeat(128));
  });

  it.each(['courseId', 'quizId'])('answers a callback without %s with 400 naming it', (field) => {
    const error = httpError(() => jsonIntake(callback({ [field]: undefined })));
    expect(error.getStatus()).toBe(400);
    expect(details(error)).toContain(`${field} is required`);
  });

  it('answers a callback without any user with 400 naming userId', () => {
    const error = httpError(() => jsonIntake(callback({ userId: undefined })));
    expect(details(error)).toContain('userId is required');
  });

  it('lets the query userid win over the body userId', () => {
    const fields = jsonIntake(callback({ userId: '1234a' }), { userid: '77' });
    expect(fields.userRef).toBe('77');
    expect(fields.speechaceUserId).toBe('1234a');
  });

  it('accepts a callback whose only user is the query userid', () => {
    const fields = jsonIntake(callback({ userId: undefined }), { userid: '77' });
    expect(fields.userRef).toBe('77');
    expect(fields.speechaceUserId).toBeNull();
  });

  it('reads query courseid and testid as the LMS ids, separate from the body ids', () => {
    const fields = jsonIntake(callback(), { courseid: '91', testid: '25', userid: '1234a' });
    expect(fields).toMatchObject({ queryCourseId: '91', queryTestId: '25', speechaceCourseId: '1234', speechaceQuizId: '456', userRef: '1234a' });
  });

  it('reads query quizid when there is no testid', () => {
    expect(jsonIntake(callback(), { quizid: '25' }).queryTestId).toBe('25');
  });

  it('prefers query testid over quizid', () => {
    expect(jsonIntake(callback(), { testid: '25', quizid: '26' }).queryTestId).toBe('25');
  });

  it('leaves the query ids null when the query has none', () => {
    expect(jsonIntake(callback(), {})).toMatchObject({ queryCourseId: null, queryTestId: null });
  });

  it.each([
    ['userid', { userid: ['1', '2'] }],
    ['courseid', { courseid: ['91', '92'] }],
    ['testid', { testid: ['25', '25'] }],
    ['quizid', { quizid: ['25', '26'] }],
  ])('answers a repeated query parameter %s with 400', (name, query) => {
    const error = httpError(() => jsonIntake(callback(), query));
    expect(error.getStatus()).toBe(400);
    expect(details(error)).toContain(`query parameter ${name}`);
  });

  it('answers a query userid that is too long with 400', () => {
    expect(httpError(() => jsonIntake(callback(), { userid: 'x'.repeat(129) })).getStatus()).toBe(400);
  });
});

describe('scores', () => {
  it('reads scores given as numeric strings', () => {
    const fields = jsonIntake(callback({ score: { overall: '6.5', pronunciation: '7', fluency: ' 5.25 ' } }));
    expect(fields.scores).toEqual({ overall: 6.5, pronunciation: 7, fluency: 5.25 });
  });

  it('accepts a score with only overall (the other components are optional)', () => {
    expect(jsonIntake(callback({ score: { overall: 4 } })).scores).toEqual({ overall: 4 });
  });

  it('ignores empty and null optional components', () => {
    expect(jsonIntake(callback({ score: { overall: 4, fluency: null, vocab: '' } })).scores).toEqual({ overall: 4 });
  });

  it('accepts the bounds 0 and 1 000 000', () => {
    expect(jsonIntake(callback({ score: { overall: 0, grammar: 1_000_000 } })).scores).toEqual({ overall: 0, grammar: 1_000_000 });
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['an empty string', ''],
  ])('answers a score.overall that is %s with 400 naming score.overall', (_name, overall) => {
    const error = httpError(() => jsonIntake(callback({ score: { pronunciation: 7, overall } })));
    expect(error.getStatus()).toBe(400);
    expect(details(error)).toContain('score.overall');
  });

  it('answers a callback without score with 400 naming score', () => {
    const error = httpError(() => jsonIntake(callback({ score: undefined })));
    expect(details(error)).toMatch(/score is required/);
  });

  it.each([
    ['a number', 5],
    ['a string', '5'],
    ['an array', [5]],
    ['null', null],
  ])('answers a score that is %s rather than an object with 400', (_name, score) => {
    expect(httpError(() => jsonIntake(callback({ score }))).getStatus()).toBe(400);
  });

  it.each([
    ['"NaN"', '{"overall":"NaN"}'],
    ['"Infinity"', '{"overall":"Infinity"}'],
    ['"1e400"', '{"overall":"1e400"}'],
    ['1e400 (a JSON number that overflows)', '{"overall":1e400}'],
    ['-1', '{"overall":-1}'],
    ['"-1"', '{"overall":"-1"}'],
    ['1000001', '{"overall":1000001}'],
    ['1e300', '{"overall":1e300}'],
    ['"abc"', '{"overall":"abc"}'],
    ['"4,5"', '{"overall":"4,5"}'],
    ['"0x10"', '{"overall":"0x10"}'],
    ['true', '{"overall":true}'],
    ['an object', '{"overall":{"value":4}}'],
  ])('answers the overall score %s with 400', (_name, score) => {
    const body = JSON.stringify(callback()).replace(/"score":\{[^}]*\}/, `"score":${score}`);
    const error = httpError(() => intake(body, JSON_TYPE));
    expect(error.getStatus()).toBe(400);
    expect(details(error)).toContain('score.overall');
  });

  it('answers a bad optional component with 400 naming it', () => {
    const error = httpError(() => jsonIntake(callback({ score: { overall: 4, fluency: -2 } })));
    expect(details(error)).toContain('score.fluency');
  });

  it('answers a repeated form score with 400', () => {
    const raw = `${fixture('callback.form.txt').toString('utf8')}&score%5Boverall%5D=9`;
    expect(httpError(() => intake(raw, FORM_TYPE)).getStatus()).toBe(400);
  });

  it('names every problem of a callback in one 400', () => {
    const error = httpError(() => jsonIntake(callback({ courseId: undefined, score: { overall: -1 }, reportUrl: 'ftp://x' })));
    const text = details(error);
    expect(text).toContain('courseId');
    expect(text).toContain('score.overall');
    expect(text).toContain('reportUrl');
  });
});

describe('other fields', () => {
  it('ignores unknown extra fields (a later version)', () => {
    const fields = jsonIntake(callback({ version: '2.0', attemptId: 'abc', extra: { nested: [1, 2] }, score: { overall: 4, cefr: 'B2' } }));
    expect(fields.version).toBe('2.0');
    expect(fields.scores).toEqual({ overall: 4 });
  });

  it('treats key and reportUrl as optional', () => {
    const fields = jsonIntake(callback({ key: undefined, reportUrl: undefined }));
    expect(fields.key).toBeNull();
    expect(fields.reportUrl).toBeNull();
  });

  it.each(['javascript:alert(1)', 'not a url', 'ftp://speechace.example/report', 'h'.repeat(3000)])('answers the reportUrl %p with 400', (reportUrl) => {
    const error = httpError(() => jsonIntake(callback({ reportUrl })));
    expect(details(error)).toContain('reportUrl');
  });

  it('answers a key that is not a string with 400', () => {
    expect(httpError(() => jsonIntake(callback({ key: { a: 1 } }))).getStatus()).toBe(400);
  });

  it('answers a key longer than 512 characters with 400', () => {
    expect(httpError(() => jsonIntake(callback({ key: 'k'.repeat(513) }))).getStatus()).toBe(400);
  });
});
