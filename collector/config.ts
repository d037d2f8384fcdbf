import { isIP } from 'node:net';
import { pipelineSettings } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { unsafeDataDir } from '../core/stateFile.js';
import { defaultCollectorDir } from '../core/paths.js';
import { DEFAULT_FAILURE_EVENTS } from '../core/record.js';
import { SCENARIO_PATTERN } from '../core/scenario.js';
import { DEFAULT_INSIGHTS_KEYS } from './stores/insights/InsightsBook.js';
import {
  booleanSetting,
  enumSetting,
  integerSetting,
  listSetting,
  optionList,
  optionString,
  resolveSettings,
  stringSetting,
  type Setting,
  type SettingsOptions,
  type SettingsValues,
} from '../core/settings.js';

const MiB = 1024 * 1024;

/** One browser origin as browsers send it: scheme, host, optional port; no path, no wildcard, never `null`. */
const ORIGIN_PATTERN = /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** `TELEMETRY_CORS_ORIGINS`: comma-separated origins, lower-cased; each must be an exact origin. */
function corsOriginsSetting(): Setting<readonly string[]> {
  const base = listSetting(
    'TELEMETRY_CORS_ORIGINS',
    [],
    'Browser origins (`https://app.example.com`, comma-separated) that may call the ingest routes (upload, appcd, OTLP `/v1/*`) cross-origin: preflight answered, `Access-Control-Allow-Origin` on those routes only. Empty (default): CORS off, every request with a foreign `Origin` is refused (403).',
  );
  const allowed = 'comma-separated origins like https://app.example.com (scheme://host[:port], no path, no wildcard, not null)';
  return {
    ...base,
    fromOption: (value) => optionList(value, (o) => optionString(o, ORIGIN_PATTERN)),
    fromEnv: (raw) => {
      const list = base.fromEnv(raw).map((o) => o.toLowerCase());
      for (const o of list) if (!ORIGIN_PATTERN.test(o)) throw new Error(`expected ${allowed}; got ${JSON.stringify(o.slice(0, 80))}`);
      return list;
    },
    allowed,
  };
}

/**
 * Settings of the collector server. Precedence: `startCollector(options)` > environment variable > default.
 * The collector does not read `TELEMETRY_ENABLED`: consent belongs to the app that records; the collector stores what
 * it receives. The README's "Collector server" section lists this table.
 */
export const collectorSettings = {
  host: stringSetting('TELEMETRY_HOST', '127.0.0.1', 'Interface to listen on. A non-loopback host requires `TELEMETRY_AUTH_TOKEN`.', undefined, 'host name or IP address'),
  port: integerSetting('TELEMETRY_PORT', 4318, 0, 65535, 'Port to listen on (4318 is the OTLP/HTTP port; 0 picks a free one).'),
  authToken: { ...stringSetting('TELEMETRY_AUTH_TOKEN', undefined, 'When set, every route but `/healthz` and `/readyz` requires `Authorization: Bearer <token>`.', /^[\x21-\x7e]{8,1024}$/, '8-1024 printable ASCII characters'), secret: true },
  adminToken: {
    ...stringSetting('TELEMETRY_ADMIN_TOKEN', undefined, 'When set, state-changing routes that are not ingest (`POST /telemetry/configuration`: consent of every app on the data dir) require `Authorization: Bearer <admin token>`; `TELEMETRY_AUTH_TOKEN` is then not enough there. The admin token is also accepted wherever the ordinary token is.', /^[\x21-\x7e]{8,1024}$/, '8-1024 printable ASCII characters'),
    secret: true,
  },
  corsOrigins: corsOriginsSetting(),
  dir: { ...pipelineSettings.dir, default: defaultCollectorDir, doc: 'Data directory of the collector (JSONL store, `collector.lock`, `store-id`). Default: the platform data dir + `collector` (e.g. `~/.local/share/otel-product-telemetry/collector`), not the apps\' `telemetry` dir.' },
  environment: pipelineSettings.environment,
  scenario: stringSetting('TELEMETRY_SCENARIO', 'default', 'Scenario of events that name none (appcd routes, uploads without `scenario`, OTLP records without a service name).', SCENARIO_PATTERN, 'name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  store: enumSetting('TELEMETRY_STORE', ['jsonl', 'clickhouse'] as const, 'jsonl', 'Storage backend of the collector: JSONL files in `TELEMETRY_DIR`, or ClickHouse (`TELEMETRY_CLICKHOUSE_*`, see "ClickHouse store").'),
  failureEvents: listSetting('TELEMETRY_FAILURE_EVENTS', DEFAULT_FAILURE_EVENTS, 'Events counted as failures in summaries (`failure_counts`, `recent_failures`).'),
  recentFailures: integerSetting('TELEMETRY_RECENT_FAILURES', 10, 0, 1000, 'How many newest failures a summary lists.'),
  dedupWindow: integerSetting('TELEMETRY_DEDUP_WINDOW', 100_000, 0, 10_000_000, 'Event ids remembered for de-duplication (newest first, all scenarios together; 0 = off).'),
  maxBodyBytes: integerSetting('TELEMETRY_MAX_BODY_BYTES', 4 * MiB, 1024, 256 * MiB, 'Largest request body, after gzip decompression too (413 beyond).'),
  maxEventsPerRequest: integerSetting('TELEMETRY_MAX_EVENTS_PER_REQUEST', 10_000, 1, 1_000_000, 'Most events (or OTLP log records) in one request (413 beyond).'),
  maxEventBytes: pipelineSettings.maxEventBytes,
  maxDetailsDepth: integerSetting('TELEMETRY_MAX_DETAILS_DEPTH', 16, 1, 1000, 'Deepest nesting of objects/arrays inside `details`.'),
  maxDetailsKeys: integerSetting('TELEMETRY_MAX_DETAILS_KEYS', 1000, 1, 1_000_000, 'Most keys and array items inside one event\'s `details`, all levels counted.'),
  maxScenarios: integerSetting('TELEMETRY_MAX_SCENARIOS', 1000, 1, 1_000_000, 'Most distinct scenarios (files) in the store; events for a new scenario beyond it are rejected.'),
  maxOpenFiles: integerSetting('TELEMETRY_MAX_OPEN_FILES', 128, 1, 1_000_000, 'Most JSONL store files held open at once; beyond it the least-recently-used is closed and re-opened when written again (keep it well under `ulimit -n`).'),
  insightsKeys: listSetting('TELEMETRY_INSIGHTS_KEYS', DEFAULT_INSIGHTS_KEYS, 'The `details` keys the JSONL store rolls up for insights (`by=version`...), besides event, level and deployment_id; `by` on another key reads the scenario\'s file within `TELEMETRY_INSIGHTS_SCAN_BYTES`.'),
  insightsScanBytes: integerSetting('TELEMETRY_INSIGHTS_SCAN_BYTES', 64 * MiB, 0, 1024 * 1024 * MiB, 'Largest scenario file the JSONL store reads to answer an insights query its rollups cannot (a details key not rolled up, minute buckets older than 48 hours); larger ones get 422.'),
  insightsMaxMb: integerSetting('TELEMETRY_INSIGHTS_MAX_MB', 256, 1, 1024 * 1024, 'Estimated memory of the JSONL store\'s insights rollups, all scenarios together, in MiB; past it the oldest hours are dropped from the rollups and ranges reaching back to them are answered by reading the file (within `TELEMETRY_INSIGHTS_SCAN_BYTES`).'),
  retentionDays: integerSetting('TELEMETRY_RETENTION_DAYS', 0, 0, 36_500, 'Keep events this many days (0 = forever). JSONL: whole files (rotated segments, and active files) whose newest event is older are deleted hourly and at start, then the summaries are counted afresh; ClickHouse: a table TTL on `ts_ms` (set at start when `TELEMETRY_CLICKHOUSE_CREATE_SCHEMA` is on).'),
  maxClockSkewMs: integerSetting('TELEMETRY_MAX_CLOCK_SKEW_MS', 86_400_000, 0, 31_536_000_000, 'How far in the future an event timestamp may be.'),
  rateLimit: integerSetting('TELEMETRY_RATE_LIMIT', 0, 0, 1_000_000, 'Requests per second per client: IPv4 address or IPv6 /64; requests with the valid token in a bucket of their own (token bucket; 429 with Retry-After beyond; 0 = off).'),
  rateBurst: integerSetting('TELEMETRY_RATE_BURST', 0, 0, 1_000_000, 'Bucket size of the rate limit (0 = twice `TELEMETRY_RATE_LIMIT`).'),
  maxConcurrentUploads: integerSetting('TELEMETRY_MAX_CONCURRENT_UPLOADS', 64, 1, 100_000, 'Requests with a body (POST/PUT/PATCH) handled at once; more get 503 with Retry-After (bounds the memory of bodies being received).'),
  maxFollowStreams: integerSetting('TELEMETRY_MAX_FOLLOW_STREAMS', 64, 1, 100_000, 'Open `follow=true` streams of the events route at once; more get 429 with Retry-After.'),
  followMaxMs: integerSetting('TELEMETRY_FOLLOW_MAX_MS', 600_000, 1000, 86_400_000, 'How long one `follow=true` stream of the events route stays open; then it ends cleanly and the client may request again.'),
  otlpStoreLogs: booleanSetting('TELEMETRY_OTLP_STORE_LOGS', false, 'Store OTLP log records that carry no event name (as event `log`) instead of only counting them.'),
  requestTimeoutMs: integerSetting('TELEMETRY_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000, 'Deadline to receive a whole request (slow bodies get 408).'),
  headersTimeoutMs: integerSetting('TELEMETRY_HEADERS_TIMEOUT_MS', 10_000, 1000, 600_000, 'Deadline to receive request headers (slow-loris guard).'),
  keepAliveTimeoutMs: integerSetting('TELEMETRY_KEEP_ALIVE_TIMEOUT_MS', 5000, 0, 600_000, 'How long an idle keep-alive connection stays open.'),
  traceUsageMaxBytes: integerSetting('TELEMETRY_TRACE_USAGE_MAX_BYTES', 4 * MiB, 64 * 1024, 1024 * MiB, 'Byte budget of the usage counted from OTLP traces and metrics (`{TELEMETRY_DIR}/trace-usage.json`: scenarios, command and metric names, with cumulative series in a quarter of it); new names beyond it are refused and counted (OTLP `partialSuccess`), so the state, its file and the summaries stay bounded.'),
  traceUsageSaveIntervalMs: integerSetting('TELEMETRY_TRACE_USAGE_SAVE_INTERVAL_MS', 1000, 10, 600_000, 'How often changed trace/metric usage is saved (asynchronously, atomic rename), at most; also on close and exit. A crash (kill -9) loses at most this much.'),
  shutdownTimeoutMs: integerSetting('TELEMETRY_SHUTDOWN_TIMEOUT_MS', 10_000, 1, 600_000, 'On close: how long in-flight requests may take before their connections are cut.'),
} as const;

export type CollectorSettingsOptions = SettingsOptions<typeof collectorSettings>;
export type CollectorConfig = SettingsValues<typeof collectorSettings> & {
  readonly dir: string;
  readonly host: string;
  readonly scenario: string;
  readonly environment: string;
};


export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  // Real addresses only (net.isIP checks each octet): 127.0.0.0/8, ::1 and IPv4-mapped 127/8; never 127.999.0.1.
  const kind = isIP(h);
  if (kind === 4) return h.startsWith('127.');
  if (kind === 6) return h === '::1' || (h.startsWith('::ffff:') && isIP(h.slice(7)) === 4 && h.startsWith('::ffff:127.'));
  return false;
}

/**
 * Resolve the collector's configuration once (options > env > defaults). Throws ConfigError naming each bad
 * variable, and refuses a non-loopback host without a token: an open collector on a network would accept anyone's
 * data and show everyone its summaries.
 */
export function loadCollectorConfig(options: CollectorSettingsOptions = {}, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const v = resolveSettings(collectorSettings, options as Record<string, unknown>, env);
  const host = v.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && v.authToken === undefined) {
    throw new ConfigError(
      `refusing to listen on ${host} without TELEMETRY_AUTH_TOKEN: a collector reachable from other machines must require a token ` +
        `(set TELEMETRY_AUTH_TOKEN, or TELEMETRY_HOST=127.0.0.1 to stay on this machine)`,
    );
  }
  if (v.headersTimeoutMs > v.requestTimeoutMs) {
    // node:http refuses this combination with a bare RangeError; say which variables to change instead.
    throw new ConfigError(
      `TELEMETRY_HEADERS_TIMEOUT_MS (${v.headersTimeoutMs}) must not exceed TELEMETRY_REQUEST_TIMEOUT_MS (${v.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  const dir = v.dir ?? defaultCollectorDir();
  // Others who can write the data dir could plant links at its state files or swap them: refuse to start there.
  const unsafe = unsafeDataDir(dir);
  if (unsafe !== undefined) throw new ConfigError(`refusing to use TELEMETRY_DIR: ${unsafe}`);
  return Object.freeze({
    ...v,
    host,
    dir,
    scenario: v.scenario ?? 'default',
    environment: v.environment ?? 'production',
  });
}
