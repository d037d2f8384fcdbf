import { describe, expect, it } from 'vitest';
import { makeAnswer } from '../../test/cli/insightsAnswer.js';
import { painter } from '../style.js';
import { BAR_EIGHTHS, BAR_FULL } from './bars.js';
import { MIN_CHART_COLUMNS, renderInsightsChart } from './chart.js';
import { SPARK_ASCII, SPARK_UNICODE } from './sparkline.js';
import { displayWidth } from './width.js';

const plain = painter(false);
const lines = (text: string): string[] => text.trimEnd().split('\n');
/** The row whose label is `label`: [spark or bar part, number]. */
function row(text: string, label: string): string {
  const found = lines(text).find((l) => l.startsWith(label + ' '));
  if (found === undefined) throw new Error(`no row ${label} in\n${text}`);
  return found;
}
const eighthsOf = (s: string): number => [...s].reduce((n, c) => n + (c === BAR_FULL ? 8 : BAR_EIGHTHS.indexOf(c) + 1), 0);

// 31 days, three versions rising and falling, a few empty days.
const days = 31;
const month = makeAnswer({
  groups: ['1.2.0', '1.1.0', '1.0.0', 'other'],
  rows: Array.from({ length: days }, (_, d) => (d % 7 === 6 ? [0, 0, 0, 0] : [d * 4, Math.max(0, 60 - d * 2), Math.max(0, 30 - d * 3), d % 3])),
  installations: Array.from({ length: days }, (_, d) => (d % 7 === 6 ? 0 : 10 + d)),
  rangeInstallations: 57,
  failures: Array.from({ length: days }, (_, d) => (d === 20 ? 9 : d % 5 === 0 ? 1 : 0)),
});

describe('renderInsightsChart', () => {
  it('overview, a sparkline per group and the bars of the totals, numbers equal to the answer', () => {
    const text = renderInsightsChart(month, { ascii: false, columns: 80, paint: plain });
    expect(row(text, 'events').trimEnd().endsWith(` ${month.total_events}`)).toBe(true);
    expect(row(text, 'installations').endsWith(' 57')).toBe(true);
    expect(row(text, 'failures').endsWith(` ${month.failures}`)).toBe(true);
    const all = lines(text);
    const byAt = all.indexOf('by version');
    const totalsAt = all.indexOf('totals by version');
    expect(byAt).toBeGreaterThan(0);
    expect(totalsAt).toBeGreaterThan(byAt);
    // Group sparklines, in rank order, each ending in the group's total.
    expect(all.slice(byAt + 1, byAt + 1 + month.groups.length).map((l) => [l.split(/\s+/)[0], Number(l.split(/\s+/).pop())])).toEqual(month.groups.map((g) => [g, month.totals[g]]));
    // Bars, in rank order: label, total, bar.
    const bars = all.slice(totalsAt + 1, totalsAt + 1 + month.groups.length);
    expect(bars.map((l) => [l.split(/\s+/)[0], Number(l.split(/\s+/)[1])])).toEqual(month.groups.map((g) => [g, month.totals[g]]));
  });

  it('one mark per bucket when they fit; empty buckets are blanks', () => {
    const text = renderInsightsChart(month, { ascii: false, columns: 80, paint: plain });
    const events = row(text, 'events');
    const start = events.search(/[▁▂▃▄▅▆▇█]/);
    const marks = events.slice(start, start + days);
    month.buckets.forEach((b, i) => expect(marks[i] === ' ', `bucket ${i}`).toBe(b.total === 0));
    expect(marks.trim()).toMatch(/^[▁▂▃▄▅▆▇█ ]+$/);
    expect(text).not.toContain('each mark');
    // The axis names the first and the last bucket over the series.
    const axis = lines(text)[lines(text).indexOf('') + 1]!;
    expect(axis.trim()).toMatch(/^2025-01-06 +2025-02-05$/);
    // ...aligned with the first and the last mark.
    expect(axis.indexOf('2025-01-06')).toBe(start);
    expect(axis.length).toBe(start + days);
  });

  it('few buckets are drawn as wider columns (at most 4 cells each), the axis over the first and the last', () => {
    const week = makeAnswer({ groups: ['a', 'b'], rows: [[1, 0], [0, 0], [3, 1], [4, 2], [5, 0], [0, 3], [2, 2]] });
    const text = renderInsightsChart(week, { ascii: true, columns: 80, paint: plain });
    const events = row(text, 'events');
    const marks = events.slice('installations  '.length, 'installations  '.length + 28);
    expect(marks).toMatch(/^(?:(.)\1\1\1){7}$/);
    expect(marks.slice(4, 8)).toBe('    '); // the empty day
    const axis = lines(text)[lines(text).indexOf('') + 1]!;
    expect(axis.trim()).toBe('2025-01-06' + ' '.repeat(28 - 20) + '2025-01-12');
    expect(axis.length).toBe('installations  '.length + 28);
  });

  it('bars are proportional to the totals, the largest filling the width', () => {
    const columns = 100;
    const text = renderInsightsChart(month, { ascii: false, columns, paint: plain });
    const all = lines(text);
    const bars = all.slice(all.indexOf('totals by version') + 1).slice(0, month.groups.length);
    const max = Math.max(...month.groups.map((g) => month.totals[g]!));
    const area = columns - bars[0]!.indexOf(BAR_FULL);
    for (const [k, g] of month.groups.entries()) {
      const b = bars[k]!.slice(bars[k]!.search(/[█▏▎▍▌▋▊▉]/));
      expect(Math.abs(eighthsOf(b) - (month.totals[g]! / max) * area * 8), g).toBeLessThanOrEqual(1);
    }
    expect(displayWidth(bars[0]!)).toBe(columns);
  });

  it('never wider than the terminal, from the narrowest to a wide one, with many buckets and long names', () => {
    const long = makeAnswer({
      bucket: 'hour',
      by: 'platform',
      groups: ['linux-x64-with-a-very-long-platform-name', '版本版本版本版本版本版本版本', 'win32'],
      rows: Array.from({ length: 700 }, (_, i) => [i % 13, (i * 7) % 5, i % 2]),
    });
    for (const columns of [MIN_CHART_COLUMNS, 50, 80, 132, 200]) {
      for (const ascii of [true, false]) {
        const text = renderInsightsChart(long, { ascii, columns, paint: plain });
        for (const l of lines(text)) expect(displayWidth(l), `${columns} ${ascii}: ${l}`).toBeLessThanOrEqual(columns);
        // 700 buckets do not fit: merged, and said so.
        expect(text).toMatch(/each mark: \d+ hours\ninstallations: the most in one hour/);
      }
    }
    // Narrower than the minimum is drawn at the minimum.
    const tiny = renderInsightsChart(long, { ascii: true, columns: 10, paint: plain });
    expect(Math.max(...lines(tiny).map(displayWidth))).toBeLessThanOrEqual(MIN_CHART_COLUMNS);
  });

  it('merged buckets add up: the events line keeps its total', () => {
    const many = makeAnswer({ bucket: 'minute', groups: ['a'], rows: Array.from({ length: 500 }, (_, i) => [i % 10 === 0 ? 5 : 1]) });
    const text = renderInsightsChart(many, { ascii: true, columns: 60, paint: plain });
    expect(row(text, 'events').endsWith(` ${many.total_events}`)).toBe(true);
    // Every mark stands for `per` minutes (the last run maybe fewer): ceil(500 / per) marks, none blank here.
    const per = Number(/each mark: (\d+) minutes/.exec(text)![1]);
    const marks = row(text, 'events').slice('installations  '.length).replace(/ +\d+$/, '');
    expect(marks).toHaveLength(Math.ceil(500 / per));
    expect(marks).toMatch(/^[_.\-=#]+$/);
    expect(marks.length).toBeLessThanOrEqual(60);
  });

  it('ASCII mode is plain ASCII; unicode mode uses block characters', () => {
    const ascii = renderInsightsChart(month, { ascii: true, columns: 80, paint: plain });
    expect(ascii).toMatch(/^[\x20-\x7e\n]*$/);
    expect(ascii).toContain('#');
    for (const c of SPARK_ASCII) expect(ascii).toContain(c);
    const unicode = renderInsightsChart(month, { ascii: false, columns: 80, paint: plain });
    expect(unicode).toContain(BAR_FULL);
    expect(SPARK_UNICODE.some((c) => unicode.includes(c))).toBe(true);
    expect(unicode).not.toMatch(/[#=]/);
  });

  it('no groups (nothing counted): the overview only, blanks, zeros', () => {
    const empty = makeAnswer({ groups: [], rows: [[], [], []] });
    const text = renderInsightsChart(empty, { ascii: true, columns: 80, paint: plain });
    expect(row(text, 'events')).toMatch(/^events\s+0$/);
    expect(text).not.toContain('totals by');
  });

  it('estimated installations carry ~ and the footnote; names are shown escaped', () => {
    const est = makeAnswer({ groups: ['\u009b31mred'], rows: [[20_000]], installations: [12_000], rangeInstallations: 12_000, estimated: true });
    const text = renderInsightsChart(est, { ascii: true, columns: 80, paint: plain });
    expect(row(text, 'installations').endsWith(' ~12000')).toBe(true);
    expect(text).toContain('~ = estimated (over 10000 installations)');
    expect(text).not.toContain('\u009b');
    expect(text).toContain('\\u009b31mred');
  });
});
