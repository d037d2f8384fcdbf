import { SCENARIO_PATTERN, scenarioFromPackageName } from './scenario.js';
import { defaultTelemetryDir, hostPackageJson } from './paths.js';
import {
  booleanSetting,
  integerSetting,
  listSetting,
  resolveSettings,
  stringSetting,
  type SettingsOptions,
  type SettingsValues,
} from './settings.js';

const MiB = 1024 * 1024;

/**
 * Settings of the core pipeline (API → consent → redaction → policy → batch → JSONL). Each component that needs
 * more declares its own table beside its code; `README.md` lists them all (a test checks the list is complete).
 */
export const pipelineSettings = {
  enabled: booleanSetting('TELEMETRY_ENABLED', false, 'Opt-in switch: telemetry is off unless this is true (or the persisted toggle says so).'),
  doNotTrack: booleanSetting('DO_NOT_TRACK', false, 'Console Do Not Track: `1`/`true` forces telemetry off, whatever else says.'),
  sdkDisabled: booleanSetting('OTEL_SDK_DISABLED', false, 'OpenTelemetry\'s kill switch: `true` forces telemetry off.'),
  dir: stringSetting('TELEMETRY_DIR', defaultTelemetryDir, 'Data directory: JSONL files, toggle, ids, cursors.', undefined, 'directory path'),
  scenario: stringSetting('TELEMETRY_SCENARIO', undefined, 'Default scenario (file name) for events that name none. Falls back to `OTEL_SERVICE_NAME`, then the host package name.', SCENARIO_PATTERN, 'name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  serviceName: stringSetting('OTEL_SERVICE_NAME', undefined, 'Used as the default scenario when `TELEMETRY_SCENARIO` is unset (unsafe characters become `-`).'),
  environment: stringSetting('TELEMETRY_ENVIRONMENT', 'production', 'Crash events are recorded only when this is `production`.', undefined, 'string, e.g. production | development | test'),
  flushIntervalMs: integerSetting('TELEMETRY_FLUSH_INTERVAL_MS', 1000, 1, 3_600_000, 'Batch flush interval.'),
  maxQueueSize: integerSetting('TELEMETRY_MAX_QUEUE_SIZE', 2048, 1, 1_000_000, 'Records held for an asynchronous exporter before new ones are dropped (and counted).'),
  maxBatchSize: integerSetting('TELEMETRY_MAX_BATCH_SIZE', 512, 1, 100_000, 'Records per export batch.'),
  maxBatchBytes: integerSetting('TELEMETRY_MAX_BATCH_BYTES', 4 * MiB, 1024, 4 * MiB, 'Serialised bytes per export batch (never above 4 MiB, the upload limit).'),
  maxEventBytes: integerSetting('TELEMETRY_MAX_EVENT_BYTES', 256 * 1024, 256, 4 * MiB, 'Largest serialised event; larger ones are dropped with a diag error.'),
  shutdownTimeoutMs: integerSetting('TELEMETRY_SHUTDOWN_TIMEOUT_MS', 2000, 1, 600_000, 'Deadline for flushing at shutdown; the process is never held open longer.'),
  captureCrashes: booleanSetting('TELEMETRY_CAPTURE_CRASHES', false, 'Record uncaught exceptions and unhandled rejections as crash events (default true with the register entry).'),
  redactKeys: listSetting('TELEMETRY_REDACT_KEYS', ['password', 'secret', 'token', 'authorization', 'cookie', 'api_key', 'email'], 'Keys (case-insensitive, nested) whose values are replaced by `[REDACTED]` before anything is written or sent.'),
} as const;

export type PipelineOptions = SettingsOptions<typeof pipelineSettings>;
export type PipelineConfig = SettingsValues<typeof pipelineSettings> & { readonly dir: string; readonly defaultScenario: string };

/** Resolve the pipeline configuration once, at the composition root. Throws ConfigError naming each bad variable. */
export function loadPipelineConfig(options: PipelineOptions = {}, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const values = resolveSettings(pipelineSettings, options as Record<string, unknown>, env);
  const defaultScenario =
    values.scenario ?? scenarioFromPackageName(values.serviceName) ?? scenarioFromPackageName(hostPackageJson()?.name) ?? 'default';
  return Object.freeze({ ...values, dir: values.dir ?? defaultTelemetryDir(), defaultScenario });
}
