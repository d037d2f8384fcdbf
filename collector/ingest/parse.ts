import { RequestError, ValidationError } from '../../core/errors.js';
import { fieldOf, findInexactNumbers, hasInexactCandidate, inexactMessage, scanInexactNumbers, underflowPossible, type InexactNumber } from './numbers.js';
import { checkOptionalString, checkScenario, type EventDefaults } from './validate.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** One per-event problem as the upload response lists it. */
export interface EventError {
  /** JSON: position in the array (0-based). NDJSON: line number (1-based). */
  index: number;
  code: string;
  error: string;
  field?: string;
}

export interface ParsedUpload {
  /** The events as parsed (not yet validated). */
  items: unknown[];
  /** NDJSON: the line number of each item (JSON bodies: the item's index is its label). */
  lines?: number[];
  /** Lines that were not JSON (NDJSON only). */
  errors: EventError[];
  /** Wrapper-form fields that fill in what events lack. */
  defaults: EventDefaults;
  /** Items (by position in `items`) refused before validation: a number JSON.parse could not carry exactly. */
  refused?: Map<number, ValidationError>;
}

/** Top-level event fields validate.ts reads itself; any other key is kept in details (and named so). */
const EVENT_FIELDS = new Set(['scenario', 'event', 'deployment_id', 'timestamp', 'ts', 'details', 'id', 'level']);

/** The error for an inexact number at `path` inside one event (path relative to the event). */
export function inexactNumberError(n: InexactNumber, path: readonly (string | number)[]): ValidationError {
  const first = path[0];
  const field = typeof first === 'string' && !EVENT_FIELDS.has(first) ? fieldOf(['details', ...path]) : fieldOf(path.length > 0 ? path : ['event']);
  return new ValidationError(field, inexactMessage(n));
}

/** Record the first inexact number of each event; `eventIndex` gives the event's position for a path, or undefined. */
function refuseInexact(found: InexactNumber[], eventIndex: (path: (string | number)[]) => [number, number] | undefined, into: Map<number, ValidationError>): void {
  for (const n of found) {
    const at = eventIndex(n.path);
    if (at === undefined || into.has(at[0])) continue;
    into.set(at[0], inexactNumberError(n, n.path.slice(at[1])));
  }
}

const POSITION = /at position (\d+)/;

function tooMany(max: number): RequestError {
  return new RequestError(ErrorCode.TOO_MANY_EVENTS, 413, `more than ${max} events in one request (TELEMETRY_MAX_EVENTS_PER_REQUEST)`);
}

/** JSON.parse with the error turned into a coded 400 naming the position (and line, for NDJSON). */
export function parseJson(text: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = POSITION.exec(msg);
    const position = pos ? Number(pos[1]) : msg.includes('end of JSON') ? text.length : undefined;
    const where = line !== undefined ? `line ${line}` + (position !== undefined ? `, position ${position}` : '') : position !== undefined ? `position ${position}` : '';
    return new RequestError(ErrorCode.PARSE, 400, `invalid JSON${where ? ' at ' + where : ''}: ${msg}`, { line, position });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `application/json` upload: an array of events, Vrooli's wrapper `{"events":[...],"scenario_name","deployment_mode",
 * "source"}` (plus `deployment_id`), or a single event object. Throws a coded 400 for anything else.
 */
export function parseJsonUpload(text: string, maxEvents: number, base: EventDefaults): ParsedUpload {
  const v = parseJson(text);
  if (v instanceof RequestError) throw v;
  if (Array.isArray(v)) {
    if (v.length > maxEvents) throw tooMany(maxEvents);
    return withRefused({ items: v, errors: [], defaults: base }, text, v, (p) => (typeof p[0] === 'number' ? [p[0], 1] : undefined));
  }
  if (!isPlainObject(v)) throw new RequestError(ErrorCode.PARSE, 400, 'expected a JSON array of events, an {"events":[...]} wrapper or one event object', { position: 0 });
  if (!('events' in v)) return withRefused({ items: [v], errors: [], defaults: base }, text, v, () => [0, 0]);
  const events = v.events;
  if (!Array.isArray(events)) throw new RequestError(ErrorCode.VALIDATION, 400, 'events: must be an array', { field: 'events' });
  if (events.length > maxEvents) throw tooMany(maxEvents);
  const defaults: EventDefaults = { ...base };
  const wrapperScenario = v.scenario_name ?? v.scenario;
  if (wrapperScenario !== undefined && wrapperScenario !== null) defaults.scenario = checkScenario(wrapperScenario, v.scenario_name !== undefined ? 'scenario_name' : 'scenario');
  const dep = checkOptionalString(v.deployment_id, 'deployment_id');
  if (dep !== undefined) defaults.deploymentId = dep;
  const extra: Record<string, unknown> = {};
  let hasExtra = false;
  for (const key of ['deployment_mode', 'source'] as const) {
    const value = checkOptionalString(v[key], key);
    if (value !== undefined) {
      extra[key] = value;
      hasExtra = true;
    }
  }
  if (hasExtra) defaults.details = extra;
  return withRefused({ items: events, errors: [], defaults }, text, events, (p) => (p[0] === 'events' && typeof p[1] === 'number' ? [p[1], 2] : undefined));
}

function withRefused(parsed: ParsedUpload, text: string, value: unknown, eventIndex: (path: (string | number)[]) => [number, number] | undefined): ParsedUpload {
  const found = findInexactNumbers(text, value);
  if (found.length > 0) refuseInexact(found, eventIndex, (parsed.refused = new Map()));
  return parsed;
}

/**
 * `application/x-ndjson` / `application/jsonl` upload: one event per line; blank lines are skipped; a line that is
 * not JSON is reported with its line number and does not sink the others.
 */
export function parseNdjsonUpload(text: string, maxEvents: number, base: EventDefaults): ParsedUpload {
  const items: unknown[] = [];
  const lines: number[] = [];
  const errors: EventError[] = [];
  // A line's text is walked for inexact numbers only when its parsed value holds a candidate (see numbers.ts).
  let underflow: boolean | undefined;
  const zeros = (): boolean => (underflow ??= underflowPossible(text));
  let refused: Map<number, ValidationError> | undefined;
  let start = 0;
  let lineNo = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    lineNo++;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop > start && !isBlank(text, start, stop)) {
      if (items.length + errors.length >= maxEvents) throw tooMany(maxEvents);
      const v = parseJson(text.slice(start, stop), lineNo);
      if (v instanceof RequestError) errors.push({ index: lineNo, code: v.code, error: v.message });
      else {
        if (hasInexactCandidate(v, zeros)) refuseInexact(scanInexactNumbers(text.slice(start, stop)), () => [items.length, 0], (refused ??= new Map()));
        items.push(v);
        lines.push(lineNo);
      }
    }
    start = end + 1;
  }
  return refused !== undefined && refused.size > 0 ? { items, lines, errors, defaults: base, refused } : { items, lines, errors, defaults: base };
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
