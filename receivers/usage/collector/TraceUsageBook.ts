import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { isSafeScenario } from '../../../core/scenario.js';
import { MAX_COUNTER_NAME_LENGTH } from '../UsageCounters.js';
import type { MetricPoint } from './metricsUsage.js';
import type { TraceUsageResult } from './traceUsage.js';

export const TRACE_USAGE_FILE = 'trace-usage.json';

/** What a scenario's summary shows from traces and metrics: commands by span name, exceptions, counters by name. */
export interface TraceUsageSummary {
  commands: Record<string, number>;
  errors: number;
  /** Counters from OTLP metrics (`POST /v1/metrics`), by metric name; present once the scenario received any. */
  metrics?: Record<string, number>;
}

interface Entry {
  commands: Map<string, number>;
  errors: number;
  metrics: Map<string, number>;
}

/** The last cumulative value seen of one series (hashed id), and the start time it counts from. */
interface Series {
  start: string;
  value: number;
}

function sortedRecord(map: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [...map.keys()].sort()) Object.defineProperty(out, name, { value: map.get(name), enumerable: true, writable: true, configurable: true });
  return out;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= Number.MAX_SAFE_INTEGER;

/**
 * Per-scenario usage counted from OTLP traces and metrics on the collector, kept in memory and in
 * `{dir}/trace-usage.json` (atomic rewrite, 0600) so it survives restarts like the stored events do. Spans and data
 * points themselves are never stored; of cumulative counters only a hashed series id, its start time and last value.
 * Bounded: at most `maxScenarios` scenarios, `maxNames` command and metric names each and `maxSeries` cumulative
 * series (the least recently updated is forgotten); the rest is refused and counted.
 */
export class TraceUsageBook {
  readonly dir: string;
  /** Commands and metric data points refused because a bound was reached. */
  refused = 0;
  /** Metric data points acknowledged but not counted (gauges, histograms, summaries, up-down counters). */
  ignoredDataPoints = 0;
  private readonly maxScenarios: number;
  private readonly maxNames: number;
  private readonly maxSeries: number;
  private readonly entries = new Map<string, Entry>();
  /** Cumulative series by hashed id, least recently updated first (the oldest is forgotten beyond maxSeries). */
  private readonly series = new Map<string, Series>();

  constructor(dir: string, options: { maxScenarios?: number; maxNames?: number; maxSeries?: number } = {}) {
    this.dir = dir;
    this.maxScenarios = options.maxScenarios ?? 1000;
    this.maxNames = options.maxNames ?? 500;
    this.maxSeries = options.maxSeries ?? 10_000;
    this.load();
  }

  get(scenario: string): TraceUsageSummary | undefined {
    const e = this.entries.get(scenario);
    if (e === undefined) return undefined;
    const out: TraceUsageSummary = { commands: sortedRecord(e.commands), errors: e.errors };
    if (e.metrics.size > 0) out.metrics = sortedRecord(e.metrics);
    return out;
  }

  /**
   * Merge one metrics request's counter points and save. Delta points add their value. Cumulative points add only
   * what grew since the last value of their series (same scenario, resource, metric name and attribute set); the
   * first value of a series, a new start time or a smaller value (the sender restarted) counts in full. The last
   * values are saved with the counts, so a collector restart does not count an exporter's totals again.
   * Returns how many points were refused by the bounds.
   */
  addMetrics(points: readonly MetricPoint[], ignored = 0): number {
    this.ignoredDataPoints += ignored;
    let refused = 0;
    let changed = false;
    for (const p of points) {
      let amount = p.value;
      if (p.cumulative) {
        const last = this.series.get(p.series);
        if (last !== undefined && last.start === p.start && p.value >= last.value) amount = p.value - last.value;
        this.series.delete(p.series);
        this.series.set(p.series, { start: p.start, value: p.value });
        if (this.series.size > this.maxSeries) this.series.delete(this.series.keys().next().value!);
        changed = true;
      }
      let e = this.entries.get(p.scenario);
      if (e === undefined) {
        if (this.entries.size >= this.maxScenarios) {
          refused++;
          continue;
        }
        this.entries.set(p.scenario, (e = { commands: new Map(), errors: 0, metrics: new Map() }));
      }
      const before = e.metrics.get(p.name);
      if (before === undefined && e.metrics.size >= this.maxNames) {
        refused++;
        continue;
      }
      if (amount === 0 && before !== undefined) continue;
      e.metrics.set(p.name, Math.min(Number.MAX_SAFE_INTEGER, (before ?? 0) + amount));
      changed = true;
    }
    this.refused += refused;
    if (changed) this.save();
    return refused;
  }

  scenarios(): string[] {
    return [...this.entries.keys()];
  }

  /** Merge one request's usage and save. Returns how many commands were refused by the bounds. */
  add(result: TraceUsageResult): number {
    let refused = 0;
    for (const [scenario, usage] of result.byScenario) {
      let e = this.entries.get(scenario);
      if (e === undefined) {
        if (this.entries.size >= this.maxScenarios) {
          for (const n of usage.commands.values()) refused += n;
          continue;
        }
        this.entries.set(scenario, (e = { commands: new Map(), errors: 0, metrics: new Map() }));
      }
      e.errors = Math.min(Number.MAX_SAFE_INTEGER, e.errors + usage.errors);
      for (const [name, n] of usage.commands) {
        const before = e.commands.get(name);
        if (before === undefined && e.commands.size >= this.maxNames) {
          refused += n;
          continue;
        }
        e.commands.set(name, Math.min(Number.MAX_SAFE_INTEGER, (before ?? 0) + n));
      }
    }
    this.refused += refused;
    if (result.byScenario.size > 0) this.save();
    return refused;
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(join(this.dir, TRACE_USAGE_FILE), 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = JSON.parse(text) as { scenarios?: Record<string, { commands?: Record<string, unknown>; errors?: unknown; metrics?: Record<string, unknown> }>; series?: Record<string, unknown> };
      for (const [scenario, v] of Object.entries(parsed.scenarios ?? {})) {
        if (!isSafeScenario(scenario) || v === null || typeof v !== 'object' || this.entries.size >= this.maxScenarios) continue;
        const e: Entry = { commands: new Map(), errors: typeof v.errors === 'number' && Number.isSafeInteger(v.errors) && v.errors > 0 ? v.errors : 0, metrics: new Map() };
        for (const [name, n] of Object.entries(v.commands ?? {})) {
          if (name.length > 0 && name.length <= MAX_COUNTER_NAME_LENGTH && typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && e.commands.size < this.maxNames) e.commands.set(name, n);
        }
        for (const [name, n] of Object.entries(v.metrics ?? {})) {
          if (name.length > 0 && name.length <= MAX_COUNTER_NAME_LENGTH && isCount(n) && e.metrics.size < this.maxNames) e.metrics.set(name, n);
        }
        this.entries.set(scenario, e);
      }
      for (const [id, v] of Object.entries(parsed.series ?? {})) {
        if (!Array.isArray(v) || typeof v[0] !== 'string' || !/^\d{0,20}$/.test(v[0]) || !(v[1] === 0 || isCount(v[1])) || this.series.size >= this.maxSeries) continue;
        this.series.set(id, { start: v[0], value: v[1] as number });
      }
    } catch (err) {
      diag.warn(`otel-product-telemetry: ignoring unreadable ${TRACE_USAGE_FILE} in ${this.dir}: ${(err as Error).message}`);
    }
  }

  private save(): void {
    const scenarios: Record<string, { commands: Record<string, number>; errors: number }> = {};
    for (const name of this.entries.keys()) scenarios[name] = this.get(name)!;
    const series: Record<string, [string, number]> = {};
    for (const [id, v] of this.series) series[id] = [v.start, v.value];
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, TRACE_USAGE_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ scenarios, series }) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  }
}
