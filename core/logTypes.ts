import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';

/**
 * The few Logs API shapes this package uses, declared here instead of imported from `@opentelemetry/api-logs`:
 * that package carries the Logs API only on the 2.x line (0.2xx); on the 3.x line the Logs API lives in
 * `@opentelemetry/api` >= 1.10 and `api-logs` is not installed. These structural types match both, so the
 * shipped declarations compile on either line and no runtime code loads `api-logs`.
 */
export type AnyValueScalar = string | number | boolean;
export type AnyValueArray = AnyValue[];
export interface AnyValueMap {
  [attributeKey: string]: AnyValue;
}
export type AnyValue = AnyValueScalar | Uint8Array | AnyValueArray | AnyValueMap | null | undefined;
export type LogAttributes = AnyValueMap;

/** The severity numbers of the OTel log data model (the values of the Logs API's `SeverityNumber`). */
export const SeverityNumber = {
  UNSPECIFIED: 0,
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
} as const;

/** What `logger.emit()` takes, on both lines (a subset of the Logs API's `LogRecord`). */
export interface LogRecordInput {
  eventName?: string;
  timestamp?: number | [number, number] | Date;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  attributes?: LogAttributes;
  context?: Context;
}

/** A Logs API `Logger`, structurally (2.x `api-logs` and 3.x `api` alike). */
export interface LoggerLike {
  emit(record: LogRecordInput): void;
}

/** A Logs API `LoggerProvider`, structurally. */
export interface LoggerProviderLike {
  getLogger(name: string, version?: string, options?: object): LoggerLike;
}

/**
 * The record a `LogRecordProcessor` receives: `SdkLogRecord` on the 2.x line, `ReadWriteLogRecord` on 3.x. Named
 * through the processor interface so the declarations hold on both.
 */
export type TelemetryLogRecord = Parameters<LogRecordProcessor['onEmit']>[0];
/** A severity number (see `SeverityNumber` for the named levels). */
export type SeverityNumber = number;
