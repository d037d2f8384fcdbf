import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

/**
 * The record model: how a telemetry event is carried as an OTel log record.
 *
 * | telemetry field  | log record                                                        |
 * |------------------|-------------------------------------------------------------------|
 * | event            | `eventName`                                                       |
 * | scenario         | attribute `telemetry.scenario` (else the pipeline's default)      |
 * | deployment_id    | attribute `deployment.id` (semantic convention)                   |
 * | app              | attribute `app.id` and `details.app`                              |
 * | id               | attribute `telemetry.event.id` (else assigned when serialised)    |
 * | timestamp        | `timestamp` (hrTime)                                              |
 * | details          | `body` (a map, nesting kept)                                      |
 * | crash            | severity FATAL, `exception.type/message/stacktrace` attributes    |
 *
 * Telemetry records are recognised by their instrumentation scope, so application logs sent through the same
 * LoggerProvider are never mistaken for telemetry.
 */
export const TELEMETRY_SCOPE = 'otel-product-telemetry';

export const ATTR_SCENARIO = 'telemetry.scenario';
export const ATTR_DEPLOYMENT_ID = 'deployment.id';
export const ATTR_APP_ID = 'app.id';
export const ATTR_EVENT_ID = 'telemetry.event.id';

/** Attributes that are part of the line's top level or duplicated in details, so not copied into details again. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR_SCENARIO,
  ATTR_DEPLOYMENT_ID,
  ATTR_APP_ID,
  ATTR_EVENT_ID,
  'exception.type',
  'exception.message',
  'exception.stacktrace',
  'event.name',
]);

export const CRASH_EVENT = 'crash';

export function isTelemetryRecord(record: Pick<ReadableLogRecord, 'instrumentationScope'>): boolean {
  return record.instrumentationScope.name === TELEMETRY_SCOPE;
}

/** One event as stored: the JSONL line's fields. */
export interface TelemetryLine {
  ts: string;
  scenario: string;
  deployment_id?: string;
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
