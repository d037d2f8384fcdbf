import { SpanKind } from '@opentelemetry/api';
import { TelemetryError, ValidationError } from '../../core/errors.js';
import { ATTR_SCENARIO, LEGACY_ATTR_SCENARIO } from '../../core/record.js';
import { isSafeScenario, scenarioFromPackageName } from '../../core/scenario.js';
import { MAX_COUNTER_NAME_LENGTH } from '../../receivers/usage/UsageCounters.js';
import { isEntrySpan, spanCommandName, type AttributeGetter } from '../../receivers/usage/spanCommands.js';
import { EXCEPTION_EVENT } from '../../receivers/usage/UsageSpanProcessor.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** What one OTLP traces request adds to one scenario. */
export interface ScenarioTraceUsage {
  commands: Map<string, number>;
  errors: number;
}

export interface TraceUsageResult {
  byScenario: Map<string, ScenarioTraceUsage>;
  spans: number;
  /** Entry spans not counted as commands (name empty or longer than 128 characters). */
  skipped: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// OTLP SpanFlags: bit 8 says whether bit 9 (parent is remote) is known.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

// OTLP span kinds are 1-based (1 internal … 5 consumer); the API's SpanKind is 0-based. JSON may carry enum names.
const KIND_NAMES: Record<string, number> = { SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 };
function apiKind(v: unknown): SpanKind {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? (KIND_NAMES[v] ?? Number(v)) : 0;
  return n >= 1 && n <= 5 ? ((n - 1) as SpanKind) : SpanKind.INTERNAL;
}

function hasParent(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.length > 0 && !/^0+$/.test(v);
  if (v instanceof Uint8Array) return v.some((b) => b !== 0);
  return false;
}

function stringAttr(list: unknown[], key: string): string | undefined {
  for (const kv of list) {
    if (!isObj(kv) || kv.key !== key || !isObj(kv.value)) continue;
    const s = (kv.value as Obj).stringValue ?? (kv.value as Obj).string_value;
    return typeof s === 'string' ? s : undefined;
  }
  return undefined;
}

/**
 * An OTLP attribute list (`[{ key, value: { stringValue } }]`, JSON or decoded protobuf) as the getter the shared
 * naming reads. Only string values are kept (names are built from strings); the first entry of a key wins.
 */
function otlpAttributes(list: unknown): AttributeGetter {
  const byKey = new Map<string, string>();
  for (const kv of arr(list)) {
    if (!isObj(kv) || typeof kv.key !== 'string' || byKey.has(kv.key) || !isObj(kv.value)) continue;
    const s = (kv.value as Obj).stringValue ?? (kv.value as Obj).string_value;
    if (typeof s === 'string') byKey.set(kv.key, s);
  }
  return (key) => byKey.get(key);
}

/** The scenario of a resource: `product_telemetry.scenario` (or the older `telemetry.scenario`) if safe, else `service.name` made file-safe, else the default. */
export function scenarioOf(resource: unknown, fallback: string): string {
  const attrs = isObj(resource) ? arr(resource.attributes) : [];
  // The current key wins; the key of earlier releases (`telemetry.scenario`) is still accepted.
  const explicit = stringAttr(attrs, ATTR_SCENARIO) ?? stringAttr(attrs, LEGACY_ATTR_SCENARIO);
  if (explicit !== undefined && isSafeScenario(explicit)) return explicit;
  const service = stringAttr(attrs, 'service.name');
  if (service !== undefined && !service.startsWith('unknown_service')) {
    const s = isSafeScenario(service) ? service : scenarioFromPackageName(service);
    if (s !== undefined) return s;
  }
  return fallback;
}

/**
 * OTLP `ExportTraceServiceRequest` (decoded from JSON or protobuf; same shape) → usage per scenario, with the span
 * bridge's rules (`isEntrySpan`, `spanCommandName`): each entry span (server/consumer, or a local root — no parent,
 * or a remote parent per the OTLP flags — that is not client/producer) is one command under its route, RPC or
 * messaging name, else its span name; each span event named `exception` is one error. Nothing else is looked at.
 */
export function traceUsageOf(request: unknown, options: { defaultScenario: string; maxSpans: number }): TraceUsageResult {
  if (!isObj(request)) throw new ValidationError('resourceSpans', 'expected an ExportTraceServiceRequest object');
  const resourceSpans = arr(request.resourceSpans ?? request.resource_spans);
  let spans = 0;
  for (const rs of resourceSpans) if (isObj(rs)) for (const ss of arr(rs.scopeSpans ?? rs.scope_spans)) if (isObj(ss)) spans += arr(ss.spans).length;
  if (spans > options.maxSpans) {
    throw new TelemetryError(ErrorCode.TOO_MANY_EVENTS, `more than ${options.maxSpans} spans in one request (TELEMETRY_MAX_EVENTS_PER_REQUEST)`, 413);
  }
  const out: TraceUsageResult = { byScenario: new Map(), spans, skipped: 0 };
  for (const rs of resourceSpans) {
    if (!isObj(rs)) continue;
    const scenario = scenarioOf(rs.resource, options.defaultScenario);
    let usage = out.byScenario.get(scenario);
    for (const ss of arr(rs.scopeSpans ?? rs.scope_spans)) {
      if (!isObj(ss)) continue;
      for (const span of arr(ss.spans)) {
        if (!isObj(span)) continue;
        if (usage === undefined) out.byScenario.set(scenario, (usage = { commands: new Map(), errors: 0 }));
        for (const ev of arr(span.events)) if (isObj(ev) && ev.name === EXCEPTION_EVENT) usage.errors++;
        const flags = typeof span.flags === 'number' ? span.flags : 0;
        const remoteParent = (flags & HAS_IS_REMOTE) !== 0 && (flags & IS_REMOTE) !== 0;
        const localParent = hasParent(span.parentSpanId ?? span.parent_span_id) && !remoteParent;
        if (!isEntrySpan(apiKind(span.kind), localParent)) continue;
        const name = spanCommandName(typeof span.name === 'string' ? span.name : '', otlpAttributes(span.attributes));
        if (name.length === 0 || name.length > MAX_COUNTER_NAME_LENGTH) {
          out.skipped++;
          continue;
        }
        usage.commands.set(name, (usage.commands.get(name) ?? 0) + 1);
      }
    }
  }
  return out;
}
