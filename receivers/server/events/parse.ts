import { RequestError } from '../../../core/errors.js';
import { checkOptionalString, checkScenario, type EventDefaults } from './validate.js';

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
}

const POSITION = /at position (\d+)/;

function tooMany(max: number): RequestError {
  return new RequestError('OPT_ERR_TOO_MANY_EVENTS', 413, `more than ${max} events in one request (TELEMETRY_MAX_EVENTS_PER_REQUEST)`);
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
    return new RequestError('OPT_ERR_PARSE', 400, `invalid JSON${where ? ' at ' + where : ''}: ${msg}`, { line, position });
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
    return { items: v, errors: [], defaults: base };
  }
  if (!isPlainObject(v)) throw new RequestError('OPT_ERR_PARSE', 400, 'expected a JSON array of events, an {"events":[...]} wrapper or one event object', { position: 0 });
  if (!('events' in v)) return { items: [v], errors: [], defaults: base };
  const events = v.events;
  if (!Array.isArray(events)) throw new RequestError('OPT_ERR_VALIDATION', 400, 'events: must be an array', { field: 'events' });
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
  return { items: events, errors: [], defaults };
}

/**
 * `application/x-ndjson` / `application/jsonl` upload: one event per line; blank lines are skipped; a line that is
 * not JSON is reported with its line number and does not sink the others.
 */
export function parseNdjsonUpload(text: string, maxEvents: number, base: EventDefaults): ParsedUpload {
  const items: unknown[] = [];
  const lines: number[] = [];
  const errors: EventError[] = [];
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
        items.push(v);
        lines.push(lineNo);
      }
    }
    start = end + 1;
  }
  return { items, lines, errors, defaults: base };
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
