/**
 * Number literals JSON.parse cannot carry exactly: `1e400` becomes Infinity (then `null` when stored), `1e-400`
 * becomes 0, `12345678901234567890` becomes 12345678901234567168. Such a value would be stored silently changed, so
 * the event holding it is refused naming the field. Node 20's JSON.parse reviver has no source text, so the raw
 * text is scanned; cheaply: only a run of 16 digits or a digit followed by an exponent can be such a literal, and
 * only when one of those is really inexact is the text walked to find where it is (outside strings).
 */

/** Where an inexact number is: keys and array indexes from the top of the parsed value. */
export interface InexactNumber {
  path: (string | number)[];
  literal: string;
  reason: string;
}

const SUSPECT = /\d{16}|\d[eE][+-]?\d/g;

function isNumberChar(c: number): boolean {
  // 0-9 . e E + -
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/** Why the JSON number literal `t` does not survive JSON.parse, or undefined when it does (or is no number). */
export function inexactReason(t: string): string | undefined {
  const v = Number(t);
  if (Number.isNaN(v)) return undefined;
  if (!Number.isFinite(v)) return 'beyond the range of a double (it would become null)';
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (m === null) return undefined;
  const digits = m[1]! + (m[2] ?? '');
  if (v === 0) return /[1-9]/.test(digits) ? 'too small for a double (it would become 0)' : undefined;
  if (Math.abs(v) <= Number.MAX_SAFE_INTEGER) return undefined;
  // |v| > 2^53: refused when the literal is an integer whose value differs from what the double prints as (what
  // JSON.stringify stores): 12345678901234567890 → 12345678901234567000. 1e300 → 1e+300 is the same value.
  const exp = Number(m[3] ?? '0');
  const lit = decimal(digits, exp - (m[2]?.length ?? 0));
  if (lit.exp < 0) return undefined; // not an integer
  const p = /^-?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(v))!;
  const back = decimal(p[1]! + (p[2] ?? ''), Number(p[3] ?? '0') - (p[2]?.length ?? 0));
  return lit.digits === back.digits && lit.exp === back.exp ? undefined : `an integer beyond 2^53 that a double cannot hold (it would become ${String(v)})`;
}

/** A decimal value `digits × 10^exp` in a canonical form: no leading or trailing zeros in `digits`. */
function decimal(digits: string, exp: number): { digits: string; exp: number } {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  let end = digits.length;
  while (end > start + 1 && digits.charCodeAt(end - 1) === 48) end--;
  return { digits: digits.slice(start, end), exp: exp + (digits.length - end) };
}

/** True when `text` (valid JSON) may hold an inexact number; false is certain. */
export function mayHoldInexactNumber(text: string): boolean {
  SUSPECT.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = SUSPECT.exec(text)) !== null) {
    let start = m.index;
    while (start > 0 && isNumberChar(text.charCodeAt(start - 1))) start--;
    let end = m.index + m[0].length;
    while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
    SUSPECT.lastIndex = end;
    if (inexactReason(text.slice(start, end)) !== undefined) return true;
  }
  return false;
}

interface Frame {
  array: boolean;
  key: string | number;
  expectKey: boolean;
}

/**
 * The inexact number literals of `text`, which must be valid JSON (JSON.parse accepted it), with their paths; at
 * most `max` of them. Cheap when there are none (see mayHoldInexactNumber).
 */
export function findInexactNumbers(text: string, max = 1000): InexactNumber[] {
  const found: InexactNumber[] = [];
  if (!mayHoldInexactNumber(text)) return found;
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n && found.length < max) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 34) {
      // A string: find its closing quote (not escaped by an odd run of backslashes).
      let end = i + 1;
      for (;;) {
        end = text.indexOf('"', end);
        if (end === -1) return found;
        let bs = 0;
        while (text.charCodeAt(end - 1 - bs) === 92) bs++;
        if (bs % 2 === 0) break;
        end++;
      }
      if (top !== undefined && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, end + 1)) as string;
        top.expectKey = false;
      }
      i = end + 1;
    } else if (c === 123 || c === 91) {
      stack.push({ array: c === 91, key: c === 91 ? 0 : '', expectKey: c === 123 });
      i++;
    } else if (c === 125 || c === 93) {
      stack.pop();
      i++;
    } else if (c === 44) {
      if (top !== undefined) {
        if (top.array) (top.key as number)++;
        else top.expectKey = true;
      }
      i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) end++;
      const literal = text.slice(i, end);
      const reason = inexactReason(literal);
      if (reason !== undefined) found.push({ path: stack.map((f) => f.key), literal, reason });
      i = end;
    } else i++;
  }
  return found;
}

/** `path` as a field name: `details.a[3].b` (the first key bare). */
export function fieldOf(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** The message for an inexact number, with the literal cut to 40 characters. */
export function inexactMessage(n: InexactNumber): string {
  const lit = n.literal.length > 40 ? `${n.literal.slice(0, 40)}…` : n.literal;
  return `number ${lit} cannot be stored exactly: ${n.reason}`;
}
