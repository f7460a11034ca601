import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import * as qs from 'qs';

const MAX_DEPTH = 4;
const MAX_KEYS = 200;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns the raw callback bytes into a plain object. Speechace's docs do not state a content type, so
 * JSON and form bodies are both accepted, and a body without a usable type is sniffed.
 */
export function parseCallbackBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (raw.length === 0) throw new BadRequestException('The callback body is empty');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = type === 'application/json' || type.endsWith('+json');
  const isForm = type === 'application/x-www-form-urlencoded';
  const sniffed = type === '' || type === 'text/plain' || type === 'application/octet-stream';
  // The type is judged before the bytes, so an image or a multipart upload is told 415, not "not UTF-8".
  if (!isJson && !isForm && !sniffed) {
    throw new UnsupportedMediaTypeException(
      `Content-Type ${type} is not accepted: send application/json or application/x-www-form-urlencoded`,
    );
  }
  const text = decodeUtf8(raw);
  // PostgreSQL text cannot hold NUL: refused here, a NUL would otherwise turn into a 503 at the INSERT.
  if (text.includes('\u0000')) throw new BadRequestException('The callback body contains a NUL character');
  let parsed: unknown;
  if (isJson) {
    parsed = parseJson(text);
  } else if (isForm) {
    parsed = parseForm(text);
  } else {
    parsed = text.trimStart().startsWith('{') ? parseJson(text) : parseForm(text);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestException('The callback body must be a JSON object or a form');
  }
  checkShape(parsed, 0);
  return parsed as Record<string, unknown>;
}

function decodeUtf8(raw: Buffer): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new BadRequestException('The callback body is not valid UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestException(`The callback body is not valid JSON (${jsonErrorWhere(error)}); string values must be in double quotes`);
  }
}

/**
 * Where JSON.parse stopped, without the body text V8 puts in its message (`Unexpected token 'x',
 * "{key: …" is not valid JSON`): the start of a body is where the key often sits.
 */
export function jsonErrorWhere(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /position (\d+)/.exec(message);
  if (position) return `syntax error at position ${position[1]}`;
  if (/end of (JSON )?input|Unterminated/i.test(message)) return 'the body ends too early';
  return 'syntax error';
}

function parseForm(text: string): unknown {
  if (!/^[^=&]+=/.test(text)) throw new BadRequestException('The callback body is neither JSON nor a form (key=value&…)');
  // allowPrototypes false + plainObjects: `__proto__[x]=1` can never reach Object.prototype.
  return qs.parse(text, { depth: MAX_DEPTH, parameterLimit: MAX_KEYS, allowPrototypes: false, plainObjects: true, arrayLimit: 20 });
}

function checkShape(value: unknown, depth: number): void {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw new BadRequestException('The callback body contains a NUL character (\\u0000 or %00) in a value');
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_DEPTH) throw new BadRequestException(`The callback body is nested deeper than ${MAX_DEPTH} levels`);
  const keys = Object.keys(value);
  if (keys.length > MAX_KEYS) throw new BadRequestException(`The callback body has more than ${MAX_KEYS} fields`);
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) throw new BadRequestException(`The callback body may not contain a field named "${key}"`);
    checkShape((value as Record<string, unknown>)[key], depth + 1);
  }
}
