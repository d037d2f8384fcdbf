import type { TelemetryLine } from './record.js';

/**
 * One line of a JSONL file as a JSON object, or why it is not one (`invalid JSON (...)`, `not a JSON object`). The
 * first half of the stored-line rule, and all the uploader asks of a line before sending it: it also forwards lines
 * of other tools' files (the bundle manifest's `file`), which the collector judges as upload input.
 */
export function parseJsonObject(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `invalid JSON (${(err as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  return value as Record<string, unknown>;
}

/**
 * The one rule for a stored JSONL line, for every reader of store files: the collector's stores (summaries,
 * retention, insights), the query engine behind `logs` and the events route, and the uploader.
 *
 * A line is an event when it is one JSON object whose `event` is a non-empty string and whose `details`, when
 * present, is an object (not null, not an array). Other fields are kept as they are: readers of files written by
 * earlier releases or by other tools must not lose what they do not know. The query engine's byte-level validators
 * (query/jsonLine.ts and the WebAssembly index in query/lines.wat) apply the same rule without building objects;
 * query/lineIndex.test.ts holds both to this function.
 */
export function checkStoredValue(value: unknown): TelemetryLine | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const o = value as Record<string, unknown>;
  if (typeof o.event !== 'string' || o.event.length === 0) return 'no "event" name';
  const d = o.details;
  if (d !== undefined && (d === null || typeof d !== 'object' || Array.isArray(d))) return '"details" is not an object';
  return o as unknown as TelemetryLine;
}

/** Parse one stored line: the event, or why the line is not one (`invalid JSON (...)`, `not a JSON object`, ...). */
export function parseStoredLine(text: string): TelemetryLine | string {
  const value = parseJsonObject(text);
  return typeof value === 'string' ? value : checkStoredValue(value);
}
