import type { SeverityNumber } from '../../core/logTypes.js';
import type { TelemetryLine } from '../../core/record.js';
import type { InsightsAnswer, InsightsQuery } from '../../query/insights/types.js';

/** One validated event on its way into a store (what every collector route produces). */
export interface StoreEvent {
  /** A safe scenario name (validated by the route). */
  scenario: string;
  event: string;
  /** Epoch milliseconds. */
  timestamp: number;
  deploymentId?: string;
  /** The pseudonymous installation id the event came from (the line's `installation_id`). */
  installationId?: string;
  /** Client-supplied id: the de-duplication key. Absent → the store assigns a UUIDv7 that is not de-duplicated. */
  id?: string;
  details?: Record<string, unknown>;
  severityNumber?: SeverityNumber;
}

/** Why one event of an append was not stored (duplicates are not rejections: they were stored before). */
export interface StoreRejection {
  /** Position of the event in the array given to `append`. */
  index: number;
  code: string;
  error: string;
}

export interface AppendResult {
  /** Events written by this call. */
  stored: number;
  /** Events whose id was already stored for their scenario (acknowledged, not written again). */
  duplicates: number;
  /** Events refused by the store or the pipeline's rules (crash outside production, too large, scenario limit). */
  dropped: number;
  /** One entry per dropped event, in index order. */
  rejections: StoreRejection[];
}

/** A recent failure as summaries list it. */
export interface RecentFailure {
  timestamp: string;
  event: string;
  details?: Record<string, unknown>;
}

/** `GET /api/v1/telemetry/{scenario}`: one scenario's numbers. */
export interface ScenarioSummary {
  scenario: string;
  total_events: number;
  /** Newest event timestamp (ISO 8601 with milliseconds); null when the scenario has no events. */
  last_event: string | null;
  failure_counts: Record<string, number>;
  /** Newest first. */
  recent_failures: RecentFailure[];
}

export interface StoreQuery {
  scenario: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  event?: string;
  /** Stop after this many matches. */
  limit?: number;
  /** Told about every line that could not be read (torn or invalid); 1-based line number. */
  onInvalid?: (lineNumber: number, text: string) => void;
}

/**
 * The collector's storage. The JSONL store (files in the data dir) is the default; a ClickHouse store can implement
 * the same contract (every method may complete asynchronously).
 *
 * Contract:
 * - `append` stores events in order; when its promise resolves with `stored: n`, those n events are durable in the
 *   store's sense (for JSONL: written to the files) and visible to `summaries` and `query`.
 * - An event whose `id` is among the ids stored for its scenario within the store's de-duplication window (or
 *   earlier in the same call) counts as a duplicate and is not stored again.
 * - `append` rejects (throws) only when the storage itself failed; then nothing of the call is acknowledged.
 */
export interface TelemetryStore {
  readonly kind: string;
  /** Load state (e.g. rebuild summaries from existing data). Called once before anything else. */
  open(): Promise<void>;
  append(events: readonly StoreEvent[]): Promise<AppendResult>;
  /** All scenarios, sorted by name. */
  summaries(): Promise<ScenarioSummary[]>;
  /** One scenario, or undefined when the store has none of it. */
  summary(scenario: string): Promise<ScenarioSummary | undefined>;
  /** Stored events of one scenario in stored order, filtered. */
  query(query: StoreQuery): AsyncIterable<TelemetryLine>;
  /**
   * Usage over time for one scenario, by the rules of query/insights/types.ts: the answer equals `computeInsights`
   * over the scenario's stored lines (the store contract checks it). A scenario the store does not have answers with
   * no events (the route asks `summary` first to answer 404). Throws InsightsQueryError (400, naming the field) for a
   * query that breaks the rules, InsightsBudgetError (422) when the store cannot answer it within its budget.
   */
  insights(query: InsightsQuery): Promise<InsightsAnswer>;
  /** Make everything appended durable (fsync for files). */
  flush(): Promise<void>;
  /** Flush and release resources; idempotent. */
  close(): Promise<void>;
  /**
   * Whether the store can take writes now (`GET /readyz`): resolves `{ ready: true }`, or `{ ready: false, reason }`
   * (e.g. ClickHouse does not answer, the JSONL data dir is gone or its last write failed and a probe still does).
   * Must not throw, and should answer within a few seconds. Optional: a store without it counts as ready once open.
   */
  ready?(): Promise<StoreReadiness>;
}

/** The answer of `TelemetryStore.ready()`. */
export type StoreReadiness = { ready: true } | { ready: false; reason: string };

/** The options both stores take: the admission rules and the summaries' shape. */
export interface StoreRuleOptions {
  /** Crash events are stored only when this is `production` (the default). */
  environment?: string;
  /** Events counted as failures in summaries. Default: the standard set. */
  failureEvents?: readonly string[];
  /** Newest failures listed per scenario. Default 10. */
  recentFailures?: number;
  /** Ids remembered for de-duplication, all scenarios together. Default 100 000; 0 turns de-duplication off. */
  dedupWindow?: number;
  /** Largest serialised event (the policy processor's limit). Default 256 KiB. */
  maxEventBytes?: number;
  /** Most distinct scenarios; events that would create one more are rejected. Default 1000. */
  maxScenarios?: number;
}
