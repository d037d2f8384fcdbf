/**
 * Every error code this package produces, defined once: the `code` of its errors (`TelemetryError` and its
 * subclasses), of the collector's JSON error bodies and of the per-event `errors` of an upload. Code elsewhere names
 * them (`ErrorCode.NOT_FOUND`), never spells the string; test/errorCodes.test.ts checks that, and that the README
 * lists every code. The strings are stable: clients match on them.
 */
export const ErrorCode = {
  // Events and configuration (library and collector).
  VALIDATION: 'OPT_ERR_VALIDATION',
  SCENARIO: 'OPT_ERR_SCENARIO',
  CONFIG: 'OPT_ERR_CONFIG',
  STORE: 'OPT_ERR_STORE',
  UPLOAD: 'OPT_ERR_UPLOAD',
  NOT_RECORDED: 'OPT_ERR_NOT_RECORDED',
  EVENT_TOO_LARGE: 'OPT_ERR_EVENT_TOO_LARGE',
  SCENARIO_LIMIT: 'OPT_ERR_SCENARIO_LIMIT',
  // Collector requests: body and content.
  PARSE: 'OPT_ERR_PARSE',
  ENCODING: 'OPT_ERR_ENCODING',
  GZIP: 'OPT_ERR_GZIP',
  ABORTED: 'OPT_ERR_ABORTED',
  NO_VALID_EVENTS: 'OPT_ERR_NO_VALID_EVENTS',
  OTLP_RECORD: 'OPT_ERR_OTLP_RECORD',
  TOO_MANY_EVENTS: 'OPT_ERR_TOO_MANY_EVENTS',
  BODY_TOO_LARGE: 'OPT_ERR_BODY_TOO_LARGE',
  CONTENT_TYPE: 'OPT_ERR_CONTENT_TYPE',
  CONTENT_ENCODING: 'OPT_ERR_CONTENT_ENCODING',
  // Collector requests: the HTTP edge.
  BAD_PATH: 'OPT_ERR_BAD_PATH',
  BAD_REQUEST: 'OPT_ERR_BAD_REQUEST',
  TIMEOUT: 'OPT_ERR_TIMEOUT',
  HEADERS_TOO_LARGE: 'OPT_ERR_HEADERS_TOO_LARGE',
  UNAUTHORIZED: 'OPT_ERR_UNAUTHORIZED',
  FORBIDDEN: 'OPT_ERR_FORBIDDEN',
  ORIGIN: 'OPT_ERR_ORIGIN',
  HOST: 'OPT_ERR_HOST',
  NOT_FOUND: 'OPT_ERR_NOT_FOUND',
  METHOD: 'OPT_ERR_METHOD',
  SAME_STORE: 'OPT_ERR_SAME_STORE',
  RATE_LIMIT: 'OPT_ERR_RATE_LIMIT',
  BUSY: 'OPT_ERR_BUSY',
  SHUTTING_DOWN: 'OPT_ERR_SHUTTING_DOWN',
  NOT_READY: 'OPT_ERR_NOT_READY',
  UNAVAILABLE: 'OPT_ERR_UNAVAILABLE',
  INTERNAL: 'OPT_ERR_INTERNAL',
  LISTEN: 'OPT_ERR_LISTEN',
  // Reading the store (events route, `logs`, insights).
  QUERY: 'OPT_ERR_QUERY',
  NOT_REGULAR_FILE: 'OPT_ERR_NOT_REGULAR_FILE',
  READ: 'OPT_ERR_READ',
  NOT_SUPPORTED: 'OPT_ERR_NOT_SUPPORTED',
  TOO_MANY_FOLLOWS: 'OPT_ERR_TOO_MANY_FOLLOWS',
  INSIGHTS_QUERY: 'OPT_ERR_INSIGHTS_QUERY',
  INSIGHTS_BUDGET: 'OPT_ERR_INSIGHTS_BUDGET',
  DASHBOARD_MISSING: 'OPT_ERR_DASHBOARD_MISSING',
  // The command line.
  USAGE: 'OPT_ERR_USAGE',
  CLI: 'OPT_ERR_CLI',
} as const satisfies Record<string, `OPT_ERR_${string}`>;

/** One of the codes above. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
