import { printable } from '../../core/sanitize.js';
import { EXACT_INSTALLATIONS_LIMIT, type InsightsAnswer } from '../../query/insights/types.js';
import type { Painter } from '../style.js';
import { bar } from './bars.js';
import { bucketLabel, bucketUnit, estimateNote, installationsText, titleLines } from './labels.js';
import { resample, sparkline, widen } from './sparkline.js';
import { displayWidth, pad, truncate } from './width.js';

export interface InsightsChartOptions {
  /** Plain ASCII marks (`_.-=#`, `#` bars) instead of block characters. */
  ascii: boolean;
  /** Width to fit, in cells (at least MIN_CHART_COLUMNS is used). */
  columns: number;
  paint: Painter;
}

const GAP = '  ';
/** Longest label; a wider terminal gives the room to the series, not to names. */
const MAX_LABEL = 24;
/** Narrowest sparkline or bar area, even on a very narrow terminal (the line is then wider than asked). */
const MIN_AREA = 8;
/** Widest column per bucket when few buckets leave room: wider would read as bars, not as a series. */
const MAX_MARK_WIDTH = 4;
/** Narrowest layout: below this the notes and labels no longer fit, so the chart is drawn this wide. */
export const MIN_CHART_COLUMNS = 40;
const MIN_COLUMNS = MIN_CHART_COLUMNS;
/** The longest overview label. */
const OVERVIEW_LABEL = 'installations';

/**
 * `insights --format chart`: the answer drawn for a terminal, `columns` wide.
 * 1. Overview: sparklines of events, installations and failures per bucket, each with its total.
 * 2. A sparkline per group (rank order, `other` last) with the group's total.
 * 3. Totals per group as horizontal bars, the largest filling the width.
 * When there are more buckets than cells, neighbouring buckets are merged (counts added; installations: the largest
 * bucket of the run, since the same installation is in many buckets) and a line says how many each mark stands for;
 * when there are far fewer, each bucket is drawn up to MAX_MARK_WIDTH cells wide.
 */
export function renderInsightsChart(a: InsightsAnswer, options: InsightsChartOptions): string {
  const { ascii, paint } = options;
  const columns = Math.max(MIN_COLUMNS, options.columns);
  const ellipsis = ascii ? '~' : '…';
  const numbers = [String(a.total_events), installationsText(a.installations), String(a.failures), ...a.groups.map((g) => String(a.totals[g] ?? 0))];
  const numW = Math.max(...numbers.map((n) => n.length));
  // Labels get what they need up to MAX_LABEL, but never the room of the narrowest series.
  const labelRoom = Math.max(OVERVIEW_LABEL.length, Math.min(MAX_LABEL, columns - numW - 2 * GAP.length - MIN_AREA));
  const label = (s: string): string => truncate(printable(s), labelRoom, ellipsis);
  const groupLabels = a.groups.map(label);
  const labelW = Math.max(OVERVIEW_LABEL.length, ...groupLabels.map(displayWidth));
  const area = Math.max(MIN_AREA, columns - labelW - numW - 2 * GAP.length);

  const series = (pick: (i: number) => number, merge: 'sum' | 'max') => resample(a.buckets.map((_, i) => pick(i)), area, merge);
  const events = series((i) => a.buckets[i]!.total, 'sum');
  const markWidth = events.per > 1 ? 1 : Math.max(1, Math.min(MAX_MARK_WIDTH, Math.floor(area / Math.max(1, events.values.length))));
  const seriesWidth = events.values.length * markWidth;
  const sparkRow = (name: string, values: number[], total: string): string =>
    pad(name, labelW) + GAP + pad(widen(sparkline(values, ascii), markWidth), seriesWidth) + GAP + pad(total, numW, 'right');

  const out: string[] = [...titleLines(a, columns, ellipsis).map((t) => paint('bold', t)), ''];
  const axis = axisLine(a, labelW + GAP.length, seriesWidth);
  if (axis !== undefined) out.push(paint('dim', truncate(axis, columns, '')));
  out.push(sparkRow('events', events.values, String(a.total_events)));
  out.push(sparkRow('installations', series((i) => a.buckets[i]!.installations.count, 'max').values, installationsText(a.installations)));
  out.push(sparkRow('failures', series((i) => a.buckets[i]!.failures, 'sum').values, String(a.failures)));
  if (events.per > 1) out.push(paint('dim', `each mark: ${bucketUnit(a.bucket, events.per)}`), paint('dim', `installations: the most in one ${a.bucket}`));

  if (a.groups.length > 0) {
    out.push('', paint('bold', `by ${label(a.by)}`));
    a.groups.forEach((g, k) => out.push(sparkRow(groupLabels[k]!, series((i) => a.buckets[i]!.counts[g] ?? 0, 'sum').values, String(a.totals[g] ?? 0))));

    out.push('', paint('bold', `totals by ${label(a.by)}`));
    const max = Math.max(0, ...a.groups.map((g) => a.totals[g] ?? 0));
    a.groups.forEach((g, k) => {
      const n = a.totals[g] ?? 0;
      out.push((pad(groupLabels[k]!, labelW) + GAP + pad(String(n), numW, 'right') + GAP + bar(n, max, area, ascii)).trimEnd());
    });
  }
  const note = estimateNote(a, EXACT_INSTALLATIONS_LIMIT);
  if (note !== undefined) out.push('', note);
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

/** The first bucket's label at the left of the series and the last one's at its right end, when both fit. */
function axisLine(a: InsightsAnswer, indent: number, width: number): string | undefined {
  const first = a.buckets[0];
  const last = a.buckets[a.buckets.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const left = bucketLabel(first.start, a.bucket);
  if (first === last) return ' '.repeat(indent) + left;
  const right = bucketLabel(last.start, a.bucket);
  if (left.length + 1 + right.length > width) return ' '.repeat(indent) + left;
  return ' '.repeat(indent) + left + ' '.repeat(width - left.length - right.length) + right;
}
