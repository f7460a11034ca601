/**
 * Removes the callback key from a callback body before it is stored, keeping every other byte as
 * received (README "Security"). Names are compared after decoding, as the parser reads them, so
 * `{"k\u0065y":…}` or `k%65y=…` are removed like `key`.
 *
 * - JSON: each top-level member named `key` is cut out with its separating comma and the
 *   whitespace before the next member; nothing else moves.
 * - Form (and a query string): each `key=…` pair (also `key[…]=…`) is cut out with its `&`.
 */
export function stripCallbackKey(text: string, contentType: string | null | undefined): string {
  if (!text.includes('k') && !text.includes('%') && !text.includes('\\')) return text;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const json = type === 'application/json' || type.endsWith('+json') || (type !== 'application/x-www-form-urlencoded' && text.trimStart().startsWith('{'));
  return json ? stripJsonKey(text) : stripFormKey(text);
}

/** `a=1&key=x&b=2` → `a=1&b=2`. */
export function stripFormKey(text: string): string {
  const pairs = text.split('&');
  const kept = pairs.filter((pair) => !isKeyName(formName(pair)));
  return kept.length === pairs.length ? text : kept.join('&');
}

function formName(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = (eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function isKeyName(name: string): boolean {
  const trimmed = name.trim();
  return trimmed === 'key' || trimmed.startsWith('key[');
}

interface Member {
  start: number;
  end: number;
  name: string;
}

function stripJsonKey(text: string): string {
  let current = text;
  // Rarely more than one `key` member; each pass removes one and scans again.
  for (let pass = 0; pass < 8; pass++) {
    const members = topLevelMembers(current);
    if (!members) return current;
    const at = members.findIndex((m) => m.name === 'key');
    if (at === -1) return current;
    const member = members[at]!;
    const next = members[at + 1];
    const previous = members[at - 1];
    if (next) current = current.slice(0, member.start) + current.slice(next.start);
    else if (previous) current = current.slice(0, previous.end) + current.slice(member.end);
    else current = current.slice(0, member.start) + current.slice(member.end).replace(/^\s+/, '');
    if (members.filter((m) => m.name === 'key').length === 1) return current;
  }
  return current;
}

/** The members of the top-level object with their spans (name start to value end); null if the text is not one object. */
function topLevelMembers(text: string): Member[] | null {
  const members: Member[] = [];
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return null;
  i = skipSpace(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    if (text[i] !== '"') return null;
    const start = i;
    const nameEnd = stringEnd(text, i);
    if (nameEnd === -1) return null;
    let name = text.slice(start + 1, nameEnd - 1);
    if (name.includes('\\')) {
      try {
        name = JSON.parse(text.slice(start, nameEnd)) as string;
      } catch {
        return null;
      }
    }
    i = skipSpace(text, nameEnd);
    if (text[i] !== ':') return null;
    const end = valueEnd(text, skipSpace(text, i + 1));
    if (end === -1) return null;
    members.push({ start, end, name });
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return members;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just after the string starting at `i` (a quote), or -1. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** Index just after the value starting at `i`, or -1. */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = stringEnd(text, j) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  for (; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (isSpace(d) || d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET) break;
  }
  return j === i ? -1 : j;
}

/**
 * For a body that is neither valid JSON nor a form (so stripCallbackKey found no member to cut):
 * the value after anything that looks like a key name (`"key":`, `key=`, `'key' :`, `k\u0065y`,
 * `k%65y`) is replaced by `[redacted]`. Only for showing a quarantined body; it is stored encrypted.
 */
export function redactKeyLoosely(text: string): string {
  return text.replace(/(["']?\bk(?:e|\\u0065|%65)y["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|[^,&}\s]*)/gi, '$1"[redacted]"');
}
