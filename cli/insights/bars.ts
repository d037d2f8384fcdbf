/**
 * A horizontal bar for a total, scaled so the largest total fills `width` cells. On a terminal the end is drawn in
 * eighths of a cell (▏▎▍▌▋▊▉), so totals that differ by less than a cell still look different; in ASCII whole `#`
 * cells, rounded. A total above zero always shows at least the smallest mark, so no group looks empty that is not.
 */

export const BAR_FULL = '█';
/** 1/8 to 7/8 of a cell. */
export const BAR_EIGHTHS: readonly string[] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];
export const BAR_ASCII = '#';

export function bar(value: number, max: number, width: number, ascii: boolean): string {
  if (!(value > 0) || !(max > 0) || width < 1) return '';
  const share = Math.min(1, value / max);
  if (ascii) return BAR_ASCII.repeat(Math.max(1, Math.round(share * width)));
  const eighths = Math.max(1, Math.round(share * width * 8));
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return BAR_FULL.repeat(full) + (rest > 0 ? BAR_EIGHTHS[rest - 1]! : '');
}
