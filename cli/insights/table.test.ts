import { describe, expect, it } from 'vitest';
import { makeAnswer } from '../../test/cli/insightsAnswer.js';
import { painter } from '../style.js';
import { renderInsightsTable } from './table.js';
import { displayWidth } from './width.js';

const plain = painter(false);
/** The lines after the title and its blank line. */
const body = (text: string): string[] => {
  const lines = text.trimEnd().split('\n');
  return lines.slice(lines.indexOf('') + 1);
};

describe('renderInsightsTable', () => {
  const a = makeAnswer({
    groups: ['1.2.0', '1.1.0', 'other'],
    rows: [
      [0, 0, 0],
      [5, 12, 1],
      [40, 3, 0],
    ],
    installations: [0, 9, 21],
    rangeInstallations: 25,
    failures: [0, 2, 1],
  });

  it('a header, a row per bucket (empty ones too), a rule and the totals row; groups in rank order, then TOTAL, INSTALLATIONS, FAILURES', () => {
    const { text, omitted } = renderInsightsTable(a, { paint: plain });
    expect(omitted).toEqual([]);
    const lines = body(text);
    expect(lines).toHaveLength(1 + 3 + 2);
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['DAY (UTC)', '1.2.0', '1.1.0', 'other', 'TOTAL', 'INSTALLATIONS', 'FAILURES']);
    const cells = lines.slice(1, 4).map((l) => l.split(/\s+/));
    expect(cells.map((c) => c[0])).toEqual(['2025-01-06', '2025-01-07', '2025-01-08']);
    a.buckets.forEach((b, i) => {
      expect(cells[i]!.slice(1).map(Number)).toEqual([...a.groups.map((g) => b.counts[g]), b.total, b.installations.count, b.failures]);
    });
    expect(lines[4]).toMatch(/^-+( +-+){6}$/);
    // Installations over the range are distinct over the range: 25, not 0 + 9 + 21.
    expect(lines[5]!.split(/\s+/)).toEqual(['total', '45', '15', '1', '61', '25', '3']);
  });

  it('numbers are right-aligned: every row ends in the same column', () => {
    const lines = body(renderInsightsTable(a, { paint: plain }).text);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('the title says scenario, events, grouping, bucket, event filter and the range', () => {
    const t = renderInsightsTable(makeAnswer({ groups: ['x'], rows: [[3]], event: 'app_start', by: 'platform' }), { paint: plain }).text.split('\n')[0];
    expect(t).toBe('picker-wheel: 3 events by platform per day, only app_start, from 2025-01-06T00:00:00.000Z to 2025-01-07T00:00:00.000Z');
  });

  it('hours and minutes are labelled with the time, weeks by their Monday', () => {
    const hours = body(renderInsightsTable(makeAnswer({ bucket: 'hour', groups: ['x'], rows: [[1], [2]], start: Date.UTC(2025, 0, 6, 22) }), { paint: plain }).text);
    expect(hours[0]).toMatch(/^HOUR \(UTC\)/);
    expect(hours.slice(1, 3).map((l) => l.slice(0, 16))).toEqual(['2025-01-06 22:00', '2025-01-06 23:00']);
    const weeks = body(renderInsightsTable(makeAnswer({ bucket: 'week', groups: ['x'], rows: [[1], [2]] }), { paint: plain }).text);
    expect(weeks[0]).toMatch(/^WEEK OF \(UTC\)/);
    expect(weeks.slice(1, 3).map((l) => l.slice(0, 10))).toEqual(['2025-01-06', '2025-01-13']);
  });

  it('on a narrow terminal the group columns that do not fit are left out, in rank order, and named', () => {
    const many = makeAnswer({ groups: Array.from({ length: 10 }, (_, i) => `version-${i}.0.0`), rows: [Array.from({ length: 10 }, (_, i) => 100 - i)] });
    const { text, omitted } = renderInsightsTable(many, { paint: plain, columns: 80 });
    const lines = body(text);
    for (const l of text.trimEnd().split('\n')) expect(l.length).toBeLessThanOrEqual(80); // the title too, on two lines
    const shown = lines[0]!.split(/\s{2,}/).slice(1, -3);
    expect(shown.length).toBeGreaterThan(0);
    expect([...shown, ...omitted]).toEqual(many.groups);
    expect(lines[0]).toMatch(/TOTAL\s+INSTALLATIONS\s+FAILURES$/);
    // Without a terminal width every column is printed.
    expect(renderInsightsTable(many, { paint: plain }).omitted).toEqual([]);
  });

  it('estimated installation counts carry ~ and a footnote', () => {
    const est = makeAnswer({ groups: ['x'], rows: [[20_000]], installations: [15_000], rangeInstallations: 15_000, estimated: true });
    const text = renderInsightsTable(est, { paint: plain }).text;
    expect(text).toMatch(/~15000/);
    expect(text).toMatch(/~ = estimated \(over 10000 installations\)\n$/);
    expect(renderInsightsTable(a, { paint: plain }).text).not.toContain('~');
  });

  it('group names from stored events: control characters shown escaped, long names cut, wide characters aligned', () => {
    const odd = makeAnswer({ groups: ['\u001b[2Jevil', '版本二', 'x'.repeat(60)], rows: [[1, 2, 3], [4, 5, 6]] });
    const text = renderInsightsTable(odd, { paint: plain }).text;
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\u001b[2Jevil');
    expect(text).toContain('x'.repeat(23) + '…');
    const lines = body(text);
    expect(new Set(lines.map(displayWidth)).size).toBe(1);
  });

  it('bold header and totals only when painting', () => {
    const coloured = renderInsightsTable(a, { paint: painter(true) }).text;
    expect(coloured).toContain('\u001b[1mDAY (UTC)');
    expect(renderInsightsTable(a, { paint: plain }).text).not.toContain('\u001b[');
  });
});
