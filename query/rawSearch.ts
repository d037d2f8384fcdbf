import type { LineFields } from './jsonLine.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Containers nested deeper than this inside details are not searched (the same limit as the parsed search). */
export const MAX_SEARCH_DEPTH = 32;

/** Whether `needle` could occur in a number as JavaScript prints it (String(1e21) is "1e+21", String(1/0) "Infinity"). */
export function couldBeInNumber(needle: string): boolean {
  return /^[-+.0-9eInfity]+$/.test(needle);
}

/**
 * `--search` on a validated line's bytes: does the needle occur in the event name, or in a key or value of details
 * (at any depth up to MAX_SEARCH_DEPTH)? Gives the same answer as searching the parsed line (query.ts `test`) for a
 * needle that JSON writes unchanged (printable ASCII without `"\/<>&`), without building the object:
 * - strings without escapes: a raw hit must lie wholly inside the string (not across a quote or a comma);
 * - strings with escapes: decoded and searched (rare);
 * - numbers: searched as JavaScript prints them (`1e3` is "1000"), only when the needle could occur in one;
 * - true/false as written; null never matches.
 * One difference: with a key repeated inside details, every occurrence is searched (JSON.parse keeps the last).
 */
export class RawSearch {
  private readonly bytes: Buffer;
  private readonly n: number;
  private readonly text: string;
  /** Whether the needle could occur in a number as JavaScript prints it. */
  private readonly numeric: boolean;

  constructor(needle: string) {
    this.text = needle;
    this.bytes = Buffer.from(needle, 'latin1');
    this.n = this.bytes.length;
    this.numeric = couldBeInNumber(needle);
  }

  /** In the event name (the value at f.eventStart, a string). */
  inEvent(b: Buffer, f: LineFields): boolean {
    const s = f.eventStart + 1;
    const e = f.eventEnd - 1;
    return hasByte(b, BACKSLASH, s, e) ? this.inDecoded(b, s, e) : b.subarray(s, e).indexOf(this.bytes) !== -1;
  }

  /** In details (absent details never match). */
  inDetails(b: Buffer, f: LineFields): boolean {
    const ds = f.detailsStart;
    const de = f.detailsEnd;
    if (ds === -1) return false;
    // Searches stop at the end of details (Buffer#indexOf has no end offset; the view gives it one).
    const v = b.subarray(0, de);
    let hit = v.indexOf(this.bytes, ds);
    // Without a raw hit only an escaped string or a number (when the needle can be one) could still match.
    if (hit === -1 && !this.numeric && !hasByte(b, BACKSLASH, ds, de)) return false;

    let level = 0; // containers open inside details
    let skipBelow = -1; // while >= 0: inside a container too deep to search, until `level` drops back to this
    let i = ds;
    while (i < de) {
      const c = b[i]!;
      if (c === QUOTE) {
        const s = i + 1;
        let escaped = false;
        i = s;
        for (;;) {
          const x = b[i]!;
          if (x === QUOTE) break;
          if (x === BACKSLASH) {
            escaped = true;
            i += 2;
          } else i++;
        }
        if (skipBelow === -1) {
          if (escaped) {
            if (this.inDecoded(b, s, i)) return true;
          } else {
            if (hit !== -1 && hit < s) {
              hit = v.indexOf(this.bytes, s);
            }
            if (hit !== -1 && hit + this.n <= i) return true;
          }
        }
        i++;
      } else if (c === 0x7b || c === 0x5b) {
        // A container at depth `level`; past the limit the parsed search ignores it, keys and all.
        if (skipBelow === -1 && level > MAX_SEARCH_DEPTH) skipBelow = level;
        level++;
        i++;
      } else if (c === 0x7d || c === 0x5d) {
        level--;
        if (level === skipBelow) skipBelow = -1;
        i++;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const s = i;
        while (i < de && isNumberByte(b[i]!)) i++;
        if (skipBelow === -1 && this.numeric && String(Number(b.toString('latin1', s, i))).includes(this.text)) return true;
      } else if (c === 0x74 || c === 0x66) {
        // true / false: written as JavaScript prints them.
        const s = i;
        i += c === 0x74 ? 4 : 5;
        if (skipBelow === -1 && hit !== -1) {
          if (hit < s) {
            hit = v.indexOf(this.bytes, s);
          }
          if (hit !== -1 && hit + this.n <= i) return true;
        }
      } else if (c === 0x6e) {
        i += 4; // null
      } else i++; // whitespace, comma, colon
    }
    return false;
  }

  /** Whether the needle is in the string with escapes whose content is bytes [s, e), decoded. */
  private inDecoded(b: Buffer, s: number, e: number): boolean {
    return (JSON.parse(b.toString('utf8', s - 1, e + 1)) as string).includes(this.text);
  }
}

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;
}

// A loop, not Buffer#indexOf: that would search on past `e` to the end of the chunk.
function hasByte(b: Buffer, byte: number, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] === byte) return true;
  return false;
}
