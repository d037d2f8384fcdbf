import { SCENARIO_PATTERN, scenarioFromPackageName } from './scenario.js';
import { defaultTelemetryDir, hostPackageJson } from './paths.js';
import {
  booleanSetting,
  integerSetting,
  listSetting,
  otelBooleanSetting,
  resolveSettings,
  type SettingsMode,
  stringSetting,
  type SettingsOptions,
  type SettingsValues,
} from './settings.js';

const MiB = 1024 * 1024;

/** Default of `TELEMETRY_REDACT_KEYS`: key fragments whose values are redacted (case-insensitive, any depth). */
export const DEFAULT_REDACT_KEYS: readonly string[] = ['password', 'secret', 'token', 'authorization', 'cookie', 'api_key', 'email'];

/**
 * Settings of the core pipeline (API → consent → redaction → policy → batch → JSONL). Each component that needs
 * more declares its own table beside its code; `README.md` lists them all (a test checks the list is complete).
 */
export const pipelineSettings = {
  enabled: booleanSetting('TELEMETRY_ENABLED', false, 'Opt-in switch: telemetry is off unless this is true (or the persisted toggle says so).'),
  doNotTrack: booleanSetting('DO_NOT_TRACK', false, 'Console Do Not Track: `1`/`true` forces telemetry off, whatever else says (inside an app an unreadable value also reads as "do not track").', true),
  sdkDisabled: otelBooleanSetting('OTEL_SDK_DISABLED', 'OpenTelemetry\'s kill switch: `true` (any case, as the OTel specification reads it) forces telemetry off; any other value is false, with a warning.'),
  dir: stringSetting('TELEMETRY_DIR', defaultTelemetryDir, 'Data directory: JSONL files, toggle, ids, cursors.', undefined, 'directory path'),
  scenario: stringSetting('TELEMETRY_SCENARIO', undefined, 'Default scenario (file name) for events that name none. Falls back to `OTEL_SERVICE_NAME`, then the host package name.', SCENARIO_PATTERN, 'name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  serviceName: stringSetting('OTEL_SERVICE_NAME', undefined, 'Used as the default scenario when `TELEMETRY_SCENARIO` is unset (unsafe characters become `-`); then `service.name` from `OTEL_RESOURCE_ATTRIBUTES`.'),
  resourceAttributes: stringSetting('OTEL_RESOURCE_ATTRIBUTES', undefined, 'Read for `service.name` (default scenario, after `OTEL_SERVICE_NAME`) and `deployment.environment.name` (environment, when `TELEMETRY_ENVIRONMENT` is unset), as the OTel SDK reads it.', undefined, 'key=value,... (values percent-encoded)'),
  environment: stringSetting('TELEMETRY_ENVIRONMENT', undefined, 'Crash events are recorded only when this is `production`. Unset: `deployment.environment.name` from `OTEL_RESOURCE_ATTRIBUTES`, else `production`.', undefined, 'string, e.g. production | development | test'),
  flushIntervalMs: integerSetting('TELEMETRY_FLUSH_INTERVAL_MS', 1000, 1, 3_600_000, 'Batch flush interval.'),
  maxQueueSize: integerSetting('TELEMETRY_MAX_QUEUE_SIZE', 2048, 1, 1_000_000, 'Records held for an asynchronous exporter before new ones are dropped (and counted).'),
  maxBatchSize: integerSetting('TELEMETRY_MAX_BATCH_SIZE', 512, 1, 100_000, 'Records per export batch.'),
  maxBatchBytes: integerSetting('TELEMETRY_MAX_BATCH_BYTES', 4 * MiB, 1024, 4 * MiB, 'Serialised bytes per export batch (never above 4 MiB, the upload limit).'),
  maxEventBytes: integerSetting('TELEMETRY_MAX_EVENT_BYTES', 256 * 1024, 256, 4 * MiB, 'Largest serialised event; larger ones are dropped with a diag error.'),
  shutdownTimeoutMs: integerSetting('TELEMETRY_SHUTDOWN_TIMEOUT_MS', 2000, 1, 600_000, 'Deadline for flushing at shutdown; the process is never held open longer.'),
  captureCrashes: booleanSetting('TELEMETRY_CAPTURE_CRASHES', false, 'Record uncaught exceptions and unhandled rejections as crash events (default true with the register entry).'),
  redactKeys: listSetting('TELEMETRY_REDACT_KEYS', DEFAULT_REDACT_KEYS, 'Keys (case-insensitive, nested) whose values are replaced by `[REDACTED]` before anything is written or sent.'),
} as const;

export type PipelineOptions = SettingsOptions<typeof pipelineSettings>;
export type PipelineConfig = Omit<SettingsValues<typeof pipelineSettings>, 'environment'> & {
  readonly dir: string;
  readonly defaultScenario: string;
  /** `TELEMETRY_ENVIRONMENT`, else the resource's `deployment.environment.name`, else `production`. */
  readonly environment: string;
};

/**
 * Resolve the pipeline configuration once, at the composition root. `mode: 'operator'` (the CLI) throws ConfigError
 * naming each bad variable; `mode: 'host'` (inside an app) reports bad env values once and uses their safe reading.
 */
export function loadPipelineConfig(options: PipelineOptions = {}, env: NodeJS.ProcessEnv = process.env, mode: SettingsMode = 'operator'): PipelineConfig {
  const values = resolveSettings(pipelineSettings, options as Record<string, unknown>, env, mode);
  const resource = parseResourceAttributes(values.resourceAttributes);
  // One app, one scenario for events and traces alike: the same service name the OTel SDK puts on its resource
  // (OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES, as in the SDK), which the collector's trace bridge reads.
  const defaultScenario =
    values.scenario ??
    scenarioFromPackageName(values.serviceName) ??
    scenarioFromPackageName(resource.get('service.name')) ??
    scenarioFromPackageName(hostPackageJson()?.name) ??
    'default';
  const environment = values.environment ?? resource.get('deployment.environment.name') ?? resource.get('deployment.environment') ?? 'production';
  return Object.freeze({ ...values, dir: values.dir ?? defaultTelemetryDir(), defaultScenario, environment });
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES` as the OTel SDK's env detector reads it: `key=value` pairs separated by commas, values
 * percent-decoded; a malformed pair is skipped (the SDK warns about those itself).
 */
function parseResourceAttributes(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (key && value) out.set(key, value);
  }
  return out;
}
