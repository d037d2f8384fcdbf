import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';

/**
 * The record model: how a telemetry event is carried as an OTel log record.
 *
 * | telemetry field  | log record                                                        |
 * |------------------|-------------------------------------------------------------------|
 * | event            | `eventName`                                                       |
 * | scenario         | attribute `product_telemetry.scenario` (else the pipeline's default) |
 * | deployment_id    | attribute `deployment.id` (semantic convention)                   |
 * | installation_id  | attribute `app.installation.id` (else the pipeline's installation id) |
 * | app              | attribute `product_telemetry.app.id` and `details.app`            |
 * | id               | attribute `product_telemetry.event.id` (else assigned when serialised) |
 * | timestamp        | `timestamp` (hrTime)                                              |
 * | details          | `body` (a map, nesting kept)                                      |
 * | crash            | severity FATAL, `exception.type/message/stacktrace` attributes    |
 *
 * Telemetry records are recognised by their instrumentation scope, so application logs sent through the same
 * LoggerProvider are never mistaken for telemetry.
 */
export const TELEMETRY_SCOPE = 'otel-product-telemetry';

/**
 * The one namespace of this project's own attribute keys (resource and log record). Not OTel's reserved
 * `telemetry.*` (the SDK's own `telemetry.sdk.*`), nor bare `product.*` / `app.id`, which conventions may claim.
 * Keys that a semantic convention defines are used as defined (`deployment.id`, `app.installation.id`, ...).
 */
export const ATTR_NAMESPACE = 'product_telemetry.';

export const ATTR_SCENARIO = 'product_telemetry.scenario';
// `deployment.id` is an incubating semantic convention: copied here (as the semconv package advises), not imported.
export const ATTR_DEPLOYMENT_ID = 'deployment.id';
/** Semantic convention attribute for the pseudonymous installation id (`app.installation.id`). */
export const ATTR_APP_INSTALLATION_ID = 'app.installation.id';
export const ATTR_APP_ID = 'product_telemetry.app.id';
export const ATTR_EVENT_ID = 'product_telemetry.event.id';

/**
 * Keys of earlier releases, still accepted on input (records, OTLP logs and traces), so existing clients keep
 * working: old key → current key. When a record carries both, the current key wins. Never written.
 */
export const LEGACY_ATTR_SCENARIO = 'telemetry.scenario';
export const LEGACY_ATTR_EVENT_ID = 'telemetry.event.id';
const LEGACY_ATTR_APP_ID = 'app.id';
export const LEGACY_ATTRIBUTE_KEYS: ReadonlyMap<string, string> = new Map([
  [LEGACY_ATTR_SCENARIO, ATTR_SCENARIO],
  [LEGACY_ATTR_EVENT_ID, ATTR_EVENT_ID],
  [LEGACY_ATTR_APP_ID, ATTR_APP_ID],
]);

/** Attributes that are part of the line's top level or duplicated in details, so not copied into details again. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR_SCENARIO,
  ATTR_DEPLOYMENT_ID,
  ATTR_APP_INSTALLATION_ID,
  ATTR_APP_ID,
  ATTR_EVENT_ID,
  LEGACY_ATTR_SCENARIO,
  LEGACY_ATTR_APP_ID,
  LEGACY_ATTR_EVENT_ID,
  ATTR_EXCEPTION_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  'event.name',
]);

export const CRASH_EVENT = 'crash';

/** One event as stored: the JSONL line's fields. */
export interface TelemetryLine {
  ts: string;
  scenario: string;
  deployment_id?: string;
  installation_id?: string;
  event: string;
  level?: string;
  details?: Record<string, unknown>;
  id?: string;
}

/** The failure events of the standard set (Vrooli's deployment telemetry): they count in summaries. */
export const DEFAULT_FAILURE_EVENTS: readonly string[] = [
  'crash',
  'service_crashed',
  'dependency_unreachable',
  'migration_failed',
  'secrets_missing',
  'update_error',
  'health_check_failed',
  'readiness_timeout',
];
