import { join } from 'node:path';
import { diag } from '../../core/diag.js';
import { isSafeScenario } from '../../core/scenario.js';
import { readStateFileSync, writeStateFile, writeStateFileSync } from '../../core/stateFile.js';
import { MAX_COUNTER_NAME_LENGTH } from '../../receivers/usage/UsageCounters.js';
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

/** Default byte budget of one book (`TELEMETRY_TRACE_USAGE_MAX_BYTES`). */
export const DEFAULT_TRACE_USAGE_MAX_BYTES = 4 * 1024 * 1024;
/** Default least interval between two saves (`TELEMETRY_TRACE_USAGE_SAVE_INTERVAL_MS`). */
export const DEFAULT_TRACE_USAGE_SAVE_INTERVAL_MS = 1000;

// What an entry costs in the saved JSON, counted high: its key as JSON text in UTF-8, plus punctuation and the
// largest number. The sum bounds the file, the memory held (a small multiple) and every summary answer.
const keyBytes = (key: string): number => Buffer.byteLength(JSON.stringify(key), 'utf8');
const nameCost = (name: string): number => keyBytes(name) + 18;
const scenarioCost = (scenario: string): number => keyBytes(scenario) + 60;
const seriesCost = (id: string, start: string): number => keyBytes(id) + start.length + 26;

// Books with unsaved changes, saved synchronously if the process exits before their timer fires.
const unsaved = new Set<TraceUsageBook>();
// The newest book of each dir in this process: a new book on the same dir (a collector restarted in-process) first
// saves the previous one's changes, so it loads them.
const byDir = new Map<string, TraceUsageBook>();
let exitHook = false;
function flushAllAtExit(): void {
  for (const book of [...unsaved]) book.flushSync();
}

/**
 * Per-scenario usage counted from OTLP traces and metrics on the collector, kept in memory and in
 * `{dir}/trace-usage.json` (core/stateFile: random temp name, exclusive create, fsync, rename; 0600) so it survives
 * restarts like the stored events do. Spans and data points themselves are never stored; of cumulative counters only
 * a hashed series id, its start time and last value.
 * Bounded: at most `maxScenarios` scenarios, `maxNames` command and metric names each and `maxSeries` cumulative
 * series (the least recently updated is forgotten), and all of it within `maxBytes` of saved JSON (series in a
 * quarter of it): a new scenario or name beyond a bound is refused and counted, never stored.
 * Saving is off the request path: a change schedules one asynchronous save at most every `saveIntervalMs`;
 * `flush()` (collector close) and process exit save what is left.
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
  private readonly maxBytes: number;
  private readonly maxSeriesBytes: number;
  private readonly saveIntervalMs: number;
  /** Estimated saved bytes of scenarios and names, and of series. */
  private bytes = 2;
  private seriesBytes = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private lastSaveAt = 0;
  /** Bumped by every synchronous save: an asynchronous save of an older state then does not rename over it. */
  private syncSaves = 0;
  private readonly entries = new Map<string, Entry>();
  /** Cumulative series by hashed id, least recently updated first (the oldest is forgotten beyond maxSeries). */
  private readonly series = new Map<string, Series>();

  constructor(dir: string, options: { maxScenarios?: number; maxNames?: number; maxSeries?: number; maxBytes?: number; saveIntervalMs?: number } = {}) {
    this.dir = dir;
    this.maxScenarios = options.maxScenarios ?? 1000;
    this.maxNames = options.maxNames ?? 500;
    this.maxSeries = options.maxSeries ?? 10_000;
    const budget = options.maxBytes ?? DEFAULT_TRACE_USAGE_MAX_BYTES;
    this.maxSeriesBytes = Math.floor(budget / 4);
    this.maxBytes = budget - this.maxSeriesBytes;
    this.saveIntervalMs = options.saveIntervalMs ?? DEFAULT_TRACE_USAGE_SAVE_INTERVAL_MS;
    byDir.get(dir)?.flushSync();
    byDir.set(dir, this);
    this.load();
  }

  /** Estimated bytes of the saved state (scenarios, names and series); never above the budget. */
  get stateBytes(): number {
    return this.bytes + this.seriesBytes;
  }

  /** Whether a new scenario fits the bounds; if so it is created. */
  private newEntry(scenario: string): Entry | undefined {
    const cost = scenarioCost(scenario);
    if (this.entries.size >= this.maxScenarios || this.bytes + cost > this.maxBytes) return undefined;
    const e: Entry = { commands: new Map(), errors: 0, metrics: new Map() };
    this.entries.set(scenario, e);
    this.bytes += cost;
    return e;
  }

  /** Whether a new name fits in `map` (the names bound and the budget); if so its cost is taken. */
  private admitName(map: Map<string, number>, name: string): boolean {
    const cost = nameCost(name);
    if (map.size >= this.maxNames || this.bytes + cost > this.maxBytes) return false;
    this.bytes += cost;
    return true;
  }

  private setSeries(id: string, value: Series): void {
    const old = this.series.get(id);
    if (old !== undefined) {
      this.series.delete(id);
      this.seriesBytes -= seriesCost(id, old.start);
    }
    this.series.set(id, value);
    this.seriesBytes += seriesCost(id, value.start);
    while (this.series.size > 0 && (this.series.size > this.maxSeries || this.seriesBytes > this.maxSeriesBytes)) {
      const [oldest, v] = this.series.entries().next().value!;
      this.series.delete(oldest);
      this.seriesBytes -= seriesCost(oldest, v.start);
    }
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
        this.setSeries(p.series, { start: p.start, value: p.value });
        changed = true;
      }
      const e = this.entries.get(p.scenario) ?? this.newEntry(p.scenario);
      if (e === undefined) {
        refused++;
        continue;
      }
      const before = e.metrics.get(p.name);
      if (before === undefined && !this.admitName(e.metrics, p.name)) {
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
      const e = this.entries.get(scenario) ?? this.newEntry(scenario);
      if (e === undefined) {
        for (const n of usage.commands.values()) refused += n;
        continue;
      }
      e.errors = Math.min(Number.MAX_SAFE_INTEGER, e.errors + usage.errors);
      for (const [name, n] of usage.commands) {
        const before = e.commands.get(name);
        if (before === undefined && !this.admitName(e.commands, name)) {
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
      // Refuses a link or a non-regular file at the name; a file far over the budget is not this book's.
      text = readStateFileSync(join(this.dir, TRACE_USAGE_FILE), 4 * (this.maxBytes + this.maxSeriesBytes) + 65_536);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') diag.warn(`ignoring ${TRACE_USAGE_FILE} in ${this.dir}: ${(err as Error).message}`);
      return;
    }
    try {
      const parsed = JSON.parse(text) as { scenarios?: Record<string, { commands?: Record<string, unknown>; errors?: unknown; metrics?: Record<string, unknown> }>; series?: Record<string, unknown> };
      for (const [scenario, v] of Object.entries(parsed.scenarios ?? {})) {
        if (!isSafeScenario(scenario) || v === null || typeof v !== 'object' || this.entries.has(scenario)) continue;
        const e = this.newEntry(scenario);
        if (e === undefined) continue;
        e.errors = typeof v.errors === 'number' && Number.isSafeInteger(v.errors) && v.errors > 0 ? v.errors : 0;
        for (const [name, n] of Object.entries(v.commands ?? {})) {
          if (name.length > 0 && name.length <= MAX_COUNTER_NAME_LENGTH && typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && !e.commands.has(name) && this.admitName(e.commands, name)) e.commands.set(name, n);
        }
        for (const [name, n] of Object.entries(v.metrics ?? {})) {
          if (name.length > 0 && name.length <= MAX_COUNTER_NAME_LENGTH && isCount(n) && !e.metrics.has(name) && this.admitName(e.metrics, name)) e.metrics.set(name, n);
        }
      }
      for (const [id, v] of Object.entries(parsed.series ?? {})) {
        if (id.length > 128 || !Array.isArray(v) || typeof v[0] !== 'string' || !/^\d{0,20}$/.test(v[0]) || !(v[1] === 0 || isCount(v[1]))) continue;
        this.setSeries(id, { start: v[0], value: v[1] as number });
      }
    } catch (err) {
      diag.warn(`ignoring unreadable ${TRACE_USAGE_FILE} in ${this.dir}: ${(err as Error).message}`);
    }
  }

  /** Schedule a save: at most one every `saveIntervalMs`, asynchronous, never on the request path. */
  private save(): void {
    this.dirty = true;
    unsaved.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', flushAllAtExit);
    }
    if (this.timer !== undefined || this.writing !== undefined) return;
    const wait = Math.max(0, this.lastSaveAt + this.saveIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeNow();
    }, wait);
    this.timer.unref();
  }

  private snapshot(): string {
    const scenarios: Record<string, TraceUsageSummary> = {};
    for (const name of this.entries.keys()) Object.defineProperty(scenarios, name, { value: this.get(name)!, enumerable: true, writable: true, configurable: true });
    const series: Record<string, [string, number]> = {};
    for (const [id, v] of this.series) Object.defineProperty(series, id, { value: [v.start, v.value], enumerable: true, writable: true, configurable: true });
    return JSON.stringify({ scenarios, series }) + '\n';
  }

  private writeNow(): Promise<void> {
    if (this.writing !== undefined) return this.writing;
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    unsaved.delete(this);
    this.lastSaveAt = Date.now();
    const text = this.snapshot();
    const syncSaves = this.syncSaves;
    this.writing = writeStateFile(this.dir, TRACE_USAGE_FILE, text, () => this.syncSaves === syncSaves)
      .then(
        () => undefined,
        (err: unknown) => {
          this.dirty = true;
          unsaved.add(this);
          diag.error(`could not save ${TRACE_USAGE_FILE} in ${this.dir}: ${(err as Error).message} (retried at the next change or close)`);
        },
      )
      .finally(() => {
        this.writing = undefined;
        if (this.dirty && this.timer === undefined) this.save();
      });
    return this.writing;
  }

  /** Save what has changed now and wait for it (collector close). Never rejects. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing !== undefined) await this.writing;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.writeNow();
    unsaved.delete(this);
  }

  /** Save what has changed now, synchronously (process exit). */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    unsaved.delete(this);
    if (!this.dirty && this.writing === undefined) return;
    this.dirty = false;
    this.syncSaves++;
    try {
      writeStateFileSync(this.dir, TRACE_USAGE_FILE, this.snapshot());
    } catch (err) {
      diag.error(`could not save ${TRACE_USAGE_FILE} in ${this.dir}: ${(err as Error).message}`);
    }
  }
}
