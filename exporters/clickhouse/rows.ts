import type { TelemetryLine } from '../../core/record.js';
import { formatHrTime } from '../../core/time.js';
import { detailsIndex } from './detailsIndex.js';

/** One row of the events table (see schema.ts), as written. */
export interface EventRow {
  scenario: string;
  ts_ms: number;
  id: string;
  event: string;
  deployment_id: string | null;
  installation_id: string | null;
  /** "" = info. */
  level: string;
  /** JSON object text, "" = none. */
  details: string;
  seq: number;
}

/** A row as read back (`FORMAT JSONEachRow` quotes 64-bit integers). */
export interface StoredRow {
  ts_ms: string | number;
  scenario: string;
  deployment_id: string | null;
  /** NULL (or absent, from a query that does not select it) = the line has none. */
  installation_id?: string | null;
  event: string;
  level: string;
  details: string;
  id: string;
}

/** One JSONEachRow line (with its newline), with the details index (detailsIndex.ts) like the RowBinary rows. */
export function encodeRow(r: EventRow): string {
  const index = detailsIndex(r.details);
  return (
    '{"scenario":' + JSON.stringify(r.scenario) +
    ',"ts_ms":' + r.ts_ms +
    ',"id":' + JSON.stringify(r.id) +
    ',"event":' + JSON.stringify(r.event) +
    ',"deployment_id":' + (r.deployment_id === null ? 'null' : JSON.stringify(r.deployment_id)) +
    ',"installation_id":' + (r.installation_id === null ? 'null' : JSON.stringify(r.installation_id)) +
    ',"level":' + JSON.stringify(r.level) +
    ',"details":' + JSON.stringify(r.details) +
    ',"details_keys":' + JSON.stringify(index.keys) +
    ',"details_values":' + JSON.stringify(index.values) +
    ',"details_indexed":1' +
    ',"seq":' + r.seq + '}\n'
  );
}

export function encodeRows(rows: readonly EventRow[]): string {
  let s = '';
  for (const r of rows) s += encodeRow(r);
  return s;
}

/** `details` as stored: the JSON text of a non-empty object, else "" (the JSONL line omits `{}` too). */
export function detailsText(details: Record<string, unknown> | undefined): string {
  if (details === undefined || details === null) return '';
  const json = JSON.stringify(details);
  return json === undefined || json === '{}' ? '' : json;
}

/**
 * A serialised JSONL line (core/line.ts, parsed) → a row. Throws on a line without a readable `ts`, which the
 * serialiser never produces.
 */
export function rowFromLine(line: TelemetryLine, seq: number): EventRow {
  const ms = Date.parse(line.ts);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`line has no usable ts: ${JSON.stringify(line.ts)}`);
  return {
    scenario: line.scenario,
    ts_ms: ms,
    id: line.id ?? '',
    event: line.event,
    deployment_id: typeof line.deployment_id === 'string' ? line.deployment_id : null,
    installation_id: typeof line.installation_id === 'string' ? line.installation_id : null,
    level: line.level ?? '',
    details: detailsText(line.details),
    seq,
  };
}

/** Epoch ms → the lines' ISO 8601 form (milliseconds, Z). */
export function isoFromMs(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return formatHrTime([sec, (ms - sec * 1000) * 1e6]);
}

/** A stored row → the JSONL line it was (same fields, same order as core/line.ts writes them). */
export function lineFromRow(r: StoredRow): TelemetryLine {
  const line: TelemetryLine = { ts: isoFromMs(Number(r.ts_ms)), scenario: r.scenario } as TelemetryLine;
  if (r.deployment_id !== null && r.deployment_id !== undefined) line.deployment_id = r.deployment_id;
  if (r.installation_id !== null && r.installation_id !== undefined) line.installation_id = r.installation_id;
  line.event = r.event;
  if (r.level !== '') line.level = r.level;
  if (r.details !== '') line.details = JSON.parse(r.details) as Record<string, unknown>;
  line.id = r.id;
  return line;
}

/** The identity of a stored row: what ReplacingMergeTree collapses on, and what the insert-time check looks up. */
export function rowKey(scenario: string, tsMs: number | string, id: string): string {
  return scenario + '\n' + tsMs + '\n' + id;
}
