import { diag } from '../../core/diag.js';
import { SeverityNumber, type AnyValue, type AnyValueMap, type LoggerLike, type LoggerProviderLike, type LogAttributes, type LogRecordInput } from '../../core/logTypes.js';
import { reportOnce } from '../../core/report.js';
import { ValidationError } from '../../core/errors.js';
import { ATTR_APP_ID, ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, CRASH_EVENT, TELEMETRY_SCOPE } from '../../core/record.js';
import { isSafeScenario } from '../../core/scenario.js';
import { ScenarioNameError } from '../../core/errors.js';
import { millisToHrTime, parseIsoTimestamp } from '../../core/time.js';
import { ID_PATTERN } from '../../core/id.js';
import { received, resolveRuntime, type TelemetryRuntime } from '../../core/runtime.js';
import { VERSION } from '../../core/version.js';
import { CRASH_OUTSIDE_PRODUCTION_ACK, CREATED_ACK, DISABLED_ACK, NO_PIPELINE_ACK, NOT_TAKEN_ACK, type AppcdAck } from './ack.js';
import { usageState } from '../usage/usageState.js';
import { getTelemetryData } from '../usage/activeUsage.js';
import type { TelemetryData } from '../usage/telemetryData.js';

/** appcd's `/appcd/telemetry` payload: `event` is required, everything else is kept as details. */
export interface TelemetryEventInput {
  event: string;
  app?: string;
  scenario?: string;
  deployment_id?: string;
  /** ISO 8601 string, epoch milliseconds or a Date; defaults to now. */
  timestamp?: string | number | Date;
  /** Stable event id for de-duplication; assigned when recorded if absent. */
  id?: string;
  [key: string]: unknown;
}

/** appcd's `/appcd/telemetry/crash` payload: `message` is required. */
export interface TelemetryCrashInput {
  message: string;
  app?: string;
  stack?: string;
  scenario?: string;
  deployment_id?: string;
  [key: string]: unknown;
}

/** Strapi's TelemetryPayload. */
export interface TelemetryPayload {
  eventProperties?: Record<string, unknown>;
  userProperties?: Record<string, unknown>;
  groupProperties?: Record<string, unknown>;
}

export interface TelemetryInstanceOptions {
  /**
   * Emit through this LoggerProvider instead of the pipeline's own one (it must carry the pipeline's processors,
   * `pt.logRecordProcessors`; a record none of them received answers "not recorded").
   */
  loggerProvider?: LoggerProviderLike;
  /** Use this runtime (consent + rules) instead of the active one. */
  runtime?: TelemetryRuntime;
  /** Defaults applied to every event of this instance. */
  scenario?: string;
  app?: string;
  deploymentId?: string;
}

const rejected = (err: unknown): Promise<never> => {
  const p = Promise.reject(err);
  // Mark it handled: a caller that awaits still sees the rejection, one that ignores the promise never gets an
  // unhandled rejection that would crash its process (telemetry must never hurt the host).
  p.catch(() => undefined);
  return p;
};
const CREATED = Promise.resolve(CREATED_ACK);
const DISABLED = Promise.resolve(DISABLED_ACK);
const NO_PIPELINE = Promise.resolve(NO_PIPELINE_ACK);
const NOT_TAKEN = Promise.resolve(NOT_TAKEN_ACK);
const CRASH_SKIPPED = Promise.resolve(CRASH_OUTSIDE_PRODUCTION_ACK);
const FALSE = Promise.resolve(false);

/**
 * The in-process recording API: appcd-style `event()` / `crash()` and Strapi-style `send()`, emitting OTel log
 * records through the Logs API. Nothing here ever throws into the caller; bad payloads reject with a
 * ValidationError naming the field. When telemetry is off each call is a field read and a shared resolved promise.
 */
export class TelemetryInstance {
  private readonly options: TelemetryInstanceOptions;
  private logger: LoggerLike | undefined;

  constructor(options: TelemetryInstanceOptions = {}) {
    this.options = options;
  }

  /** Record a usage event (appcd `/appcd/telemetry`). Resolves to appcd's 201 ack when recorded. */
  event(data: TelemetryEventInput): Promise<AppcdAck> {
    const runtime = this.options.runtime ?? resolveRuntime();
    if (runtime === undefined || !runtime.consent.enabled) return DISABLED;
    try {
      if (data === null || typeof data !== 'object') throw new ValidationError('payload', 'expected an object with an "event" field');
      const { event, app, scenario, deployment_id, timestamp, id } = data;
      const rest = detailsOf(data);
      if (typeof event !== 'string' || event.length === 0) throw new ValidationError('event', 'required, a non-empty string');
      if (event.length > 256) throw new ValidationError('event', 'at most 256 characters');
      const body = rest as AnyValueMap;
      const attributes = this.attributes(app, scenario, deployment_id, id, body);
      return this.emit(runtime, {
        eventName: event,
        severityNumber: SeverityNumber.INFO,
        // HrTime, not a number: the SDK reads small epoch numbers (before ~1998) as performance.now() offsets.
        timestamp: timestamp === undefined ? undefined : millisToHrTime(toMillis(timestamp)),
        attributes,
        body,
      });
    } catch (err) {
      return this.fail(err);
    }
  }

  /**
   * Record a crash (appcd `/appcd/telemetry/crash`), from a payload with `message` or from an Error. Kept only when
   * TELEMETRY_ENVIRONMENT is `production`; otherwise resolves to a "Not Recorded" ack that says why.
   */
  crash(input: TelemetryCrashInput | Error): Promise<AppcdAck> {
    const runtime = this.options.runtime ?? resolveRuntime();
    if (runtime === undefined || !runtime.consent.enabled) return DISABLED;
    if (runtime.config.environment !== 'production') return CRASH_SKIPPED;
    try {
      let body: Record<string, unknown>;
      let app: unknown, scenario: unknown, deploymentId: unknown, id: unknown;
      if (input instanceof Error) {
        body = { message: input.message, type: input.name };
        if (input.stack) body.stack = input.stack;
        const code = (input as { code?: unknown }).code;
        if (typeof code === 'string' || typeof code === 'number') body.code = code;
      } else {
        if (input === null || typeof input !== 'object') throw new ValidationError('payload', 'expected an Error or an object with a "message" field');
        const { message, app: a, scenario: s, deployment_id: d, id: i, ...rest } = input;
        if (typeof message !== 'string' || message.length === 0) throw new ValidationError('message', 'required, a non-empty string');
        if (rest.stack !== undefined && typeof rest.stack !== 'string') throw new ValidationError('stack', 'must be a string');
        body = { message, ...rest };
        [app, scenario, deploymentId, id] = [a, s, d, i];
      }
      const attributes = this.attributes(app, scenario, deploymentId, id, body);
      attributes['exception.message'] = body.message as string;
      if (typeof body.type === 'string') attributes['exception.type'] = body.type;
      if (typeof body.stack === 'string') attributes['exception.stacktrace'] = body.stack;
      return this.emit(runtime, { eventName: CRASH_EVENT, severityNumber: SeverityNumber.FATAL, severityText: 'FATAL', attributes, body: body as AnyValueMap });
    } catch (err) {
      return this.fail(err);
    }
  }

  /**
   * Strapi-style: `send(event, { eventProperties, userProperties, groupProperties })`. Event properties become the
   * event's details; user and group properties are kept under `details.userProperties` / `details.groupProperties`.
   * Resolves true when recorded, false when telemetry is off or the payload was invalid (never rejects).
   */
  send(event: string, payload: TelemetryPayload = {}): Promise<boolean> {
    const runtime = this.options.runtime ?? resolveRuntime();
    if (runtime === undefined || !runtime.consent.enabled) return FALSE;
    if (typeof event !== 'string' || event.length === 0 || payload === null || typeof payload !== 'object') {
      diag.warn('send() needs an event name and a payload object; nothing recorded');
      return FALSE;
    }
    const details: Record<string, unknown> = { ...(isObject(payload.eventProperties) ? payload.eventProperties : {}) };
    if (isObject(payload.userProperties) && Object.keys(payload.userProperties).length > 0) details.userProperties = payload.userProperties;
    if (isObject(payload.groupProperties) && Object.keys(payload.groupProperties).length > 0) details.groupProperties = payload.groupProperties;
    return this.event({ ...details, event }).then(
      (ack) => ack.status === 201,
      () => false,
    );
  }

  /** Strapi lifecycle: checks the configuration once (problems go to diag, never thrown). */
  register(): void {
    this.options.runtime ?? resolveRuntime();
  }

  /** Strapi lifecycle: nothing to start here; periodic work belongs to the pipeline. */
  bootstrap(): void {}

  /** Strapi lifecycle: flush what this process recorded (the pipeline's shutdown is the host's or `register`'s). */
  async destroy(): Promise<void> {
    const provider = this.options.loggerProvider as { forceFlush?: () => Promise<void> } | undefined;
    const runtime = this.options.runtime ?? resolveRuntime();
    try {
      if (typeof provider?.forceFlush === 'function') await provider.forceFlush();
      else await runtime?.forceFlush?.();
    } catch (err) {
      diag.error(`flush failed: ${(err as Error).message}`);
    }
  }

  /** Whether events are recorded now. */
  isEnabled(): boolean {
    return (this.options.runtime ?? resolveRuntime())?.consent.enabled ?? false;
  }

  /**
   * Count a command (Camunda's `commands`), e.g. `countCommand('CreateOrder')`. Cheap enough for hot paths: a known
   * name is one Map lookup and an increment, no allocation. Counted while telemetry is off too (it shows in
   * `getTelemetryData()`), but only reported, and saved to disk, while it is on. Never throws.
   */
  countCommand(name: string, n = 1): void {
    usageState().commands.add(name, n);
  }

  /** Count a metric (Camunda's `metrics`), e.g. `countMetric('orders-exported', 20)`. Same costs and rules as `countCommand`. */
  countMetric(name: string, n = 1): void {
    usageState().metrics.add(name, n);
  }

  /**
   * What the usage report would carry now, byte for byte (Camunda's `GET /telemetry/data`): installation, product,
   * environment and counters. Works while telemetry is off, and sends and writes nothing.
   */
  getTelemetryData(): TelemetryData {
    return getTelemetryData();
  }

  /** Runtime toggle (Camunda's `toggleTelemetry`), persisted under the telemetry dir. */
  setEnabled(enabled: boolean): void {
    (this.options.runtime ?? resolveRuntime())?.consent.setEnabled(enabled);
  }

  /**
   * Emit through the pipeline's own logger (or the given provider) and answer what happened to the record. Nothing
   * global is looked up: the 2.x line keeps its LoggerProvider in `@opentelemetry/api-logs`, the 3.x line in
   * `@opentelemetry/api`, and a host may register none or a foreign one. A record that no pipeline head received
   * (no pipeline in this process, a provider without our processors, a pipeline already shut down) is "not
   * recorded", said once on the host's diag logger or stderr: never a 201 for an event that went nowhere.
   */
  private emit(runtime: TelemetryRuntime, record: LogRecordInput): Promise<AppcdAck> {
    const logger = this.loggerOf(runtime);
    if (logger === undefined) {
      reportOnce('no-pipeline', `${NO_PIPELINE_ACK.reason}; events are not recorded`);
      return NO_PIPELINE;
    }
    const before = received.count;
    logger.emit(record);
    if (received.count !== before) return CREATED;
    reportOnce('not-taken', `${NOT_TAKEN_ACK.reason}; events are not recorded`);
    return NOT_TAKEN;
  }

  private loggerOf(runtime: TelemetryRuntime): LoggerLike | undefined {
    if (this.options.loggerProvider === undefined) return runtime.logger;
    this.logger ??= this.options.loggerProvider.getLogger(TELEMETRY_SCOPE, VERSION);
    return this.logger;
  }

  private attributes(app: unknown, scenario: unknown, deploymentId: unknown, id: unknown, body: Record<string, unknown>): LogAttributes {
    const attributes: LogAttributes = {};
    const s = scenario ?? this.options.scenario;
    if (s !== undefined) {
      if (!isSafeScenario(s)) throw new ScenarioNameError('scenario', s);
      attributes[ATTR_SCENARIO] = s;
    }
    const d = deploymentId ?? this.options.deploymentId;
    if (d !== undefined) {
      if (typeof d !== 'string' || d.length > 256) throw new ValidationError('deployment_id', 'must be a string of at most 256 characters');
      attributes[ATTR_DEPLOYMENT_ID] = d;
    }
    const a = app ?? this.options.app;
    if (a !== undefined) {
      if (typeof a !== 'string' || a.length > 256) throw new ValidationError('app', 'must be a string of at most 256 characters');
      attributes[ATTR_APP_ID] = a;
      body.app = a as AnyValue;
    }
    if (id !== undefined) {
      if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new ValidationError('id', 'must be 1-128 characters from A-Z a-z 0-9 . _ : -');
      attributes[ATTR_EVENT_ID] = id;
    }
    return attributes;
  }

  private fail(err: unknown): Promise<never> {
    diag.warn(`event not recorded: ${(err as Error).message}`);
    return rejected(err);
  }
}

/**
 * The payload without its top-level fields: everything else becomes details. A plain loop, because object rest
 * destructuring with excluded keys takes a slow generic path (~2x the cost; this runs for every event).
 */
function detailsOf(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in data) {
    if (k === 'event' || k === 'app' || k === 'scenario' || k === 'deployment_id' || k === 'timestamp' || k === 'id') continue;
    if (!Object.prototype.hasOwnProperty.call(data, k)) continue;
    // "__proto__" as data (e.g. from JSON.parse) must stay data, not become the copy's prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: data[k], enumerable: true, writable: true, configurable: true });
    else out[k] = data[k];
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function toMillis(t: string | number | Date): number {
  if (typeof t === 'number') {
    if (!Number.isFinite(t) || t < 0) throw new ValidationError('timestamp', 'epoch milliseconds must be a non-negative finite number');
    return t;
  }
  if (t instanceof Date) {
    const ms = t.getTime();
    if (!Number.isFinite(ms)) throw new ValidationError('timestamp', 'invalid Date');
    return ms;
  }
  if (typeof t === 'string') {
    const ms = parseIsoTimestamp(t);
    if (ms === undefined) throw new ValidationError('timestamp', `not an ISO 8601 timestamp: ${JSON.stringify(t.slice(0, 40))}`);
    return ms;
  }
  throw new ValidationError('timestamp', 'expected an ISO 8601 string, epoch milliseconds or a Date');
}

/**
 * Strapi-style factory: `createTelemetryInstance(app?)` returns `{ register, bootstrap, destroy, send }` (plus
 * `event`, `crash` and the toggle). `app` may be an app id string or instance options.
 */
export function createTelemetryInstance(app?: string | TelemetryInstanceOptions): TelemetryInstance {
  return new TelemetryInstance(typeof app === 'string' ? { app } : (app ?? {}));
}
