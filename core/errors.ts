import { ErrorCode } from './errorCodes.js';
/**
 * Coded errors, fastify-style: every error a user can see carries a stable `code`, an HTTP `statusCode` for the
 * server edge, and (for validation) the `field` it is about, so messages can be acted on and matched in code.
 */
export class TelemetryError extends Error {
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, message: string, statusCode = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TelemetryError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** A payload broke the event contract; `field` names the offending field (dotted path). */
export class ValidationError extends TelemetryError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.VALIDATION, `${field}: ${message}`, 400, options);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** A scenario name that is not a safe file name; it never reaches the file system. */
export class ScenarioNameError extends ValidationError {
  constructor(field: string, value: unknown) {
    super(field, `unsafe scenario name ${describeValue(value)}: use 1-128 characters from A-Z a-z 0-9 . _ - starting with a letter or digit`);
    (this as { code: string }).code = ErrorCode.SCENARIO;
    this.name = 'ScenarioNameError';
  }
}

/**
 * A short description of a value that may be anything a client sent. Never `String(value)`: an object with a
 * `toString` key throws, and a deeply nested array recurses until the stack runs out.
 */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 80));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return `(${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value})`;
}

/** Configuration could not be resolved; thrown at start-up only (fail fast, naming the variable). */
export class ConfigError extends TelemetryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.CONFIG, message, 500, options);
    this.name = 'ConfigError';
  }
}

/** Writing to the local store failed (read-only dir, disk full...). */
export class StoreError extends TelemetryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.STORE, message, 500, options);
    this.name = 'StoreError';
  }
}

/**
 * A request the collector refuses. `statusCode` is the HTTP answer and `code` the stable `OPT_ERR_*` name; `field`,
 * `line` and `position` (when known) point at the problem so the caller can act on it.
 */
export class RequestError extends TelemetryError {
  readonly field: string | undefined;
  readonly line: number | undefined;
  readonly position: number | undefined;
  constructor(code: string, statusCode: number, message: string, options?: { field?: string; line?: number; position?: number; cause?: unknown }) {
    super(code, message, statusCode, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RequestError';
    this.field = options?.field;
    this.line = options?.line;
    this.position = options?.position;
  }
}

/** An upload to the endpoint failed; `statusCode` is the HTTP status (0 for network errors and timeouts). */
export class UploadError extends TelemetryError {
  readonly retryable: boolean;
  constructor(message: string, statusCode: number, retryable: boolean, options?: { cause?: unknown }) {
    super(ErrorCode.UPLOAD, message, statusCode, options);
    this.name = 'UploadError';
    this.retryable = retryable;
  }
}

/**
 * A ClickHouse request failed (collector store or exporter). A StoreError, so the collector answers 503 with
 * Retry-After; `retryable` says whether sending the same request again may succeed (network errors, timeouts, 5xx,
 * 408, 429), `httpStatus` is ClickHouse's answer (0 for network errors) and `serverCode` its `Code: N` when given.
 */
export class ClickHouseError extends StoreError {
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly serverCode: number | undefined;
  constructor(message: string, httpStatus: number, retryable: boolean, serverCode?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClickHouseError';
    this.retryable = retryable;
    this.httpStatus = httpStatus;
    this.serverCode = serverCode;
  }
}
