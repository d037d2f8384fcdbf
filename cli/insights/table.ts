import { printable } from '../../core/sanitize.js';
import { EXACT_INSTALLATIONS_LIMIT, type InsightsAnswer } from '../../query/insights/types.js';
import type { Painter } from '../style.js';
import { bucketHeading, bucketLabel, estimateNote, installationsText, titleLines } from './labels.js';
import { displayWidth, pad, truncate } from './width.js';

export interface InsightsTableOptions {
  paint: Painter;
  /** Terminal width: group columns that do not fit are left out (and named in `omitted`). Undefined = all. */
  columns?: number;
  /** Longest group heading, in cells (longer names are cut with `…`). Default 24. */
  maxHeading?: number;
}

export interface RenderedTable {
  text: string;
  /** Groups left out to fit `columns`, in rank order. */
  omitted: string[];
}

const GAP = '  ';

/**
 * `insights --format table`: one row per bucket (oldest first, empty ones included), a column per group in rank
 * order, then TOTAL, INSTALLATIONS (distinct per bucket; `~` = estimated) and FAILURES; a last row with the totals
 * over the range (its installations are distinct over the whole range, not the sum of the rows). Numbers are right
 * aligned; widths are measured in terminal cells, so names in any script line up.
 */
export function renderInsightsTable(a: InsightsAnswer, options: InsightsTableOptions): RenderedTable {
  const { paint } = options;
  const maxHeading = options.maxHeading ?? 24;
  const heads = a.groups.map((g) => truncate(printable(g), maxHeading));
  const rows: string[][] = a.buckets.map((b) => [
    bucketLabel(b.start, a.bucket),
    ...a.groups.map((g) => String(b.counts[g] ?? 0)),
    String(b.total),
    installationsText(b.installations),
    String(b.failures),
  ]);
  const totals = ['total', ...a.groups.map((g) => String(a.totals[g] ?? 0)), String(a.total_events), installationsText(a.installations), String(a.failures)];
  const header = [bucketHeading(a.bucket), ...heads, 'TOTAL', 'INSTALLATIONS', 'FAILURES'];
  const all = [header, ...rows, totals];
  const widths = header.map((_, c) => Math.max(...all.map((r) => displayWidth(r[c]!))));

  // Which group columns fit: the bucket and the three summary columns always stay.
  const groupCols = a.groups.length;
  const fixed = widths[0]! + widths.slice(groupCols + 1).reduce((s, w) => s + GAP.length + w, 0);
  let shown = groupCols;
  if (options.columns !== undefined) {
    let used = fixed;
    shown = 0;
    while (shown < groupCols && used + GAP.length + widths[shown + 1]! <= options.columns) used += GAP.length + widths[++shown]!;
  }
  const keep = (r: string[]): string[] => [r[0]!, ...r.slice(1, 1 + shown), ...r.slice(1 + groupCols)];
  const keptWidths = keep(widths.map(String)).map(Number);
  const line = (r: string[]): string => keep(r).map((cell, c) => pad(cell, keptWidths[c]!, c === 0 ? 'left' : 'right')).join(GAP).trimEnd();
  const rule = keptWidths.map((w) => '-'.repeat(w)).join(GAP);

  const out = [...titleLines(a, options.columns).map((t) => paint('bold', t)), '', paint('bold', line(header)), ...rows.map(line), rule, paint('bold', line(totals))];
  const note = estimateNote(a, EXACT_INSTALLATIONS_LIMIT);
  if (note !== undefined) out.push('', note);
  return { text: out.join('\n') + '\n', omitted: a.groups.slice(shown) };
}
