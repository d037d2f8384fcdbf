import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { isSafeScenario } from '../../../core/scenario.js';
import { MAX_COUNTER_NAME_LENGTH } from '../UsageCounters.js';
import type { TraceUsageResult } from './traceUsage.js';

export const TRACE_USAGE_FILE = 'trace-usage.json';

/** What a scenario's summary shows from traces: commands by span name, and exceptions. */
export interface TraceUsageSummary {
  commands: Record<string, number>;
  errors: number;
}

interface Entry {
  commands: Map<string, number>;
  errors: number;
}

/**
 * Per-scenario usage counted from OTLP traces on the collector, kept in memory and in `{dir}/trace-usage.json`
 * (atomic rewrite, 0600) so it survives restarts like the stored events do. Spans themselves are never stored.
 * Bounded: at most `maxScenarios` scenarios and `maxNames` command names each; the rest is refused and counted.
 */
export class TraceUsageBook {
  readonly dir: string;
  /** Commands refused because a bound was reached. */
  refused = 0;
  private readonly maxScenarios: number;
  private readonly maxNames: number;
  private readonly entries = new Map<string, Entry>();

  constructor(dir: string, options: { maxScenarios?: number; maxNames?: number } = {}) {
    this.dir = dir;
    this.maxScenarios = options.maxScenarios ?? 1000;
    this.maxNames = options.maxNames ?? 500;
    this.load();
  }

  get(scenario: string): TraceUsageSummary | undefined {
    const e = this.entries.get(scenario);
    if (e === undefined) return undefined;
    const commands: Record<string, number> = {};
    for (const name of [...e.commands.keys()].sort()) Object.defineProperty(commands, name, { value: e.commands.get(name), enumerable: true, writable: true, configurable: true });
    return { commands, errors: e.errors };
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
        this.entries.set(scenario, (e = { commands: new Map(), errors: 0 }));
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
      const parsed = JSON.parse(text) as { scenarios?: Record<string, { commands?: Record<string, unknown>; errors?: unknown }> };
      for (const [scenario, v] of Object.entries(parsed.scenarios ?? {})) {
        if (!isSafeScenario(scenario) || v === null || typeof v !== 'object' || this.entries.size >= this.maxScenarios) continue;
        const e: Entry = { commands: new Map(), errors: typeof v.errors === 'number' && Number.isSafeInteger(v.errors) && v.errors > 0 ? v.errors : 0 };
        for (const [name, n] of Object.entries(v.commands ?? {})) {
          if (name.length > 0 && name.length <= MAX_COUNTER_NAME_LENGTH && typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && e.commands.size < this.maxNames) e.commands.set(name, n);
        }
        this.entries.set(scenario, e);
      }
    } catch (err) {
      diag.warn(`otel-product-telemetry: ignoring unreadable ${TRACE_USAGE_FILE} in ${this.dir}: ${(err as Error).message}`);
    }
  }

  private save(): void {
    const scenarios: Record<string, { commands: Record<string, number>; errors: number }> = {};
    for (const name of this.entries.keys()) scenarios[name] = this.get(name)!;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, TRACE_USAGE_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ scenarios }) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  }
}
