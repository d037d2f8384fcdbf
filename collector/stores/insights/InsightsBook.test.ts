import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeverityNumber } from '../../../core/logTypes.js';
import { levelOf } from '../../../core/line.js';
import type { TelemetryLine } from '../../../core/record.js';
import { computeInsights } from '../../../query/insights/compute.js';
import { EXACT_INSTALLATIONS_LIMIT, type InsightsAnswer, type InsightsQuery } from '../../../query/insights/types.js';
import type { StoreEvent } from '../TelemetryStore.js';
import { InsightsBook, type NotRolledUp } from './InsightsBook.js';

const H = 3_600_000;
const D = 86_400_000;
const NOW = Date.parse('2025-03-20T10:30:00.000Z');
const DAY0 = Date.parse('2025-03-20T00:00:00.000Z');

function answered(a: InsightsAnswer | NotRolledUp): InsightsAnswer {
  if ('reason' in a) throw new Error(`not rolled up: ${a.field}: ${a.reason}`);
  return a;
}

/** The line JsonlStore writes for an event (core/line.ts), as the reference reads it back. */
function lineOf(e: StoreEvent): TelemetryLine {
  const l: TelemetryLine = { ts: new Date(Math.floor(e.timestamp)).toISOString(), scenario: e.scenario, event: e.event };
  if (e.deploymentId !== undefined) l.deployment_id = e.deploymentId;
  if (e.installationId !== undefined) l.installation_id = e.installationId;
  const level = e.severityNumber === undefined ? undefined : levelOf(e.severityNumber);
  if (level !== undefined) l.level = level;
  if (e.details !== undefined) l.details = e.details;
  return l;
}

const arbEvent = fc
  .record({
    offset: fc.integer({ min: -20 * D, max: 2 * H }),
    event: fc.constantFrom('app_start', 'command', 'crash', 'migration_failed', 'other'),
    severity: fc.option(fc.constantFrom(SeverityNumber.INFO, SeverityNumber.WARN, SeverityNumber.ERROR, SeverityNumber.FATAL), { nil: undefined }),
    dep: fc.option(fc.constantFrom('d1', 'd2', ''), { nil: undefined }),
    inst: fc.option(fc.constantFrom('i1', 'i2', 'i3', 'i4', 'i5', 'i6'), { nil: undefined }),
    version: fc.option(fc.oneof(fc.constantFrom('1.0', '1.1', '(none)'), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.constant(null)), { nil: undefined }),
    platform: fc.option(fc.constantFrom('linux', 'darwin'), { nil: undefined }),
    asLine: fc.boolean(),
  })
  .map(({ offset, event, severity, dep, inst, version, platform, asLine }) => {
    const e: StoreEvent = { scenario: 'app', event, timestamp: NOW + offset };
    if (severity !== undefined) e.severityNumber = severity;
    if (dep !== undefined) e.deploymentId = dep;
    if (inst !== undefined) e.installationId = inst;
    if (version !== undefined || platform !== undefined) e.details = { ...(version !== undefined ? { version } : {}), ...(platform !== undefined ? { platform } : {}) };
    return { e, asLine };
  });

const arbQuery = fc
  .record({
    bucket: fc.constantFrom('minute' as const, 'hour' as const, 'day' as const, 'week' as const),
    fromSlots: fc.integer({ min: 0, max: 400 }),
    spanSlots: fc.integer({ min: 1, max: 600 }),
    by: fc.constantFrom('event', 'level', 'deployment_id', 'version', 'platform'),
    top: fc.integer({ min: 1, max: 6 }),
    event: fc.option(fc.constantFrom('app_start', 'crash', 'nope'), { nil: undefined }),
  })
  .map(({ bucket, fromSlots, spanSlots, by, top, event }): InsightsQuery => {
    // Minute queries inside the 48 h horizon; others anywhere, on hour boundaries.
    const slot = bucket === 'minute' ? 60_000 : H;
    const base = bucket === 'minute' ? DAY0 - D : DAY0 - 21 * D;
    const from = base + fromSlots * slot;
    const q: InsightsQuery = { scenario: 'app', from, to: Math.min(from + spanSlots * slot, bucket === 'minute' ? from + 2000 * slot : Infinity), bucket, by, top };
    if (bucket === 'week') q.to = Math.min(q.to, from + 300 * 7 * D);
    if (event !== undefined) q.event = event;
    return q;
  });

describe('InsightsBook', () => {
  it('answers exactly what the reference computes from the same lines (any grouping rolled up, top, event filter, bucket)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbEvent, { maxLength: 80 }), fc.array(arbQuery, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 * H }), async (events, queries, later) => {
        let now = NOW;
        const book = new InsightsBook({ now: () => now });
        const lines: TelemetryLine[] = [];
        for (const [i, { e, asLine }] of events.entries()) {
          const line = lineOf(e);
          lines.push(line);
          if (asLine) book.addLine('app', line, Date.parse(line.ts));
          else book.addEvent('app', e);
          if (i === Math.floor(events.length / 2)) now += later; // minute slots fold into hours as time passes
        }
        for (const q of queries) {
          const got = book.answer(q);
          if ('reason' in got) {
            // Only a minute query before the horizon may be refused here.
            expect(q.bucket).toBe('minute');
            expect(got.field).toBe('bucket');
            continue;
          }
          expect(got).toEqual(await computeInsights(q, lines));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('folds minute slots behind the horizon into their hours; minute buckets before it are refused, naming bucket', () => {
    let now = NOW;
    const book = new InsightsBook({ now: () => now, minuteHorizonMs: 2 * H });
    book.addEvent('app', { scenario: 'app', event: 'a', timestamp: NOW - 30 * 60_000, installationId: 'x' });
    book.addEvent('app', { scenario: 'app', event: 'a', timestamp: NOW - 3 * H });
    const minuteQ: InsightsQuery = { scenario: 'app', from: NOW - H, to: NOW, bucket: 'minute', by: 'event', top: 10 };
    expect(answered(book.answer(minuteQ)).total_events).toBe(1);
    expect(book.stats()).toMatchObject({ hourSlots: 1, minuteSlots: 1 });
    now += 3 * H;
    book.addEvent('app', { scenario: 'app', event: 'a', timestamp: now });
    expect(book.stats()).toMatchObject({ hourSlots: 2, minuteSlots: 1 });
    expect(book.answer(minuteQ)).toMatchObject({ field: 'bucket' });
    const dayQ: InsightsQuery = { scenario: 'app', from: DAY0, to: DAY0 + D, bucket: 'day', by: 'event', top: 10 };
    expect(answered(book.answer(dayQ))).toMatchObject({ total_events: 3, installations: { count: 1, estimated: false } });
  });

  it('says what it cannot answer: a details key not rolled up, a range off slot boundaries, a grouping past its cap', () => {
    const book = new InsightsBook({ now: () => NOW, maxGroupValues: 3 });
    for (const v of ['1', '2', '3']) book.addEvent('app', { scenario: 'app', event: 'a', timestamp: NOW, details: { version: v, platform: v } });
    const q: InsightsQuery = { scenario: 'app', from: DAY0, to: DAY0 + D, bucket: 'day', by: 'version', top: 10 };
    expect(answered(book.answer(q)).totals).toEqual({ '1': 1, '2': 1, '3': 1 });
    book.addEvent('app', { scenario: 'app', event: 'a', timestamp: NOW, details: { version: '4' } });
    expect(book.answer(q)).toMatchObject({ field: 'by' });
    expect(book.answer({ ...q, by: 'platform' })).toMatchObject({ field: 'by' }); // 3 values + (none)
    expect(answered(book.answer({ ...q, by: 'event' })).total_events).toBe(4);
    expect(book.answer({ ...q, by: 'arch' })).toMatchObject({ field: 'by', reason: expect.stringContaining('not rolled up') });
    expect(book.answer({ ...q, by: 'event', from: DAY0 + 1 })).toMatchObject({ field: 'from' });
    // An unknown scenario: no events, every bucket.
    expect(answered(book.answer({ ...q, scenario: 'nope', by: 'event' }))).toMatchObject({ total_events: 0, groups: [], buckets: [{ total: 0 }] });
  });

  it('installations above the limit: the same estimate as the reference, per bucket and in total', async () => {
    const book = new InsightsBook({ now: () => NOW });
    const lines: TelemetryLine[] = [];
    const n = EXACT_INSTALLATIONS_LIMIT + 2_500;
    for (let i = 0; i < n; i++) {
      // One hour holds more than the limit in one cell (a sketch); other ids spread over two days.
      const e: StoreEvent = { scenario: 'app', event: i % 2 === 0 ? 'a' : 'b', timestamp: i < 11_000 ? DAY0 - D + 5 * H : DAY0 - D + (i % 40) * H, installationId: `inst-${i % (n - 100)}` };
      if (i < 11_000) e.event = 'a';
      book.addEvent('app', e);
      lines.push(lineOf(e));
    }
    for (const bucket of ['hour', 'day', 'week'] as const) {
      for (const event of [undefined, 'a', 'b']) {
        const q: InsightsQuery = { scenario: 'app', from: DAY0 - 2 * D, to: DAY0 + D, bucket, by: 'event', top: 10 };
        if (event !== undefined) q.event = event;
        const got = answered(book.answer(q));
        expect(got).toEqual(await computeInsights(q, lines));
        if (event !== 'b') expect(got.installations.estimated).toBe(true);
      }
    }
  });

  it('a rebuild counts afresh and keeps what was added meanwhile', async () => {
    const book = new InsightsBook({ now: () => NOW });
    const keep: TelemetryLine = lineOf({ scenario: 'app', event: 'kept', timestamp: NOW - D, installationId: 'k' });
    book.addLine('app', lineOf({ scenario: 'app', event: 'expired', timestamp: NOW - 10 * D }), NOW - 10 * D);
    book.addLine('app', keep, Date.parse(keep.ts));
    const during: StoreEvent = { scenario: 'app', event: 'during', timestamp: NOW - H, details: { version: '9' } };
    await book.rebuild(async (fresh) => {
      fresh.touch('app');
      await new Promise((r) => setTimeout(r, 5));
      book.addEvent('app', during); // an append while the files are read
      fresh.addLine('app', keep, Date.parse(keep.ts));
    });
    const q: InsightsQuery = { scenario: 'app', from: DAY0 - 14 * D, to: DAY0 + D, bucket: 'day', by: 'event', top: 10 };
    expect(answered(book.answer(q))).toEqual(await computeInsights(q, [keep, lineOf(during)]));
  });

  it('a total memory bound: past maxBytes the oldest hours are dropped; ranges reaching back to them are refused (scan), the rest equal the reference', async () => {
    const maxBytes = 100_000;
    const book = new InsightsBook({ now: () => NOW, maxBytes });
    const lines: Record<string, TelemetryLine[]> = { app: [], web: [] };
    // 1,000 hours of one event each, two scenarios interleaved: about 700 KB estimated, 7x the bound.
    for (let h = 1000; h >= 1; h--) {
      const scenario = h % 2 === 0 ? 'app' : 'web';
      const e: StoreEvent = { scenario, event: h % 7 === 0 ? 'crash' : 'app_start', timestamp: DAY0 - h * H + 60_000, installationId: `i${h % 13}`, details: { version: `1.${h % 3}` } };
      book.addEvent(scenario, e);
      lines[scenario]!.push(lineOf(e));
    }
    const stats = book.stats();
    expect(stats.droppedSlots).toBeGreaterThan(0);
    expect(stats.estimatedBytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.hourSlots).toBeLessThan(1000);
    // The newest hours are kept (both scenarios), the oldest gone: an old range is refused naming from and the bound.
    const recent: InsightsQuery = { scenario: 'app', from: DAY0 - 2 * D, to: DAY0, bucket: 'hour', by: 'version', top: 10 };
    for (const scenario of ['app', 'web']) {
      expect(answered(book.answer({ ...recent, scenario }))).toEqual(await computeInsights({ ...recent, scenario }, lines[scenario]!));
      const old = book.answer({ ...recent, scenario, from: DAY0 - 40 * D });
      expect(old).toMatchObject({ field: 'from', reason: expect.stringContaining('TELEMETRY_INSIGHTS_MAX_MB') });
    }
    // A late event for a dropped hour is not added (the file has it; the scan answers that range); newer answers stay exact.
    const late: StoreEvent = { scenario: 'app', event: 'late', timestamp: DAY0 - 999 * H };
    book.addEvent('app', late);
    lines.app!.push(lineOf(late));
    expect(answered(book.answer(recent))).toEqual(await computeInsights(recent, lines.app!));
  });

  it('answers equal the reference across the bound for any events and queries (what it answers), and it answers the newest ranges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbEvent, { minLength: 50, maxLength: 300 }), fc.array(arbQuery, { minLength: 1, maxLength: 4 }), fc.integer({ min: 20_000, max: 60_000 }), async (events, queries, maxBytes) => {
        const book = new InsightsBook({ now: () => NOW, maxBytes });
        const lines: TelemetryLine[] = [];
        for (const { e, asLine } of events) {
          const line = lineOf(e);
          lines.push(line);
          if (asLine) book.addLine('app', line, Date.parse(line.ts));
          else book.addEvent('app', e);
        }
        // Walks are spaced by twice the growth per add last seen: a burst growing faster passes the bound by a little
        // until the next walk.
        expect(book.stats().estimatedBytes).toBeLessThanOrEqual(maxBytes * 1.25);
        for (const q of queries) {
          const got = book.answer(q);
          if ('reason' in got) {
            expect(['from', 'bucket']).toContain(got.field);
            continue;
          }
          expect(got).toEqual(await computeInsights(q, lines));
        }
        // The newest hour is always kept (the bound drops oldest first and stops below 80%).
        const last: InsightsQuery = { scenario: 'app', from: Math.floor(NOW / H) * H + H, to: Math.floor(NOW / H) * H + 4 * H, bucket: 'hour', by: 'event', top: 10 };
        expect(answered(book.answer(last))).toEqual(await computeInsights(last, lines));
      }),
      { numRuns: 150 },
    );
  });
});
