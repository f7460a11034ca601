import { parseCallbackBody } from './callback-body.parser';
import { stripCallbackKey, stripFormKey } from './callback-key.stripper';

const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';

describe('stripCallbackKey', () => {
  it.each([
    ['first member', '{"key":"s3cr3t","courseId":1}', '{"courseId":1}'],
    ['middle member, spaced', '{ "courseId": 1,\n  "key" : "s3cr3t" ,\n  "quizId": 2 }', '{ "courseId": 1,\n  "quizId": 2 }'],
    ['last member', '{"courseId":1, "key":"s3cr3t"}', '{"courseId":1}'],
    ['only member', '{ "key":"s3cr3t" }', '{ }'],
    ['escaped name', '{"k\\u0065y":"s3cr3t","a":"x"}', '{"a":"x"}'],
    ['escaped value', '{"a":"x","key":"s3\\"cr\\u0033t"}', '{"a":"x"}'],
    ['number value', '{"key":123456789,"a":[1,{"key":"nested stays"}]}', '{"a":[1,{"key":"nested stays"}]}'],
    ['twice', '{"key":"s3cr3t","a":1,"key":"s3cr3t"}', '{"a":1}'],
    ['a value that looks like a member', '{"a":"\\"key\\":\\"x\\"","key":"s3cr3t"}', '{"a":"\\"key\\":\\"x\\""}'],
  ])('removes the top-level key from JSON (%s), keeping every other byte', (_name, body, expected) => {
    expect(stripCallbackKey(body, JSON_TYPE)).toBe(expected);
    // Whatever the parser reads from the stored body has no key.
    expect(JSON.parse(stripCallbackKey(body, JSON_TYPE))).not.toHaveProperty('key');
  });

  it('sniffs JSON without a content type, and leaves a body without key alone', () => {
    expect(stripCallbackKey('  {"key":"s3cr3t","a":1}', undefined)).toBe('  {"a":1}');
    const body = '{"courseId":"1234","score":{"overall":6}}';
    expect(stripCallbackKey(body, JSON_TYPE)).toBe(body);
  });

  it.each([
    ['key=s3cr3t&courseId=1', 'courseId=1'],
    ['courseId=1&key=s3cr3t&quizId=2', 'courseId=1&quizId=2'],
    ['courseId=1&k%65y=s3cr3t', 'courseId=1'],
    ['courseId=1&key[]=s3cr3t&key[a]=x', 'courseId=1'],
    ['courseId=1&monkey=1&keys=2', 'courseId=1&monkey=1&keys=2'],
  ])('removes key pairs from a form (%s)', (body, expected) => {
    expect(stripCallbackKey(body, FORM)).toBe(expected);
    expect(stripFormKey(body)).toBe(expected);
  });

  it('keeps a body the parser reads the same, less the key', () => {
    const body = '{"version":"1.0","key":"s3cr3t","courseId":1234,"quizId":456,"userId":"4","score":{"overall":7.2}}';
    const { key: _key, ...rest } = parseCallbackBody(Buffer.from(body), JSON_TYPE);
    expect(parseCallbackBody(Buffer.from(stripCallbackKey(body, JSON_TYPE)), JSON_TYPE)).toEqual(rest);
  });
});

describe('JSON parse errors', () => {
  it('never echo the body', () => {
    for (const body of ['{key: "s3cr3t-value"}', 's3cr3t-value', '{"key":"s3cr3t-value"']) {
      let message = '';
      try {
        parseCallbackBody(Buffer.from(body), JSON_TYPE);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/not valid JSON/);
      expect(message).not.toContain('s3cr3t');
    }
  });
});
