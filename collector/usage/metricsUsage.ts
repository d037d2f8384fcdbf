import { createHash } from 'node:crypto';
import { TelemetryError, ValidationError } from '../../core/errors.js';
import { MAX_COUNTER_NAME_LENGTH } from '../../receivers/usage/UsageCounters.js';
import { scenarioOf } from './traceUsage.js';
import { ErrorCode } from '../../core/errorCodes.js';

/**
 * One monotonic-sum data point of an OTLP metrics request, as the usage book needs it. `series` identifies the
 * time series (scenario, resource, metric name, attribute set) as a hash, so nothing of the resource or attributes
 * (host names, pids) is kept. Cumulative points carry their start time: a new start is a new series (restart).
 */
export interface MetricPoint {
  scenario: string;
  name: string;
  series: string;
  cumulative: boolean;
  start: string;
  value: number;
}

export interface MetricUsageResult {
  points: MetricPoint[];
  /** Data points in the request. */
  dataPoints: number;
  /** Points acknowledged but not counted: gauges, histograms, summaries, non-monotonic sums. */
  ignored: number;
  /** Monotonic-sum points refused: name empty or over 128 characters, value missing, negative or not finite. */
  rejected: number;
  reasons: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (o: Obj, camel: string, snake: string): unknown => (Object.hasOwn(o, camel) ? o[camel] : Object.hasOwn(o, snake) ? o[snake] : undefined);

const DELTA = 1;
const CUMULATIVE = 2;
const TEMPORALITY_NAMES: Record<string, number> = { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: DELTA, AGGREGATION_TEMPORALITY_CUMULATIVE: CUMULATIVE };
const KINDS: ReadonlyArray<readonly [string, string]> = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];

function temporality(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return TEMPORALITY_NAMES[v] ?? Number(v);
  return 0;
}

/** A protobufjs Long (fixed64/sfixed64) as a BigInt. */
function longOf(v: unknown): bigint | undefined {
  if (!isObj(v) || typeof v.low !== 'number' || typeof v.high !== 'number') return undefined;
  const n = (BigInt(v.high >>> 0) << 32n) + BigInt(v.low >>> 0);
  return v.unsigned === true ? n : BigInt.asIntN(64, n);
}

/** A point's value: asInt (number, decimal string or Long) or asDouble; undefined when absent or unreadable. */
function pointValue(p: Obj): number | undefined {
  const i = field(p, 'asInt', 'as_int');
  if (i !== undefined && i !== null) {
    if (typeof i === 'number') return Number.isFinite(i) ? i : undefined;
    if (typeof i === 'string') return /^-?\d{1,20}$/.test(i) ? Number(i) : undefined;
    const l = longOf(i);
    return l === undefined ? undefined : Number(l);
  }
  const d = field(p, 'asDouble', 'as_double');
  if (typeof d === 'number') return d;
  if (typeof d === 'string' && d.length > 0) return Number(d); // OTLP/JSON may write NaN/Infinity as strings
  return undefined;
}

/** A start time as a canonical decimal string (any int64 form); '' when absent. */
function startOf(p: Obj): string {
  const v = field(p, 'startTimeUnixNano', 'start_time_unix_nano');
  if (typeof v === 'string') return /^\d{1,20}$/.test(v) ? v.replace(/^0+(?=\d)/, '') : '';
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? String(v) : '';
  const l = longOf(v);
  return l === undefined ? '' : l.toString();
}

/** An AnyValue in a canonical, bounded text form (the same for JSON and protobuf), for series identity only. */
function canonValue(v: unknown, depth: number): unknown {
  if (!isObj(v) || depth > 8) return null;
  for (const [camel, snake] of [['stringValue', 'string_value'], ['boolValue', 'bool_value'], ['doubleValue', 'double_value']] as const) {
    const x = field(v, camel, snake);
    if (x !== undefined) return typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number' ? x : null;
  }
  const i = field(v, 'intValue', 'int_value');
  if (i !== undefined) return typeof i === 'string' || typeof i === 'number' ? String(i) : (longOf(i)?.toString() ?? null);
  const a = field(v, 'arrayValue', 'array_value');
  if (a !== undefined) return arr(isObj(a) ? a.values : undefined).slice(0, 64).map((x) => canonValue(x, depth + 1));
  const k = field(v, 'kvlistValue', 'kvlist_value');
  if (k !== undefined) return canonAttributes(arr(isObj(k) ? k.values : undefined), depth + 1);
  const b = field(v, 'bytesValue', 'bytes_value');
  if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  return typeof b === 'string' ? b : null;
}

function canonAttributes(list: unknown[], depth: number): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const kv of list.slice(0, 256)) if (isObj(kv) && typeof kv.key === 'string') out.push([kv.key, canonValue(kv.value, depth)]);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function seriesId(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 24);
}

/**
 * OTLP `ExportMetricsServiceRequest` (decoded from JSON or protobuf; same shape) → usage per scenario. The scenario
 * of a resource is the traces bridge's (`product_telemetry.scenario`, else `service.name`, else the default). Each
 * data point of a monotonic sum (a counter, int or double) adds to the metric named like the instrument; delta points
 * add their value, cumulative points are handed on with their series id and start time so the book adds only what
 * grew since the last export. Everything else (gauges, histograms, summaries, up-down counters) is only counted.
 */
export function metricUsageOf(request: unknown, options: { defaultScenario: string; maxPoints: number }): MetricUsageResult {
  if (!isObj(request)) throw new ValidationError('resourceMetrics', 'expected an ExportMetricsServiceRequest object');
  const resourceMetrics = arr(field(request, 'resourceMetrics', 'resource_metrics'));
  const out: MetricUsageResult = { points: [], dataPoints: 0, ignored: 0, rejected: 0, reasons: [] };
  const dataOf = (metric: Obj): [string, Obj] | undefined => {
    for (const [camel, snake] of KINDS) {
      const d = field(metric, camel, snake);
      if (isObj(d)) return [camel, d];
    }
    return undefined;
  };
  // Count first: the limit applies before any work per point.
  for (const rm of resourceMetrics) {
    if (!isObj(rm)) continue;
    for (const sm of arr(field(rm, 'scopeMetrics', 'scope_metrics'))) {
      if (!isObj(sm)) continue;
      for (const m of arr(sm.metrics)) {
        const data = isObj(m) ? dataOf(m) : undefined;
        if (data !== undefined) out.dataPoints += arr(field(data[1], 'dataPoints', 'data_points')).length;
      }
    }
  }
  if (out.dataPoints > options.maxPoints) {
    throw new TelemetryError(ErrorCode.TOO_MANY_EVENTS, `more than ${options.maxPoints} data points in one request (TELEMETRY_MAX_EVENTS_PER_REQUEST)`, 413);
  }
  const reject = (reason: string) => {
    out.rejected++;
    if (out.reasons.length < 5 && !out.reasons.includes(reason)) out.reasons.push(reason);
  };
  for (const rm of resourceMetrics) {
    if (!isObj(rm)) continue;
    const resource = field(rm, 'resource', 'resource');
    const scenario = scenarioOf(resource, options.defaultScenario);
    let resourceId: string | undefined;
    for (const sm of arr(field(rm, 'scopeMetrics', 'scope_metrics'))) {
      if (!isObj(sm)) continue;
      for (const m of arr(sm.metrics)) {
        if (!isObj(m)) continue;
        const data = dataOf(m);
        if (data === undefined) continue;
        const [kind, d] = data;
        const points = arr(field(d, 'dataPoints', 'data_points'));
        const monotonic = field(d, 'isMonotonic', 'is_monotonic');
        if (kind !== 'sum' || !(monotonic === true || monotonic === 'true')) {
          out.ignored += points.length;
          continue;
        }
        const t = temporality(field(d, 'aggregationTemporality', 'aggregation_temporality'));
        const name = m.name;
        for (const p of points) {
          if (typeof name !== 'string' || name.length === 0 || name.length > MAX_COUNTER_NAME_LENGTH) {
            reject(`metric name empty or over ${MAX_COUNTER_NAME_LENGTH} characters`);
            continue;
          }
          if (t !== DELTA && t !== CUMULATIVE) {
            reject(`${JSON.stringify(name)}: aggregationTemporality must be delta or cumulative`);
            continue;
          }
          const value = isObj(p) ? pointValue(p) : undefined;
          if (value === undefined || !Number.isFinite(value) || value < 0) {
            reject(`${JSON.stringify(name)}: a counter's value must be a finite number >= 0`);
            continue;
          }
          const cumulative = t === CUMULATIVE;
          const start = cumulative ? startOf(p as Obj) : '';
          resourceId ??= seriesId(canonAttributes(isObj(resource) ? arr(resource.attributes) : [], 0));
          const series = cumulative ? seriesId([scenario, resourceId, name, canonAttributes(arr((p as Obj).attributes), 0)]) : '';
          out.points.push({ scenario, name, series, cumulative, start, value });
        }
      }
    }
  }
  return out;
}
