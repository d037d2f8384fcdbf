import { TelemetryError, ValidationError } from '../../core/errors.js';
import { ATTR_APP_ID, ATTR_APP_INSTALLATION_ID, ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, LEGACY_ATTRIBUTE_KEYS } from '../../core/record.js';
import { LEGACY_RESOURCE_ATTRIBUTE_KEYS, PRODUCT_RESOURCE_ATTRIBUTES } from '../../receivers/environment/ProductEnvironmentDetector.js';
import { isSafeScenario, scenarioFromPackageName } from '../../core/scenario.js';
import { checkDetails, isForbiddenKey } from '../ingest/details.js';
import { checkId, checkName, checkOptionalString, checkScenario, checkTimestamp, type EventLimits } from '../ingest/validate.js';
import type { StoreEvent } from '../stores/TelemetryStore.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** Event name of app logs (records without an event name) when TELEMETRY_OTLP_STORE_LOGS is on. */
const APP_LOG_EVENT = 'log';

export interface OtlpMapOptions {
  /** Scenario when neither `product_telemetry.scenario` nor a usable `service.name` is given. */
  defaultScenario: string;
  limits: EventLimits;
  now: number;
  /** Store records without an event name as event `log` instead of only counting them. */
  storeAppLogs: boolean;
  /** Most records in one request. */
  maxRecords: number;
}

export interface OtlpMapResult {
  events: StoreEvent[];
  /** Records in the request. */
  records: number;
  /** Records refused by validation (not counting what the store refuses later). */
  rejected: number;
  /** The first few reasons, for the partial-success message. */
  reasons: string[];
  /** Records without an event name (app logs), counted. */
  appLogs: number;
}

/** Attributes that the mapping itself consumes (current and older keys); every other attribute goes into details. */
const MAPPED = new Set([ATTR_SCENARIO, ATTR_EVENT_ID, ATTR_DEPLOYMENT_ID, ATTR_APP_INSTALLATION_ID, ATTR_APP_ID, 'event.name', ...LEGACY_ATTRIBUTE_KEYS.keys()]);

/**
 * The resource attributes the collector keeps (privacy where data leaves the sending host): the README's "What is
 * collected" list (PRODUCT_RESOURCE_ATTRIBUTES), stored as `details.resource`, plus `service.name` and
 * `deployment.id`, which only choose the scenario and the deployment. Everything else a sender's detectors add
 * (`host.name`, `host.id`, `process.owner`, `process.command_args`, `process.executable.path`, `os.description`, ...)
 * is dropped unread. Older keys (`product.*`) are accepted and stored under the current key (the current one wins).
 */
export const OTLP_STORED_RESOURCE_ATTRIBUTES: ReadonlySet<string> = new Set(PRODUCT_RESOURCE_ATTRIBUTES);
const MAX_RESOURCE_VALUE_CHARS = 256;
const MAX_RESOURCE_ARRAY_ITEMS = 64;

/** An allow-listed resource attribute's value, if it is of a storable shape (a scalar, or an array of scalars). */
function resourceValue(v: unknown): unknown {
  if (!isObj(v)) return undefined;
  const scalar = (x: unknown): string | number | boolean | undefined => {
    if (!isObj(x)) return undefined;
    const s = own(x, 'stringValue', 'string_value');
    if (typeof s === 'string') return s.length <= MAX_RESOURCE_VALUE_CHARS ? s : undefined;
    const b = own(x, 'boolValue', 'bool_value');
    if (b !== undefined) return b === true || b === 'true';
    const i = own(x, 'intValue', 'int_value');
    if (i !== undefined) return int64(i);
    const d = own(x, 'doubleValue', 'double_value');
    if (typeof d === 'number' && Number.isFinite(d)) return d;
    return undefined;
  };
  const a = own(v, 'arrayValue', 'array_value');
  if (a !== undefined) {
    const values = arr(isObj(a) ? a.values : undefined);
    if (values.length > MAX_RESOURCE_ARRAY_ITEMS) return undefined;
    const out = values.map(scalar);
    return out.every((x) => x !== undefined) ? out : undefined;
  }
  return scalar(v);
}

/** What the mapping takes from one resource: only allow-listed keys are looked at; nothing here may throw. */
interface ResourceView {
  serviceScenario?: string;
  deployment?: string;
  /** `app.installation.id` as sent (checked per record: an invalid one refuses the resource's records). */
  installation?: unknown;
  /** The allow-listed product attributes, sorted by key; undefined when there are none. */
  stored?: Obj;
}

function resourceView(resource: unknown): ResourceView {
  const view: ResourceView = {};
  if (!isObj(resource)) return view;
  const current = new Map<string, unknown>();
  const legacy = new Map<string, unknown>();
  for (const kv of arr(own(resource, 'attributes'))) {
    if (!isObj(kv) || typeof kv.key !== 'string') continue;
    const key = kv.key;
    if (key === ATTR_APP_INSTALLATION_ID && kv.value !== undefined && kv.value !== null) view.installation = stringAttr(kv.value) ?? kv.value;
    if (key === 'service.name') {
      const name = stringAttr(kv.value);
      if (typeof name === 'string' && !name.startsWith('unknown_service')) view.serviceScenario = scenarioOfService(name);
    } else if (key === ATTR_DEPLOYMENT_ID) {
      const d = stringAttr(kv.value);
      if (typeof d === 'string' && d.length <= 256) view.deployment = d;
    } else if (OTLP_STORED_RESOURCE_ATTRIBUTES.has(key)) {
      const value = resourceValue(kv.value);
      if (value !== undefined) current.set(key, value);
    } else {
      const renamed = LEGACY_RESOURCE_ATTRIBUTE_KEYS.get(key);
      if (renamed === undefined) continue; // not on the allow-list: never read, never stored
      const value = resourceValue(kv.value);
      if (value !== undefined) legacy.set(renamed, value);
    }
  }
  for (const [key, value] of legacy) if (!current.has(key)) current.set(key, value);
  if (current.size > 0) {
    const stored: Obj = {};
    for (const key of [...current.keys()].sort()) stored[key] = current.get(key);
    view.stored = stored;
  }
  return view;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Own property lookup (protobufjs messages keep defaults on the prototype; only set fields are own). */
function own(o: Obj, camel: string, snake?: string): unknown {
  if (Object.hasOwn(o, camel)) return o[camel];
  if (snake !== undefined && Object.hasOwn(o, snake)) return o[snake];
  return undefined;
}

/** int64 as it arrives: a number, a decimal string (OTLP/JSON) or a protobufjs Long. */
function int64(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const n = Number(v);
    return v.length > 0 && Number.isFinite(n) ? n : undefined;
  }
  if (isObj(v) && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as unknown as { toNumber(): number }).toNumber();
  return undefined;
}

/** Nanoseconds since the epoch (any int64 form) → ms; 0 and absent mean unknown. */
function nanosToMillis(v: unknown): number | undefined {
  if (typeof v === 'string') {
    // Exact for any length without BigInt: drop the last six digits.
    if (!/^\d{1,20}$/.test(v)) return undefined;
    const ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
    return ms > 0 ? ms : undefined;
  }
  if (isObj(v) && typeof v.low === 'number' && typeof v.high === 'number') {
    // A protobuf fixed64 (Long): divide exactly. Through a double, nanoseconds since the epoch (> 2^53) lose their
    // last digits and a whole millisecond like 1736942400123000000 would floor to ...122.
    const n = (BigInt(v.high >>> 0) << 32n) + BigInt(v.low >>> 0);
    const ms = Number(n / 1_000_000n);
    return ms > 0 ? ms : undefined;
  }
  const n = int64(v);
  return n !== undefined && n > 0 ? Math.floor(n / 1e6) : undefined;
}

class Problem extends Error {}

/** AnyValue → a JSON value; nesting bounded by `maxDepth` (so hostile input cannot exhaust the stack). */
function anyValue(v: unknown, depth: number, maxDepth: number): unknown {
  if (!isObj(v)) return null;
  if (depth > maxDepth) throw new Problem(`nested deeper than ${maxDepth} levels (TELEMETRY_MAX_DETAILS_DEPTH)`);
  let x = own(v, 'stringValue', 'string_value');
  if (x !== undefined) return scalarText(x);
  x = own(v, 'boolValue', 'bool_value');
  if (x !== undefined) return x === true || x === 'true';
  x = own(v, 'intValue', 'int_value');
  if (x !== undefined) return int64(x) ?? null;
  x = own(v, 'doubleValue', 'double_value');
  if (x !== undefined) {
    const n = typeof x === 'number' ? x : Number(x);
    return Number.isFinite(n) ? n : null;
  }
  x = own(v, 'arrayValue', 'array_value');
  if (x !== undefined) return arr(isObj(x) ? x.values : undefined).map((item) => anyValue(item, depth + 1, maxDepth));
  x = own(v, 'kvlistValue', 'kvlist_value');
  if (x !== undefined) return keyValues(arr(isObj(x) ? x.values : undefined), depth + 1, maxDepth);
  x = own(v, 'bytesValue', 'bytes_value');
  if (x !== undefined) return x instanceof Uint8Array ? Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64') : scalarText(x);
  return null;
}

/** A string field of OTLP/JSON as text; anything else a client put there is dropped (String() of an object may throw). */
function scalarText(x: unknown): string | null {
  if (typeof x === 'string') return x;
  return typeof x === 'number' || typeof x === 'boolean' ? String(x) : null;
}

/** The string value of an attribute read outside the per-record checks (resource attributes): no nesting looked at. */
function stringAttr(v: unknown): string | undefined {
  if (!isObj(v)) return undefined;
  const x = own(v, 'stringValue', 'string_value');
  return typeof x === 'string' ? x : undefined;
}

function keyValues(list: unknown[], depth: number, maxDepth: number): Obj {
  const out: Obj = {};
  for (const kv of list) {
    if (!isObj(kv) || typeof kv.key !== 'string') continue;
    if (isForbiddenKey(kv.key)) throw new Problem(`key "${kv.key}" is not allowed`);
    out[kv.key] = anyValue(kv.value, depth, maxDepth);
  }
  return out;
}

/** The scenario a resource's `service.name` stands for (unsafe characters become `-`), if any. */
function scenarioOfService(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  if (isSafeScenario(name)) return name;
  return scenarioFromPackageName(name);
}

/**
 * OTLP `ExportLogsServiceRequest` (decoded from JSON or protobuf; the same shape) → telemetry events:
 * - event name: the record's `eventName`, else its `event.name` attribute; none → an app log (counted; stored as
 *   event `log` only when `storeAppLogs`);
 * - scenario: the `product_telemetry.scenario` attribute (validated, never rewritten), else the resource's
 *   `service.name` (unsafe characters replaced by `-`; `unknown_service:*` is skipped), else the default scenario;
 * - id: `product_telemetry.event.id`; deployment: the record's, else the resource's `deployment.id`;
 *   app: `product_telemetry.app.id` becomes `details.app` (unless the body has one), as in-process;
 *   the keys of earlier releases (`telemetry.scenario`, `telemetry.event.id`, `app.id`) are accepted, current wins;
 * - details: the body when it is a map (else `{"body": value}`), plus every other record attribute not already a key;
 *   of the resource only the allow-list is stored, as `details.resource` (OTLP_STORED_RESOURCE_ATTRIBUTES; privacy:
 *   never host names, ids, users or command lines);
 * - time: `timeUnixNano`, else `observedTimeUnixNano`, else now; severity kept (the line's `level` for WARN and up).
 * Invalid records are counted as rejected with a reason; they never sink the others.
 */
export function mapLogsRequest(request: unknown, options: OtlpMapOptions): OtlpMapResult {
  const out: OtlpMapResult = { events: [], records: 0, rejected: 0, reasons: [], appLogs: 0 };
  if (!isObj(request)) throw new ValidationError('resourceLogs', 'expected an ExportLogsServiceRequest object');
  const resourceLogs = arr(own(request, 'resourceLogs', 'resource_logs'));
  // Count first: the limit applies before any work per record.
  for (const rl of resourceLogs) {
    if (!isObj(rl)) continue;
    for (const sl of arr(own(rl, 'scopeLogs', 'scope_logs'))) if (isObj(sl)) out.records += arr(own(sl, 'logRecords', 'log_records')).length;
  }
  if (out.records > options.maxRecords) {
    throw new TelemetryError(ErrorCode.TOO_MANY_EVENTS, `more than ${options.maxRecords} log records in one request (TELEMETRY_MAX_EVENTS_PER_REQUEST)`, 413);
  }
  for (const rl of resourceLogs) {
    if (!isObj(rl)) continue;
    // Read as plain values: this runs outside the per-record try, so nothing here may throw.
    const resource = resourceView(own(rl, 'resource'));
    for (const sl of arr(own(rl, 'scopeLogs', 'scope_logs'))) {
      if (!isObj(sl)) continue;
      for (const lr of arr(own(sl, 'logRecords', 'log_records'))) {
        try {
          const e = mapRecord(lr, resource.serviceScenario ?? options.defaultScenario, resource, options, out);
          if (e !== undefined) out.events.push(e);
        } catch (err) {
          out.rejected++;
          if (out.reasons.length < 5) out.reasons.push(err instanceof Problem ? `details: ${err.message}` : (err as Error).message);
        }
      }
    }
  }
  return out;
}

/** One record → an event; undefined for an app log that is only counted. */
function mapRecord(lr: unknown, scenarioFallback: string, resource: ResourceView, options: OtlpMapOptions, out: OtlpMapResult): StoreEvent | undefined {
  if (!isObj(lr)) throw new ValidationError('logRecord', 'expected an object');
  const { limits } = options;
  const attrList = arr(own(lr, 'attributes'));
  let name = own(lr, 'eventName', 'event_name');
  if (typeof name !== 'string' || name.length === 0) {
    name = undefined;
    for (const kv of attrList) if (isObj(kv) && kv.key === 'event.name') name = anyValue(kv.value, 1, 1);
  }
  let storedAppLog = false;
  if (typeof name !== 'string' || name.length === 0) {
    out.appLogs++;
    if (!options.storeAppLogs) return undefined;
    name = APP_LOG_EVENT;
    storedAppLog = true;
  }
  // Attributes are converted only for records that are kept (app logs are usually most of an OTLP stream).
  const attrs = keyValues(attrList, 2, limits.maxDepth);
  // Older keys stand in for absent current ones (MAPPED keeps both out of details).
  for (const [old, current] of LEGACY_ATTRIBUTE_KEYS) if (attrs[current] === undefined && attrs[old] !== undefined) attrs[current] = attrs[old];
  const scenarioAttr = attrs[ATTR_SCENARIO];
  const event: StoreEvent = {
    scenario: scenarioAttr !== undefined ? checkScenario(scenarioAttr, ATTR_SCENARIO) : scenarioFallback,
    event: checkName(name, 'eventName'),
    timestamp: checkTimestamp(nanosToMillis(own(lr, 'timeUnixNano', 'time_unix_nano')) ?? nanosToMillis(own(lr, 'observedTimeUnixNano', 'observed_time_unix_nano')) ?? options.now, 'timeUnixNano', options.now, limits.maxClockSkewMs),
  };
  const id = checkId(attrs[ATTR_EVENT_ID]);
  if (id !== undefined) event.id = id;
  const dep = checkOptionalString(attrs[ATTR_DEPLOYMENT_ID], ATTR_DEPLOYMENT_ID) ?? resource.deployment;
  if (dep !== undefined) event.deploymentId = dep;
  // The line's installation_id: the record's own `app.installation.id`, else its resource's.
  const installation = checkId(attrs[ATTR_APP_INSTALLATION_ID] ?? resource.installation, ATTR_APP_INSTALLATION_ID);
  if (installation !== undefined) event.installationId = installation;
  const sev = int64(own(lr, 'severityNumber', 'severity_number'));
  if (sev !== undefined && Number.isInteger(sev) && sev >= 1 && sev <= 24) event.severityNumber = sev;

  const bodyValue = own(lr, 'body');
  let details: Obj | undefined;
  if (bodyValue !== undefined) {
    const body = anyValue(bodyValue, 1, limits.maxDepth);
    if (isObj(body)) details = body;
    else if (body !== null) details = { body };
  }
  const app = attrs[ATTR_APP_ID];
  if (app !== undefined && app !== null && !(details !== undefined && Object.hasOwn(details, 'app'))) (details ??= {}).app = app;
  for (const key in attrs) {
    if (MAPPED.has(key)) continue;
    details ??= {};
    if (!Object.hasOwn(details, key)) details[key] = attrs[key];
  }
  if (resource.stored !== undefined && !(details !== undefined && Object.hasOwn(details, 'resource'))) {
    // A copy per event: later stages may rewrite details (redaction), and events of one resource must not share it.
    const copy: Obj = {};
    for (const key in resource.stored) {
      const v = resource.stored[key];
      copy[key] = Array.isArray(v) ? [...v] : v;
    }
    (details ??= {}).resource = copy;
  }
  if (storedAppLog) {
    const text = own(lr, 'severityText', 'severity_text');
    if (typeof text === 'string' && text.length > 0 && details?.severity_text === undefined) (details ??= {}).severity_text = text;
  }
  if (details !== undefined) {
    checkDetails(details, limits);
    event.details = details;
  }
  return event;
}
