import { pipelineSettings } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import {
  booleanSetting,
  enumSetting,
  integerSetting,
  resolveSettings,
  stringSetting,
  urlSetting,
  type SettingsOptions,
  type SettingsValues,
  type SettingsMode,
} from '../../core/settings.js';
import { readManifest, type BundleManifestTelemetry } from './manifest.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The endpoint's limit (Vrooli's and our collector's): a batch is never larger, serialised and uncompressed. */
export const MAX_UPLOAD_BYTES = 4 * MiB;

/**
 * Settings of the upload exporter and uploader. Precedence: code option > environment variable > bundle manifest
 * (`TELEMETRY_MANIFEST`, for the URL and an extra file) > default. The README's "Upload exporter" section lists them.
 */
export const uploadSettings = {
  url: urlSetting('TELEMETRY_UPLOAD_URL', 'Upload endpoint (`POST`, JSON array or NDJSON). Unset = no uploads, unless the bundle manifest names `upload_to`.'),
  format: enumSetting('TELEMETRY_UPLOAD_FORMAT', ['json', 'ndjson'] as const, 'json', 'Request body: a JSON array (`application/json`) or NDJSON (`application/x-ndjson`).'),
  token: stringSetting('TELEMETRY_UPLOAD_TOKEN', undefined, 'Sent as `Authorization: Bearer <token>`; never logged.', /^[\x21-\x7e]{1,4096}$/, '1-4096 printable ASCII characters'),
  timeoutMs: integerSetting('TELEMETRY_UPLOAD_TIMEOUT_MS', 10_000, 50, 600_000, 'Deadline of one upload request (connect, send, answer); then it counts as failed and is retried.'),
  intervalMs: integerSetting('TELEMETRY_UPLOAD_INTERVAL_MS', 30_000, 10, 86_400_000, 'How often the store is checked and pending events are sent.'),
  gzip: booleanSetting('TELEMETRY_UPLOAD_GZIP', true, 'Compress request bodies (`Content-Encoding: gzip`); switched off by itself when the endpoint answers 400/415 to gzip and accepts the same batch plain.'),
  batchSize: integerSetting('TELEMETRY_UPLOAD_BATCH_SIZE', 1000, 1, 100_000, 'Most events per request.'),
  maxBatchBytes: integerSetting('TELEMETRY_UPLOAD_MAX_BATCH_BYTES', MAX_UPLOAD_BYTES, KiB, MAX_UPLOAD_BYTES, 'Largest request body before compression (never above 4 MiB, the endpoint limit).'),
  backoffMs: integerSetting('TELEMETRY_UPLOAD_BACKOFF_MS', 1000, 1, 3_600_000, 'First retry delay after a failed upload; doubles per failure, with jitter.'),
  maxBackoffMs: integerSetting('TELEMETRY_UPLOAD_MAX_BACKOFF_MS', 300_000, 1, 86_400_000, 'Longest retry delay (a `Retry-After` is honoured up to one hour).'),
  storeMaxBytes: integerSetting('TELEMETRY_STORE_MAX_BYTES', 64 * MiB, 64 * KiB, Number.MAX_SAFE_INTEGER, 'Cap of the local store while uploads are on: sent data is removed first; when unsent data alone fills it, the newest events are dropped and counted.'),
  segmentGraceMs: integerSetting('TELEMETRY_STORE_SEGMENT_GRACE_MS', 120_000, 0, 86_400_000, 'How long a rotated store segment is kept after it is fully sent and last written (other processes appending to the same dir must reopen their files within it).'),
  manifest: stringSetting('TELEMETRY_MANIFEST', undefined, 'Vrooli-style bundle manifest (`bundle.json`): `telemetry.upload_to` is the URL when `TELEMETRY_UPLOAD_URL` is unset; `telemetry.file` is uploaded too.', undefined, 'file path'),
  appDataDir: stringSetting('TELEMETRY_APP_DATA_DIR', undefined, 'Directory that the manifest\'s `telemetry.file` is relative to (default: the manifest\'s own directory).', undefined, 'directory path'),
  spoolDir: stringSetting('TELEMETRY_UPLOAD_SPOOL_DIR', undefined, 'Spool of a stand-alone `UploadExporter` (default `{TELEMETRY_DIR}/upload-spool/{host}-{hash of URL}`).', undefined, 'directory path'),
  dir: pipelineSettings.dir,
  shutdownTimeoutMs: pipelineSettings.shutdownTimeoutMs,
} as const;

export type UploadOptions = SettingsOptions<typeof uploadSettings>;

/** The settings an `Uploader` itself reads (the rest say where it sends from and to, or find the manifest). */
const UPLOADER_SETTING_KEYS = ['format', 'token', 'timeoutMs', 'intervalMs', 'gzip', 'batchSize', 'maxBatchBytes', 'backoffMs', 'maxBackoffMs', 'storeMaxBytes', 'segmentGraceMs', 'shutdownTimeoutMs'] as const;

export type UploaderSettings = Pick<SettingsValues<typeof uploadSettings>, (typeof UPLOADER_SETTING_KEYS)[number]>;

/**
 * The uploader's settings: each given value, else the settings table's default (`uploadSettings`, the one place the
 * defaults are written). For code that builds an `Uploader` without `loadUploadConfig` (tests, tools).
 */
export function uploaderSettings(given: Partial<UploaderSettings>): UploaderSettings {
  const out: Record<string, unknown> = {};
  for (const key of UPLOADER_SETTING_KEYS) {
    const fallback = uploadSettings[key].default;
    out[key] = given[key] ?? (typeof fallback === 'function' ? fallback() : fallback);
  }
  return out as UploaderSettings;
}

export type UploadConfig = Omit<SettingsValues<typeof uploadSettings>, 'dir'> & {
  /** Where uploads go; undefined = uploads are off. */
  readonly url: string | undefined;
  readonly dir: string;
  /** Files uploaded besides the store (the manifest's `telemetry.file`), absolute. */
  readonly extraFiles: readonly string[];
  readonly manifestTelemetry: BundleManifestTelemetry | undefined;
};

/**
 * Resolve the upload configuration once (composition root or `UploadExporter` constructor). Throws ConfigError naming
 * each bad variable, and for the manifest the file and the field.
 */
export function loadUploadConfig(options: UploadOptions = {}, env: NodeJS.ProcessEnv = process.env, defaults: { dir?: string } = {}, mode: SettingsMode = 'operator'): UploadConfig {
  const values = resolveSettings(uploadSettings, options as Record<string, unknown>, env, mode);
  const manifest = values.manifest === undefined ? undefined : readManifest(values.manifest, values.appDataDir);
  const url = values.url ?? manifest?.uploadTo;
  const dir = values.dir ?? defaults.dir;
  if (dir === undefined) throw new ConfigError('Invalid otel-product-telemetry configuration:\n  - TELEMETRY_DIR: no data directory');
  if (values.maxBackoffMs < values.backoffMs) {
    throw new ConfigError(`Invalid otel-product-telemetry configuration:\n  - TELEMETRY_UPLOAD_MAX_BACKOFF_MS (${values.maxBackoffMs}) is below TELEMETRY_UPLOAD_BACKOFF_MS (${values.backoffMs})`);
  }
  return Object.freeze({
    ...values,
    url,
    dir,
    extraFiles: manifest?.file === undefined ? [] : [manifest.file],
    manifestTelemetry: manifest?.telemetry,
  });
}
