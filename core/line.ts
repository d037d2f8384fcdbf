import type { HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from './logTypes.js';
import { ATTR_APP_INSTALLATION_ID, ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, LEGACY_ATTR_EVENT_ID, LEGACY_ATTR_SCENARIO, RESERVED_ATTRIBUTES } from './record.js';
import { formatHrTime, hrTimeToMillis } from './time.js';
import { uuidv7 } from './id.js';
import { isSafeScenario } from './scenario.js';
import { ScenarioNameError, ValidationError } from './errors.js';

/** A record serialised once: the scenario (file) it belongs to and its JSONL line, newline included. */
export interface SerializedLine {
  readonly scenario: string;
  readonly line: string;
}

// Serialise once: the policy processor serialises (it must know the size to enforce limits), the batch processor
// counts the bytes and the exporter writes the same string. The line rides on the record under a private symbol:
// a WeakMap would do the same, but its ephemeron entries made garbage collection a fifth of the pipeline's time.
const LINE = Symbol('otel-product-telemetry.line');
type WithLine = ReadableLogRecord & { [LINE]?: SerializedLine };

export function cachedLine(record: ReadableLogRecord): SerializedLine | undefined {
  return (record as WithLine)[LINE];
}

// Event names and deployment ids repeat endlessly; their JSON encodings are cached (bounded).
const jsonCache = new Map<string, string>();
function jsonString(s: string): string {
  let out = jsonCache.get(s);
  if (out === undefined) {
    out = JSON.stringify(s);
    if (jsonCache.size >= 4096) jsonCache.clear();
    jsonCache.set(s, out);
  }
  return out;
}

// Scenario names validated once (bounded): the regex is cheap but not free on every event.
const safeScenarios = new Set<string>();
function checkScenario(scenario: unknown): string {
  if (typeof scenario === 'string' && safeScenarios.has(scenario)) return scenario;
  if (!isSafeScenario(scenario)) throw new ScenarioNameError('scenario', scenario);
  if (safeScenarios.size >= 4096) safeScenarios.clear();
  safeScenarios.add(scenario);
  return scenario;
}

/**
 * Serialise a record to its JSONL line (and cache it):
 * `{"ts":…,"scenario":…,"deployment_id"?:…,"installation_id"?:…,"event":…,"level"?:…,"details"?:{…},"id":…}\n`.
 * `installation_id` is the record's `app.installation.id` attribute, else `installationId()` (the pipeline's).
 * Throws ValidationError / ScenarioNameError when the record cannot become a valid line.
 */
export function serializeRecord(record: ReadableLogRecord, defaultScenario: string | undefined, installationId?: () => string | undefined): SerializedLine {
  const hit = (record as WithLine)[LINE];
  if (hit !== undefined) return hit;
  const attrs = record.attributes;
  // Current keys win; the keys of earlier releases are still read (records built by older code or other sources).
  const scenario = checkScenario(attrs[ATTR_SCENARIO] ?? attrs[LEGACY_ATTR_SCENARIO] ?? defaultScenario);
  const event = record.eventName ?? attrs['event.name'];
  if (typeof event !== 'string' || event.length === 0) throw new ValidationError('event', 'a non-empty event name is required');
  let id = attrs[ATTR_EVENT_ID] ?? attrs[LEGACY_ATTR_EVENT_ID];
  // Our own ids need no check: isPlainId would flatten the freshly concatenated string for nothing.
  let plainId = false;
  if (typeof id !== 'string') {
    id = uuidv7(hrTimeToMillis(record.hrTime));
    plainId = true;
  } else plainId = isPlainId(id);

  let installation = attrs[ATTR_APP_INSTALLATION_ID];
  if (typeof installation !== 'string') installation = installationId?.();
  const out = lineOf(scenario, record.hrTime, attrs[ATTR_DEPLOYMENT_ID], installation, event, record.severityNumber, detailsOf(record), id, plainId);
  (record as WithLine)[LINE] = out;
  return out;
}

/** The line's fields as a caller has them without a log record (the collector's stores: one uploaded event). */
export interface LineFields {
  scenario: string;
  event: string;
  hrTime: HrTime;
  deploymentId?: string;
  /** The pseudonymous installation id (`app.installation.id`) the event came from. */
  installationId?: string;
  /** Absent → a UUIDv7 from `hrTime`. */
  id?: string;
  severityNumber?: SeverityNumber;
  /** The line's `details`, as a record's body would be (a map as it is; no attributes are merged in). */
  details?: unknown;
}

/**
 * `serializeRecord` for fields given directly: the same line, byte for byte, as a record carrying them (scenario and
 * event id as attributes, details as its body) would give. Not cached. Throws as `serializeRecord` does.
 */
export function serializeFields(fields: LineFields): SerializedLine {
  const scenario = checkScenario(fields.scenario);
  const event = fields.event;
  if (typeof event !== 'string' || event.length === 0) throw new ValidationError('event', 'a non-empty event name is required');
  let id = fields.id;
  let plainId: boolean;
  if (typeof id !== 'string') {
    id = uuidv7(hrTimeToMillis(fields.hrTime));
    plainId = true;
  } else plainId = isPlainId(id);
  return lineOf(scenario, fields.hrTime, fields.deploymentId, fields.installationId, event, fields.severityNumber, bodyDetails(fields.details), id, plainId);
}

/** The one place that orders the line's fields. */
function lineOf(scenario: string, hrTime: HrTime, dep: unknown, installation: unknown, event: string, severity: SeverityNumber | undefined, details: Record<string, unknown> | undefined, id: unknown, plainId: boolean): SerializedLine {
  // Scenario is from a safe alphabet and the id from uuidv7 or a validated edge: neither needs escaping.
  let line = '{"ts":"' + formatHrTime(hrTime) + '","scenario":"' + scenario + '"';
  if (typeof dep === 'string') line += ',"deployment_id":' + jsonString(dep);
  if (typeof installation === 'string') line += ',"installation_id":' + jsonString(installation);
  line += ',"event":' + jsonString(event);
  const level = levelOf(severity);
  if (level !== undefined) line += ',"level":"' + level + '"';
  if (details !== undefined) {
    const json = JSON.stringify(details);
    if (json !== undefined && json !== '{}') line += ',"details":' + json;
  }
  line += ',"id":' + (plainId ? '"' + id + '"' : JSON.stringify(id)) + '}\n';
  return { scenario, line };
}

/**
 * The `details` JSON text ('' = none) of the line `serializeFields(fields)` would write, without writing that line:
 * for a store that keeps columns instead of lines (ClickHouse), which needs the line only to know its size. Given when
 * the fields are ordinary (a scenario already checked, a non-empty event name, a string id, a time from 1970 to 9999)
 * and a bound proves the line is at most `maxBytes` UTF-8 bytes; else undefined, and the caller serialises, so that
 * serializeFields and the policy decide and word every refusal. The bound follows lineOf piece by piece: a JSON
 * string is at most 6 units per unit plus its quotes (`\u001f`, lone surrogates), a unit at most 3 UTF-8 bytes; the
 * level is at most `,"level":"fatal"`. Skipping the line saves the time formatting, the concatenation and cutting the
 * details back out (about a fifth of the ClickHouse store's main-thread time in a profile of bench/clickhouse.mjs's
 * ingest, measured before formatHrTime's day cache made the time cheaper).
 */
export function detailsIfFits(fields: LineFields, maxBytes: number): string | undefined {
  const { scenario, event, id, deploymentId, installationId } = fields;
  if (!safeScenarios.has(scenario) || typeof event !== 'string' || event.length === 0 || typeof id !== 'string') return undefined;
  const sec = fields.hrTime[0];
  if (!(sec >= 0 && sec <= MAX_FOUR_DIGIT_YEAR_SEC)) return undefined;
  // '{"ts":"' + 24-unit time + '","scenario":"' + scenario + '"' + ',"event":' + event + level + ',"id":' + id + '}\n'
  let units = 7 + 24 + 14 + scenario.length + 1 + 9 + 6 * event.length + 2 + 16 + 6 + 6 * id.length + 2 + 2;
  if (typeof deploymentId === 'string') units += 17 + 6 * deploymentId.length + 2;
  if (typeof installationId === 'string') units += 19 + 6 * installationId.length + 2;
  let json = '';
  const details = bodyDetails(fields.details);
  if (details !== undefined) {
    let text: string | undefined;
    try {
      text = JSON.stringify(details);
    } catch {
      return undefined;
    }
    if (text !== undefined && text !== '{}') {
      json = text;
      units += 11 + text.length;
    }
  }
  return units * 3 <= maxBytes ? json : undefined;
}

/** Seconds of 9999-12-31T23:59:59Z: up to there the line's `ts` is 24 units. */
const MAX_FOUR_DIGIT_YEAR_SEC = 253402300799;

/**
 * The `details` JSON text of a serialised line (lineOf), '' when it has none: the line holds exactly
 * `JSON.stringify(details)` after `,"details":` (omitted for none or `{}`) and before `,"id":`. Neither marker can occur
 * earlier or later inside a value: quotes inside JSON strings are escaped, the scenario is from a safe alphabet and
 * the level a constant.
 */
export function detailsOfLine(line: string): string {
  const at = line.indexOf(',"details":');
  return at === -1 ? '' : line.slice(at + 11, line.lastIndexOf(',"id":'));
}

function isPlainId(id: string): boolean {
  // Fast path for our own ids; anything else is escaped by JSON.stringify.
  return id.length === 36 && id.charCodeAt(8) === 45;
}

/** Level written into the line: only when it says more than the default `info`. */
export function levelOf(severity: SeverityNumber | undefined): string | undefined {
  if (severity === undefined || severity < SeverityNumber.WARN) return undefined;
  if (severity >= SeverityNumber.FATAL) return 'fatal';
  if (severity >= SeverityNumber.ERROR) return 'error';
  return 'warn';
}

/**
 * The line's details: the record body when it is a map, plus attributes that are not part of the line's top level
 * (records from other sources, e.g. the OTLP bridge). A non-map body is kept as `details.body`.
 */
function detailsOf(record: ReadableLogRecord): Record<string, unknown> | undefined {
  let details = bodyDetails(record.body);
  let copied = false;
  for (const key in record.attributes) {
    if (RESERVED_ATTRIBUTES.has(key)) continue;
    if (!copied) {
      details = details === undefined ? {} : { ...details };
      copied = true;
    }
    if (!(key in details!)) details![key] = record.attributes[key];
  }
  return details;
}

/** A record body as the line's details: a map as it is, anything else as `details.body`. */
function bodyDetails(body: unknown): Record<string, unknown> | undefined {
  if (body === undefined || body === null) return undefined;
  return typeof body === 'object' && !Array.isArray(body) && !(body instanceof Uint8Array) ? (body as Record<string, unknown>) : { body };
}
