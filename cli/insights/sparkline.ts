/**
 * A series as one line of text, one character per value: eight block heights on a terminal that can show them,
 * five ASCII levels elsewhere (a pipe, a log file, `NO_COLOR`, `--ascii`). Zero is a blank, so the days without
 * any event stand out as gaps; any value above zero shows at least the lowest mark. Each line is scaled to its own
 * maximum: it shows the shape of one series (the totals beside it, and the bar chart, compare series).
 */

export const SPARK_UNICODE: readonly string[] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
export const SPARK_ASCII: readonly string[] = ['_', '.', '-', '=', '#'];

export function sparkline(values: readonly number[], ascii: boolean): string {
  const marks = ascii ? SPARK_ASCII : SPARK_UNICODE;
  let max = 0;
  for (const v of values) if (v > max) max = v;
  let out = '';
  for (const v of values) {
    if (!(v > 0)) {
      out += ' ';
      continue;
    }
    // ceil: the maximum is the full mark, the smallest non-zero value the lowest one.
    const level = Math.min(marks.length, Math.max(1, Math.ceil((v / max) * marks.length)));
    out += marks[level - 1];
  }
  return out;
}

export interface Resampled {
  values: number[];
  /** Source values per output value (1 when nothing was merged). */
  per: number;
}

/**
 * Fit a series into `width` values by merging runs of `per` neighbours (`per` = the smallest whole number that
 * fits): `sum` for counts, `max` for numbers that cannot be added (distinct installations per bucket: the same
 * installation is often in several buckets). The last run may be shorter. A series that fits is returned as is.
 */
export function resample(values: readonly number[], width: number, merge: 'sum' | 'max'): Resampled {
  const w = Math.max(1, Math.floor(width));
  if (values.length <= w) return { values: [...values], per: 1 };
  const per = Math.ceil(values.length / w);
  const out: number[] = [];
  for (let i = 0; i < values.length; i += per) {
    let acc = 0;
    for (let j = i; j < Math.min(values.length, i + per); j++) acc = merge === 'sum' ? acc + values[j]! : Math.max(acc, values[j]!);
    out.push(acc);
  }
  return { values: out, per };
}

/** Each mark `times` cells wide: a short series (two weeks of days) drawn as columns across the room it has. */
export function widen(line: string, times: number): string {
  if (times <= 1) return line;
  let out = '';
  for (const mark of line) out += mark.repeat(times);
  return out;
}
