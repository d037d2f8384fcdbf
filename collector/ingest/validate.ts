import { SeverityNumber } from '../../core/logTypes.js';
import { ScenarioNameError, ValidationError } from '../../core/errors.js';
import { ID_PATTERN } from '../../core/id.js';
import { isSafeScenario } from '../../core/scenario.js';
import { millisFromIso } from '../isoTime.js';
import type { StoreEvent } from '../stores/TelemetryStore.js';
import { checkDetails, isForbiddenKey, type DetailsLimits } from './details.js';

export interface EventLimits extends DetailsLimits {
  /** How far in the future a timestamp may be, in ms. */
  maxClockSkewMs: number;
}

/** What a request supplies for events that lack it (query parameter, wrapper fields). */
export interface EventDefaults {
  scenario?: string;
  deploymentId?: string;
  /** Added to details when the event's details lack the key (wrapper `deployment_mode`, `source`). */
  details?: Record<string, unknown>;
}

const MAX_NAME_LENGTH = 256;

// A Map, not an object literal: `level: "constructor"` (or "toString", "__proto__") must not find Object.prototype's
// members and pass as a severity.
const LEVELS = new Map<string, SeverityNumber>([
  ['trace', SeverityNumber.TRACE],
  ['debug', SeverityNumber.DEBUG],
  ['info', SeverityNumber.INFO],
  ['warn', SeverityNumber.WARN],
  ['warning', SeverityNumber.WARN],
  ['error', SeverityNumber.ERROR],
  ['fatal', SeverityNumber.FATAL],
]);

// Scenario names repeat endlessly; the check's result is cached (bounded), as the line serialiser does.
const safe = new Set<string>();
export function checkScenario(value: unknown, field = 'scenario'): string {
  if (typeof value === 'string' && safe.has(value)) return value;
  if (!isSafeScenario(value)) throw new ScenarioNameError(field, value);
  if (safe.size >= 4096) safe.clear();
  safe.add(value);
  return value;
}

export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(field, 'required, a non-empty string');
  if (value.length > MAX_NAME_LENGTH) throw new ValidationError(field, `at most ${MAX_NAME_LENGTH} characters`);
  return value;
}

export function checkOptionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_NAME_LENGTH) throw new ValidationError(field, `must be a string of at most ${MAX_NAME_LENGTH} characters`);
  return value;
}

/** An id-like field (`id`, `installation_id`): 1-128 characters of the id alphabet; absent → undefined. */
export function checkId(value: unknown, field = 'id'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) throw new ValidationError(field, 'must be 1-128 characters from A-Z a-z 0-9 . _ : - starting with a letter or digit');
  return value;
}

/** ISO 8601 string or epoch milliseconds → epoch ms; absent → `now`. Refuses times before 1970 or too far ahead. */
export function checkTimestamp(value: unknown, field: string, now: number, maxSkewMs: number): number {
  if (value === undefined || value === null) return now;
  let ms: number | undefined;
  if (typeof value === 'string') {
    ms = millisFromIso(value);
    if (ms === undefined) throw new ValidationError(field, `not an ISO 8601 timestamp: ${JSON.stringify(value.slice(0, 40))}`);
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    ms = Math.floor(value);
  } else {
    throw new ValidationError(field, 'expected an ISO 8601 string or epoch milliseconds');
  }
  if (ms < 0) throw new ValidationError(field, 'before 1970-01-01');
  if (ms > now + maxSkewMs) throw new ValidationError(field, `more than ${maxSkewMs} ms in the future (TELEMETRY_MAX_CLOCK_SKEW_MS)`);
  return ms;
}

function checkLevel(value: unknown): SeverityNumber | undefined {
  if (value === undefined || value === null) return undefined;
  const sev = typeof value === 'string' ? LEVELS.get(value.toLowerCase()) : undefined;
  if (sev === undefined) throw new ValidationError('level', 'expected one of trace, debug, info, warn, error, fatal');
  return sev;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * One uploaded event → a StoreEvent. Fields: `scenario`, `event` (required), `deployment_id`, `installation_id`,
 * `timestamp` (or `ts`, as in stored lines), `details` (object), `id`, `level`. Any other field is kept in details (appcd's "any other
 * data"; a key already in details wins). Throws ValidationError / ScenarioNameError naming the field.
 */
export function toStoreEvent(raw: unknown, defaults: EventDefaults, limits: EventLimits, now: number): StoreEvent {
  if (!isPlainObject(raw)) throw new ValidationError('event', 'expected a JSON object');
  let scenario: unknown;
  let event: unknown;
  let deploymentId: unknown;
  let installationId: unknown;
  let timestamp: unknown;
  let ts: unknown;
  let details: unknown;
  let id: unknown;
  let level: unknown;
  let extra: Record<string, unknown> | undefined;
  for (const key in raw) {
    const v = raw[key];
    switch (key) {
      case 'scenario':
        scenario = v;
        break;
      case 'event':
        event = v;
        break;
      case 'deployment_id':
        deploymentId = v;
        break;
      case 'installation_id':
        installationId = v;
        break;
      case 'timestamp':
        timestamp = v;
        break;
      case 'ts':
        ts = v;
        break;
      case 'details':
        details = v;
        break;
      case 'id':
        id = v;
        break;
      case 'level':
        level = v;
        break;
      default:
        if (isForbiddenKey(key)) throw new ValidationError(key, `key "${key}" is not allowed`);
        (extra ??= {})[key] = v;
    }
  }
  const out: StoreEvent = {
    scenario: checkScenario(scenario ?? defaults.scenario),
    event: checkName(event, 'event'),
    timestamp: timestamp !== undefined ? checkTimestamp(timestamp, 'timestamp', now, limits.maxClockSkewMs) : checkTimestamp(ts, 'ts', now, limits.maxClockSkewMs),
  };
  const dep = checkOptionalString(deploymentId, 'deployment_id') ?? defaults.deploymentId;
  if (dep !== undefined) out.deploymentId = dep;
  const installation = checkId(installationId, 'installation_id');
  if (installation !== undefined) out.installationId = installation;
  const checkedId = checkId(id);
  if (checkedId !== undefined) out.id = checkedId;
  const sev = checkLevel(level);
  if (sev !== undefined) out.severityNumber = sev;
  if (details !== undefined && details !== null && !isPlainObject(details)) throw new ValidationError('details', 'must be an object');
  let d = details as Record<string, unknown> | undefined | null;
  if (extra !== undefined || defaults.details !== undefined) {
    // Spread defines own data properties, so keys are copied as data whatever their name (forbidden ones were refused).
    d = { ...defaults.details, ...extra, ...d };
  }
  if (d !== undefined && d !== null) {
    checkDetails(d, limits);
    out.details = d;
  }
  return out;
}
