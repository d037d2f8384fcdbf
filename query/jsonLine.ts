/**
 * Validates one stored line as JSON straight from its bytes, and finds where the fields a query looks at sit,
 * without building any object. `logs --search` used to JSON.parse every candidate line, and that parse was the
 * largest cost of a search (objects built only to be thrown away); this checks the same grammar in one pass.
 *
 * The grammar is RFC 8259 exactly as `JSON.parse` accepts it (whitespace is space, tab, CR and LF; no trailing
 * commas, no leading zeros, no control characters in strings, only the standard escapes). Bytes that are not valid
 * UTF-8 are accepted, as `JSON.parse` accepts the U+FFFD that decoding turns them into. The differential test in
 * jsonLine.test.ts holds it to `JSON.parse` on generated and mutated lines.
 */

/** Where a top-level member's value sits: bytes [start, end) of the value as written (quotes included). */
export class LineFields {
  eventStart = -1;
  eventEnd = -1;
  levelStart = -1;
  levelEnd = -1;
  tsStart = -1;
  tsEnd = -1;
  detailsStart = -1;
  detailsEnd = -1;

  reset(): void {
    this.eventStart = this.eventEnd = this.levelStart = this.levelEnd = -1;
    this.tsStart = this.tsEnd = this.detailsStart = this.detailsEnd = -1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// Which top-level member a value belongs to.
const F_NONE = 0;
const F_EVENT = 1;
const F_LEVEL = 2;
const F_TS = 3;
const F_DETAILS = 4;

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isHex = (c: number): boolean => (c >= ZERO && c <= NINE) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/** Thrown inside the scan only (caught below): an error message with the byte offset in the line. */
class Bad {
  constructor(readonly why: string) {}
}

let containers = new Uint8Array(64);

/**
 * Check that bytes [start, end) of `b` are one JSON object whose `event` is a non-empty string and whose `details`,
 * when present, is an object (the rule of core/storedLine.ts), and record in `f`
 * where `event`, `level`, `ts` and `details` are (the last occurrence wins, as in JSON.parse). Returns undefined when
 * the line is valid, else why it is not (like "invalid JSON (unexpected "x" at byte 12)").
 */
export function scanJsonLine(b: Uint8Array, start: number, end: number, f: LineFields): string | undefined {
  f.reset();
  try {
    scan(b, start, end, f);
  } catch (err) {
    if (err instanceof Bad) return `invalid JSON (${err.why})`;
    throw err;
  }
  if (f.eventStart === -1 || b[f.eventStart] !== QUOTE || f.eventEnd - f.eventStart <= 2) return 'no "event" name';
  if (f.detailsStart !== -1 && b[f.detailsStart] !== OPEN_OBJ) return '"details" is not an object';
  return undefined;
}

function describe(b: Uint8Array, i: number, start: number, end: number): string {
  if (i >= end) return `unexpected end of line at byte ${i - start}`;
  const c = b[i]!;
  const shown = c >= 0x20 && c < 0x7f ? JSON.stringify(String.fromCharCode(c)) : `byte 0x${c.toString(16).padStart(2, '0')}`;
  return `unexpected ${shown} at byte ${i - start}`;
}

function scan(b: Uint8Array, start: number, end: number, f: LineFields): void {
  let i = start;
  let depth = 0;
  let field = F_NONE;
  let fieldStart = -1;
  while (i < end && isWs(b[i]!)) i++;
  if (b[i] !== OPEN_OBJ || i >= end) throw new Bad(i >= end ? 'empty line' : 'not a JSON object');
  // The value loop: `i` is at the start of a value (after whitespace).
  for (;;) {
    let c = i < end ? b[i]! : -1;
    // --- one value ---
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (depth === containers.length) {
        const grown = new Uint8Array(containers.length * 2);
        grown.set(containers);
        containers = grown;
      }
      containers[depth++] = c;
      i++;
      while (i < end && isWs(b[i]!)) i++;
      if (c === OPEN_OBJ) {
        if (b[i] === CLOSE_OBJ && i < end) {
          depth--;
          i++;
        } else {
          i = key(b, i, start, end, depth);
          if (depth === 1) {
            field = keyField;
            fieldStart = i;
          }
          continue;
        }
      } else if (b[i] === CLOSE_ARR && i < end) {
        depth--;
        i++;
      } else continue;
    } else if (c === QUOTE) {
      i = string(b, i, start, end);
    } else if (c === MINUS || isDigit(c)) {
      i = number(b, i, start, end);
    } else if (c === 0x74 /* t */) {
      i = literal(b, i, start, end, 'true');
    } else if (c === 0x66 /* f */) {
      i = literal(b, i, start, end, 'false');
    } else if (c === 0x6e /* n */) {
      i = literal(b, i, start, end, 'null');
    } else {
      throw new Bad(describe(b, i, start, end));
    }
    // --- after a value: close containers, or a comma and the next member ---
    for (;;) {
      if (depth === 1 && field !== F_NONE) {
        // The value of a top-level member just ended.
        if (field === F_EVENT) (f.eventStart = fieldStart), (f.eventEnd = i);
        else if (field === F_LEVEL) (f.levelStart = fieldStart), (f.levelEnd = i);
        else if (field === F_TS) (f.tsStart = fieldStart), (f.tsEnd = i);
        else (f.detailsStart = fieldStart), (f.detailsEnd = i);
        field = F_NONE;
      }
      while (i < end && isWs(b[i]!)) i++;
      if (depth === 0) {
        if (i !== end) throw new Bad(describe(b, i, start, end) + ' after the object');
        return;
      }
      c = i < end ? b[i]! : -1;
      const top = containers[depth - 1];
      if (c === COMMA) {
        i++;
        while (i < end && isWs(b[i]!)) i++;
        if (top === OPEN_OBJ) {
          i = key(b, i, start, end, depth);
          if (depth === 1) {
            field = keyField;
            fieldStart = i;
          }
        }
        break;
      }
      if ((c === CLOSE_OBJ && top === OPEN_OBJ) || (c === CLOSE_ARR && top === OPEN_ARR)) {
        depth--;
        i++;
        continue;
      }
      throw new Bad(describe(b, i, start, end));
    }
  }
}

// The member a key names (set by key(); a module variable so the hot path returns a plain number).
let keyField = F_NONE;

/** A key, its colon and the whitespace after: returns the offset of the value. Sets keyField at depth 1. */
function key(b: Uint8Array, i: number, start: number, end: number, depth: number): number {
  if (b[i] !== QUOTE || i >= end) throw new Bad(describe(b, i, start, end) + ' where a key was expected');
  const s = i;
  i = string(b, i, start, end);
  keyField = F_NONE;
  if (depth === 1) keyField = topField(b, s, i);
  while (i < end && isWs(b[i]!)) i++;
  if (b[i] !== COLON || i >= end) throw new Bad(describe(b, i, start, end) + ' where ":" was expected');
  i++;
  while (i < end && isWs(b[i]!)) i++;
  return i;
}

/** Which of the fields we track a top-level key [s, e) (quotes included) names. */
function topField(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len === 7 && b[s + 1] === 0x65 && b[s + 2] === 0x76 && b[s + 3] === 0x65 && b[s + 4] === 0x6e && b[s + 5] === 0x74) return F_EVENT; // "event"
  if (len === 7 && b[s + 1] === 0x6c && b[s + 2] === 0x65 && b[s + 3] === 0x76 && b[s + 4] === 0x65 && b[s + 5] === 0x6c) return F_LEVEL; // "level"
  if (len === 4 && b[s + 1] === 0x74 && b[s + 2] === 0x73) return F_TS; // "ts"
  if (len === 9 && b[s + 1] === 0x64 && b[s + 2] === 0x65 && b[s + 3] === 0x74 && b[s + 4] === 0x61 && b[s + 5] === 0x69 && b[s + 6] === 0x6c && b[s + 7] === 0x73) return F_DETAILS; // "details"
  // A key written with escapes may still spell one of them ("\u0065vent"): decode it to be sure.
  for (let k = s + 1; k < e - 1; k++) {
    if (b[k] === BACKSLASH) {
      const name = JSON.parse(Buffer.from(b.buffer, b.byteOffset + s, len).toString('utf8')) as string;
      return name === 'event' ? F_EVENT : name === 'level' ? F_LEVEL : name === 'ts' ? F_TS : name === 'details' ? F_DETAILS : F_NONE;
    }
  }
  return F_NONE;
}

/** A string starting at the quote at `i`: returns the offset after its closing quote. */
function string(b: Uint8Array, i: number, start: number, end: number): number {
  i++;
  for (;;) {
    if (i >= end) throw new Bad(`unterminated string at byte ${i - start}`);
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = i + 1 < end ? b[i + 1]! : -1;
      if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else if (e === 0x75 /* u */) {
        if (i + 5 >= end || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) throw new Bad(`bad \\u escape at byte ${i - start}`);
        i += 6;
      } else throw new Bad(`bad escape at byte ${i - start}`);
    } else if (c < 0x20) {
      throw new Bad(`control character in a string at byte ${i - start}`);
    } else i++;
  }
}

/** A number at `i`: returns the offset after it. */
function number(b: Uint8Array, i: number, start: number, end: number): number {
  const s = i;
  if (b[i] === MINUS) i++;
  if (i < end && b[i] === ZERO) i++;
  else if (i < end && isDigit(b[i]!)) while (i < end && isDigit(b[i]!)) i++;
  else throw new Bad(`bad number at byte ${s - start}`);
  if (i < end && b[i] === DOT) {
    i++;
    if (!(i < end && isDigit(b[i]!))) throw new Bad(`bad number at byte ${s - start}`);
    while (i < end && isDigit(b[i]!)) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (!(i < end && isDigit(b[i]!))) throw new Bad(`bad number at byte ${s - start}`);
    while (i < end && isDigit(b[i]!)) i++;
  }
  return i;
}

function literal(b: Uint8Array, i: number, start: number, end: number, word: string): number {
  if (i + word.length > end) throw new Bad(describe(b, i, start, end));
  for (let k = 1; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) throw new Bad(describe(b, i + k, start, end));
  return i + word.length;
}
