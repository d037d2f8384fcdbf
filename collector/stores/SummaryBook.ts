import { DEFAULT_FAILURE_EVENTS, type TelemetryLine } from '../../core/record.js';
import { formatHrTime } from '../../core/time.js';
import { RebuildJournal, type RebuildableSink } from './books.js';
import type { RecentFailure, ScenarioSummary } from './TelemetryStore.js';

export interface SummaryOptions {
  /** Events counted as failures. Default: the standard set (`DEFAULT_FAILURE_EVENTS`). */
  failureEvents?: readonly string[];
  /** How many newest failures to keep per scenario. Default 10. */
  recentFailures?: number;
}

interface Failure {
  ms: number;
  event: string;
  details: Record<string, unknown> | undefined;
}

interface ScenarioState {
  total: number;
  /** Newest event time in epoch ms (-Infinity while none has a time). */
  lastMs: number;
  failureCounts: Map<string, number>;
  /** Sorted newest first, at most `recentLimit` long. */
  recent: Failure[];
}

/**
 * Per-scenario summaries kept incrementally: adding an event is a few field updates (failures also an insertion into
 * a list of at most `recentFailures`), so `GET /api/v1/telemetry` never re-reads the files. The same class rebuilds
 * the numbers from the files at start (and offline for the CLI), so both paths agree by construction.
 *
 * Ordering rules (identical for live updates and rebuilds, because files keep append order): `last_event` is the
 * newest timestamp, not the last received; `recent_failures` are the newest by timestamp, newest first, and among
 * equal timestamps the later-stored comes first.
 */
export class SummaryBook implements RebuildableSink {
  private readonly states = new Map<string, ScenarioState>();
  private readonly failures: ReadonlySet<string>;
  private readonly recentLimit: number;
  private lastScenario = '';
  private lastState: ScenarioState | undefined;
  private readonly options: SummaryOptions;
  /** While a rebuild runs: what was counted meanwhile, replayed into the rebuilt book. */
  private readonly journal = new RebuildJournal<[scenario: string, event: string | undefined, ms: number, details: Record<string, unknown> | undefined]>();

  constructor(options: SummaryOptions = {}) {
    this.options = { failureEvents: options.failureEvents, recentFailures: options.recentFailures };
    this.failures = new Set(options.failureEvents ?? DEFAULT_FAILURE_EVENTS);
    this.recentLimit = options.recentFailures ?? 10;
  }

  /**
   * Replace the summaries with ones counted afresh (after files were deleted: retention). `fill` counts the kept
   * files into an empty book; it must note, before its first await, how far it will read, because what this book
   * counts meanwhile (events stored during the rebuild) is replayed into the fresh one before it takes over.
   */
  async rebuild(fill: (fresh: SummaryBook) => Promise<void>): Promise<void> {
    const fresh = await this.journal.run(new SummaryBook(this.options), fill, (book, [scenario, event, ms, details]) => {
      if (event === undefined) book.touch(scenario);
      else book.add(scenario, event, ms, details);
    });
    this.states.clear();
    for (const [k, v] of fresh.states) this.states.set(k, v);
    this.lastScenario = '';
    this.lastState = undefined;
  }

  get size(): number {
    return this.states.size;
  }

  has(scenario: string): boolean {
    return this.states.has(scenario);
  }

  /** Make a scenario known (e.g. an empty file found at start). */
  touch(scenario: string): void {
    if (this.journal.active) this.journal.record([scenario, undefined, Number.NaN, undefined]);
    this.state(scenario);
  }

  /** Count one stored event. `ms` is NaN when the event's time is unknown (foreign lines). */
  add(scenario: string, event: string, ms: number, details: Record<string, unknown> | undefined): void {
    if (this.journal.active) this.journal.record([scenario, event, ms, details]);
    const s = this.state(scenario);
    s.total++;
    if (ms > s.lastMs) s.lastMs = ms;
    if (!this.failures.has(event)) return;
    s.failureCounts.set(event, (s.failureCounts.get(event) ?? 0) + 1);
    if (this.recentLimit === 0 || Number.isNaN(ms)) return;
    const recent = s.recent;
    // Insert before the first entry that is not newer (ties: later-stored first).
    let i = 0;
    while (i < recent.length && recent[i]!.ms > ms) i++;
    if (i >= this.recentLimit) return;
    recent.splice(i, 0, { ms, event, details: details !== undefined && hasKeys(details) ? bounded(details) : undefined });
    if (recent.length > this.recentLimit) recent.pop();
  }

  /** LineSink: a stored line read back from a file. */
  addLine(scenario: string, line: TelemetryLine, ms: number): void {
    this.add(scenario, line.event, ms, line.details);
  }

  get(scenario: string): ScenarioSummary | undefined {
    const s = this.states.get(scenario);
    return s === undefined ? undefined : render(scenario, s);
  }

  /** All scenarios, sorted by name. */
  all(): ScenarioSummary[] {
    return [...this.states.keys()].sort().map((name) => render(name, this.states.get(name)!));
  }

  private state(scenario: string): ScenarioState {
    if (scenario === this.lastScenario && this.lastState !== undefined) return this.lastState;
    let s = this.states.get(scenario);
    if (s === undefined) {
      s = { total: 0, lastMs: Number.NEGATIVE_INFINITY, failureCounts: new Map(), recent: [] };
      this.states.set(scenario, s);
    }
    this.lastScenario = scenario;
    this.lastState = s;
    return s;
  }
}

/** Largest details kept in `recent_failures` (serialised); the stored line always has them whole. */
export const MAX_FAILURE_DETAILS_CHARS = 4096;

// Summaries live in memory for every scenario: a failure's details are kept only when small, so memory stays bounded
// (scenarios x recent failures x 4 KiB) whatever clients send.
function bounded(details: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(details);
  return json.length <= MAX_FAILURE_DETAILS_CHARS ? details : { _truncated: true, _chars: json.length };
}

function hasKeys(o: Record<string, unknown>): boolean {
  for (const _ in o) return true;
  return false;
}

/** Epoch ms → the stored lines' ISO 8601 form (milliseconds, Z). */
export function isoFromMillis(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return formatHrTime([sec, (ms - sec * 1000) * 1e6]);
}

function render(scenario: string, s: ScenarioState): ScenarioSummary {
  // fromEntries defines own data properties, so an event named "__proto__" stays a plain key.
  const counts: Record<string, number> = Object.fromEntries([...s.failureCounts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  return {
    scenario,
    total_events: s.total,
    last_event: Number.isFinite(s.lastMs) ? isoFromMillis(s.lastMs) : null,
    failure_counts: counts,
    recent_failures: s.recent.map((f): RecentFailure => (f.details === undefined ? { timestamp: isoFromMillis(f.ms), event: f.event } : { timestamp: isoFromMillis(f.ms), event: f.event, details: f.details })),
  };
}
