const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

export type StreamedAnswer = { streamed: true; rest: Record<string, unknown> } | { streamed: false; text: string };

/**
 * Reads an answer of the shape `{"<key>":[{…},{…},…],…}` as it arrives and hands each element
 * (an object or array) on, parsed, on its own: a course-wide grade read of a large course is tens
 * of MB, and neither its whole text nor its whole parsed tree is ever held. Any other answer (a
 * Moodle error object, another shape, not JSON) is kept whole, and end() returns its text for the
 * ordinary parser.
 */
export class StreamedArrayReader {
  private readonly prefix: string;
  private mode: 'prefix' | 'array' | 'rest' | 'whole' = 'prefix';
  private buffer = '';
  /** Where scanning goes on in `buffer`. */
  private at = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where the element being read starts in `buffer`, or -1 between elements. */
  private elementStart = -1;

  constructor(
    key: string,
    private readonly onElement: (element: unknown) => void,
  ) {
    this.prefix = `{${JSON.stringify(key)}:[`;
  }

  /** Characters held now: the element being read, or the whole answer when it is not of the streamed shape. */
  get held(): number {
    return this.buffer.length;
  }

  push(chunk: string): void {
    this.buffer += chunk;
    if (this.mode === 'prefix') this.matchPrefix();
    if (this.mode === 'array') this.scanArray();
  }

  end(): StreamedAnswer {
    if (this.mode === 'rest') {
      const rest = this.buffer.trim();
      // What follows the array, e.g. `,"warnings":[]}`, read as the object it ends.
      const parsed: unknown = JSON.parse(rest.startsWith(',') ? `{${rest.slice(1)}` : `{${rest}`);
      return { streamed: true, rest: parsed as Record<string, unknown> };
    }
    if (this.mode === 'array') throw new SyntaxError('the answer ended inside its array');
    return { streamed: false, text: this.buffer };
  }

  private matchPrefix(): void {
    const start = this.buffer.trimStart();
    if (start.length < this.prefix.length) {
      if (!this.prefix.startsWith(start)) this.mode = 'whole';
      return;
    }
    if (!start.startsWith(this.prefix)) {
      this.mode = 'whole';
      return;
    }
    this.mode = 'array';
    this.buffer = start.slice(this.prefix.length);
    this.at = 0;
  }

  private scanArray(): void {
    const text = this.buffer;
    let keepFrom = this.at;
    for (let i = this.at; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) {
        if (this.depth === 0) throw new SyntaxError('the array holds a string where objects were expected');
        this.inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth === 0) this.elementStart = i;
        this.depth += 1;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 0) {
          // The array's own closing bracket: what follows is the rest of the object.
          this.mode = 'rest';
          this.buffer = text.slice(i + 1);
          return;
        }
        this.depth -= 1;
        if (this.depth === 0) {
          this.onElement(JSON.parse(text.slice(this.elementStart, i + 1)));
          this.elementStart = -1;
          keepFrom = i + 1;
        }
      } else if (this.depth === 0 && c !== COMMA && c > 0x20) {
        throw new SyntaxError('the array holds a value where objects were expected');
      }
    }
    // Keep only the element being read (if any); scanning goes on where it stopped.
    const from = this.elementStart !== -1 ? this.elementStart : Math.max(keepFrom, text.length);
    this.buffer = text.slice(from);
    this.at = text.length - from;
    if (this.elementStart !== -1) this.elementStart = 0;
  }
}
