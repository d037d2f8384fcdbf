/**
 * Terminal cell widths, for lining up columns of text that came from stored events (group names are `details`
 * values: any language, emoji). `String#length` counts UTF-16 units, so a CJK name or an emoji would push its row
 * out of line. This is the usual wcwidth approximation: combining marks, zero-width joiners and variation selectors
 * take no cell; East Asian wide and fullwidth characters and emoji take two; everything else one. Control characters
 * never reach here (the caller makes text printable first).
 */

// Zero-width: combining marks, ZWSP/ZWNJ/ZWJ, word joiner, variation selectors, BOM.
const ZERO = /^[\p{M}\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]$/u;

/** Wide (two-cell) code point ranges: Hangul Jamo, CJK, Hangul syllables, fullwidth forms, emoji, CJK extensions. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2795, 0x2797],
  [0x2b1b, 0x2b1c],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x300) return 1; // fast path: ASCII and Latin
  if (ZERO.test(ch)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Cells the text takes in a terminal. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

/** The text cut to at most `width` cells, ending in `ellipsis` (one cell per character) when cut. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  if (width <= ellipsis.length) return ellipsis.slice(0, width);
  const room = width - ellipsis.length;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch);
    if (w + cw > room) break;
    out += ch;
    w += cw;
  }
  return out + ellipsis;
}

/** Pad to `width` cells: numbers to the right (`'right'`), text to the left. Never cuts. */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}
