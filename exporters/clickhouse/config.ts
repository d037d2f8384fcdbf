import { ConfigError } from '../../core/errors.js';
import { booleanSetting, integerSetting, resolveSettings, stringSetting, type SettingsOptions, type SettingsValues } from '../../core/settings.js';

/**
 * Database and table names go into SQL text (they cannot be passed as values), so they are held to this pattern and
 * come from configuration only — never from an event or a request.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const IDENTIFIER_ALLOWED = 'identifier matching ^[A-Za-z_][A-Za-z0-9_]{0,62}$';

/**
 * Connection settings shared by the ClickHouse collector store and the ClickHouse exporter. Precedence: code option >
 * environment variable > default. The README's "ClickHouse store" section lists this table.
 */
export const clickhouseSettings = {
  url: stringSetting('TELEMETRY_CLICKHOUSE_URL', 'http://127.0.0.1:8123', 'ClickHouse HTTP interface (`http(s)://host:8123`). Credentials in the URL are used as `TELEMETRY_CLICKHOUSE_USER`/`_PASSWORD`.', /^https?:\/\/\S+$/i, 'http(s) URL'),
  database: stringSetting('TELEMETRY_CLICKHOUSE_DATABASE', 'telemetry', 'Database of the events table (created when missing).', IDENTIFIER_PATTERN, IDENTIFIER_ALLOWED),
  table: stringSetting('TELEMETRY_CLICKHOUSE_TABLE', 'events', 'Events table (created when missing); with a cluster, the `Distributed` table.', IDENTIFIER_PATTERN, IDENTIFIER_ALLOWED),
  user: stringSetting('TELEMETRY_CLICKHOUSE_USER', undefined, 'ClickHouse user (unset: the server\'s `default` user).', /^[\x21-\x7e]{1,256}$/, '1-256 printable ASCII characters'),
  password: stringSetting('TELEMETRY_CLICKHOUSE_PASSWORD', undefined, 'Password of that user; sent as HTTP basic auth, never logged.', /^[\x20-\x7e]{0,4096}$/, 'printable ASCII, at most 4096 characters'),
  createSchema: booleanSetting('TELEMETRY_CLICKHOUSE_CREATE_SCHEMA', true, 'Create the database and table at start when missing. Set false when operators manage the DDL (clusters: `ON CLUSTER`, `Distributed`).'),
  timeoutMs: integerSetting('TELEMETRY_CLICKHOUSE_TIMEOUT_MS', 10_000, 100, 600_000, 'Deadline of one HTTP request to ClickHouse; then it counts as failed (and an insert is retried).'),
  retryDeadlineMs: integerSetting('TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS', 8000, 0, 3_600_000, 'How long an insert is retried (backoff with jitter) before it fails: the collector then answers 503 and acknowledges nothing of it; the exporter reports a failed export.'),
  backoffMs: integerSetting('TELEMETRY_CLICKHOUSE_BACKOFF_MS', 100, 1, 600_000, 'First retry delay of a failed insert; doubles per failure, with jitter.'),
  maxBackoffMs: integerSetting('TELEMETRY_CLICKHOUSE_MAX_BACKOFF_MS', 2000, 1, 3_600_000, 'Longest retry delay of a failed insert.'),
  maxInsertRows: integerSetting('TELEMETRY_CLICKHOUSE_MAX_INSERT_ROWS', 100_000, 1, 1_000_000, 'Most rows in one INSERT (concurrent appends are grouped into one INSERT up to this).'),
  gzip: booleanSetting('TELEMETRY_CLICKHOUSE_GZIP', false, 'Send INSERT bodies gzip-compressed (`Content-Encoding: gzip`, level 1, compressed off the event loop). Off by default: on a fast network the CPU costs more than the bytes saved (measured in bench/clickhouse.mjs); on for a slow or metered link.'),
} as const;

export type ClickHouseOptions = SettingsOptions<typeof clickhouseSettings>;

/** Resolved connection settings. */
export interface ClickHouseConfig {
  /** Without credentials. */
  readonly url: string;
  readonly database: string;
  readonly table: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly createSchema: boolean;
  readonly timeoutMs: number;
  readonly retryDeadlineMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxInsertRows: number;
  readonly gzip: boolean;
}

/** Turn resolved settings into a connection config: credentials move out of the URL, names are checked again. */
export function toClickHouseConfig(v: SettingsValues<typeof clickhouseSettings>): ClickHouseConfig {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(v.url ?? 'http://127.0.0.1:8123');
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
  } catch {
    problems.push(`TELEMETRY_CLICKHOUSE_URL=${JSON.stringify(v.url)}: expected an absolute http:// or https:// URL`);
  }
  if (v.maxBackoffMs < v.backoffMs) problems.push(`TELEMETRY_CLICKHOUSE_MAX_BACKOFF_MS (${v.maxBackoffMs}) is below TELEMETRY_CLICKHOUSE_BACKOFF_MS (${v.backoffMs})`);
  const database = v.database ?? 'telemetry';
  const table = v.table ?? 'events';
  // The settings table checks these already; checked again because this is what keeps SQL text safe.
  if (!IDENTIFIER_PATTERN.test(database)) problems.push(`TELEMETRY_CLICKHOUSE_DATABASE: expected ${IDENTIFIER_ALLOWED}`);
  if (!IDENTIFIER_PATTERN.test(table)) problems.push(`TELEMETRY_CLICKHOUSE_TABLE: expected ${IDENTIFIER_ALLOWED}`);
  if (problems.length > 0 || url === undefined) throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - ${problems.join('\n  - ')}`);
  let user = v.user;
  let password = v.password;
  if (url.username !== '' || url.password !== '') {
    user ??= decodeURIComponent(url.username);
    password ??= decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
  }
  url.search = '';
  url.hash = '';
  return Object.freeze({
    url: url.href,
    database,
    table,
    user: user === '' ? undefined : user,
    password,
    createSchema: v.createSchema,
    timeoutMs: v.timeoutMs,
    retryDeadlineMs: v.retryDeadlineMs,
    backoffMs: v.backoffMs,
    maxBackoffMs: v.maxBackoffMs,
    maxInsertRows: v.maxInsertRows,
    gzip: v.gzip,
  });
}

/** Resolve the ClickHouse connection settings once (options > env > defaults); throws ConfigError naming the variable. */
export function loadClickHouseConfig(options: ClickHouseOptions = {}, env: NodeJS.ProcessEnv = process.env): ClickHouseConfig {
  return toClickHouseConfig(resolveSettings(clickhouseSettings, options as Record<string, unknown>, env));
}
