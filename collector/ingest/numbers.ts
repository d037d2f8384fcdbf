/**
 * Number literals JSON.parse cannot carry exactly: `1e400` becomes Infinity (then `null` when stored), `1e-400`
 * becomes 0, `12345678901234567890` becomes 12345678901234567168. Such a value would be stored silently changed, so
 * the event holding it is refused naming the field. Node 20's JSON.parse reviver has no source text, so, cheaply:
 * the parsed value is walked for what such a literal can have become (a non-finite number, an integer beyond 2^53,
 * or 0 when the text holds an exponent of -100 or below or 200 zeros after a point); only then is the raw text walked
 * to find the literals and where they are. A regex over the text for long digit runs was measured at 1-2x the
 * JSON.parse time of a normal 4 MiB body (every digit is a start position); the value walk costs about a tenth.
 */

/** Where an inexact number is: keys and array indexes from the top of the parsed value. */
export interface InexactNumber {
  path: (string | number)[];
  literal: string;
  reason: string;
}

const UNDERFLOW_ZEROS = '.' + '0'.repeat(200);

function isNumberChar(c: number): boolean {
  // 0-9 . e E + -
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
}

/** Why the JSON number literal `t` does not survive JSON.parse, or undefined when it does (or is no number). */
/** The smallest normal double: below it a double holds fewer significant digits (subnormal range). */
const MIN_NORMAL = 2.2250738585072014e-308;

export function inexactReason(t: string): string | undefined {
  const v = Number(t);
  if (Number.isNaN(v)) return undefined;
  if (!Number.isFinite(v)) return 'beyond the range of a double (it would become null)';
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (m === null) return undefined;
  const digits = m[1]! + (m[2] ?? '');
  if (v === 0) return /[1-9]/.test(digits) ? 'too small for a double (it would become 0)' : undefined;
  if (Math.abs(v) < MIN_NORMAL) {
    // Subnormal: the double keeps fewer digits the smaller it gets (1.000001e-318 becomes 1e-318), so it must print
    // back as the literal's exact value to be stored.
    const lit = decimal(digits, Number(m[3] ?? '0') - (m[2]?.length ?? 0));
    const p = /^-?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(v))!;
    const back = decimal(p[1]! + (p[2] ?? ''), Number(p[3] ?? '0') - (p[2]?.length ?? 0));
    return lit.digits === back.digits && lit.exp === back.exp ? undefined : `too small for a double to hold exactly (it would become ${String(v)})`;
  }
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

/**
 * Whether a literal in `text` may have underflowed to 0: a non-zero literal needs an effective exponent below -323,
 * so an exponent of -100 or below, or (with a 2-digit exponent or none) at least 200 zeros after the point.
 */
export function underflowPossible(text: string): boolean {
  return underflowExponent(text, 'e-') || underflowExponent(text, 'E-') || text.includes(UNDERFLOW_ZEROS);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A number token with `needle` and 3+ exponent digits: found by indexOf (much faster than a regex over every digit),
 * and counted only where a JSON value starts (after `:`, `,`, `[` and blanks), so `…3e-1234…` inside an id does not.
 */
function underflowExponent(text: string, needle: string): boolean {
  for (let i = text.indexOf(needle, 1); i !== -1; i = text.indexOf(needle, i + 2)) {
    if (!isDigit(text.charCodeAt(i - 1)) || !isDigit(text.charCodeAt(i + 2)) || !isDigit(text.charCodeAt(i + 3)) || !isDigit(text.charCodeAt(i + 4))) continue;
    let s = i - 1;
    while (s > 0 && (isDigit(text.charCodeAt(s - 1)) || text.charCodeAt(s - 1) === 46)) s--;
    if (s > 0 && text.charCodeAt(s - 1) === 45) s--;
    while (s > 0 && (text.charCodeAt(s - 1) === 32 || text.charCodeAt(s - 1) === 9 || text.charCodeAt(s - 1) === 10 || text.charCodeAt(s - 1) === 13)) s--;
    const before = s === 0 ? 91 : text.charCodeAt(s - 1);
    if (before === 58 || before === 44 || before === 91) return true;
  }
  return false;
}

/**
 * Whether the parsed `value` holds a number an inexact literal can have become: non-finite, an integer beyond 2^53
 * (unless its key matches `bigIntegerKeys`), or 0 when `zeros` (a function: asked once, at the first 0 met, since
 * scanning the text for underflow literals costs more than the walk and most bodies hold no 0). Iterative: any
 * nesting depth.
 */
export function hasInexactCandidate(value: unknown, zeros: boolean | (() => boolean), bigIntegerKeys?: RegExp): boolean {
  let zero = typeof zeros === 'boolean' ? zeros : undefined;
  const suspect = (n: number, key: string | undefined): boolean => {
    if (!Number.isFinite(n)) return true;
    if (n === 0) return (zero ??= (zeros as () => boolean)());
    if (n > -MIN_NORMAL && n < MIN_NORMAL) return true; // subnormal: may have lost digits
    if (n > Number.MAX_SAFE_INTEGER || n < -Number.MAX_SAFE_INTEGER) return !(bigIntegerKeys !== undefined && key !== undefined && bigIntegerKeys.test(key));
    return false;
  };
  if (typeof value === 'number') return suspect(value, undefined);
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        const y: unknown = x[i];
        if (typeof y === 'number') {
          if (suspect(y, undefined)) return true;
        } else if (y !== null && typeof y === 'object') stack.push(y);
      }
    } else {
      const o = x as Record<string, unknown>;
      for (const k in o) {
        const y = o[k];
        if (typeof y === 'number') {
          if (suspect(y, k)) return true;
        } else if (y !== null && typeof y === 'object') stack.push(y);
      }
    }
  }
  return false;
}

interface Frame {
  array: boolean;
  key: string | number;
  expectKey: boolean;
}

/**
 * The inexact number literals of `text` (valid JSON; `parsed` is what JSON.parse made of it), with their paths; at
 * most `max` of them. Cheap when there are none: the text is walked only when `parsed` holds a candidate.
 */
export function findInexactNumbers(text: string, parsed: unknown, max = 1000, bigIntegerKeys?: RegExp): InexactNumber[] {
  if (!hasInexactCandidate(parsed, () => underflowPossible(text), bigIntegerKeys)) return [];
  return scanInexactNumbers(text, max);
}

/** The inexact number literals of `text` (valid JSON) with their paths, by walking the text; at most `max`. */
export function scanInexactNumbers(text: string, max = 1000): InexactNumber[] {
  const found: InexactNumber[] = [];
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
      let exponent = false;
      for (; end < n; end++) {
        const d = text.charCodeAt(end);
        if (d === 101 || d === 69) exponent = true;
        else if (!isNumberChar(d)) break;
      }
      // Only a literal with an exponent or more than 15 characters can be inexact (see inexactReason).
      if (exponent || end - i > 15) {
        const literal = text.slice(i, end);
        const reason = inexactReason(literal);
        if (reason !== undefined) found.push({ path: stack.map((f) => f.key), literal, reason });
      }
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
