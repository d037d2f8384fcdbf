import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ExportResultCode, type ExportResult } from '../../core/exportResult.js';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { loadPipelineConfig } from '../../core/config.js';
import { ConsentState } from '../../core/consent.js';
import { ConfigError } from '../../core/errors.js';
import { consentFromConfig, enabledSource, resolveRuntime } from '../../core/runtime.js';
import type { SyncExportOptions, SyncLogRecordExporter } from '../../core/SyncLogRecordExporter.js';
import { JsonlFileExporter } from '../jsonl/JsonlFileExporter.js';
import { loadUploadConfig, type UploadConfig, type UploadOptions } from './config.js';
import { admitRecords } from './storeGate.js';
import { createUploader, type Uploader, type UploadStatus } from './Uploader.js';

export interface UploadExporterOptions extends UploadOptions {
  /** Environment to read settings from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Consent that governs sending. Default: the active pipeline's, else one derived from the environment. */
  consent?: ConsentState;
  /** Scenario of records without a `product_telemetry.scenario` attribute (or the older `telemetry.scenario`). Default: the pipeline's default scenario. */
  defaultScenario?: string;
}

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };

/** `{host}-{8 hex of the URL}`: one spool per endpoint, so two exporters to two endpoints never share one. */
export function spoolNameFor(url: string): string {
  const host = new URL(url).host.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64) || 'endpoint';
  return `${host}-${createHash('sha1').update(url).digest('hex').slice(0, 8)}`;
}

/**
 * An OTel `LogRecordExporter` that delivers telemetry records to an upload endpoint, durably: `export()` appends the
 * records to its own spool (`{TELEMETRY_DIR}/upload-spool/{host}-{hash}/{scenario}.jsonl`, through the same
 * JsonlFileWriter as the store) and reports success once they are on disk; its `Uploader` sends from the spool with
 * cursors, retries and quarantine, so records survive outages and restarts. Put it behind any processor:
 *
 * ```ts
 * new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: new UploadExporter({ url: 'https://collector/api/v1/telemetry/upload' }) })] });
 * ```
 *
 * Nothing is spooled or sent while telemetry consent is off. `productTelemetry()` does not use this class: there the
 * uploader sends straight from the pipeline's own store (no second copy).
 */
export class UploadExporter implements LogRecordExporter, SyncLogRecordExporter {
  readonly config: UploadConfig;
  readonly uploader: Uploader;
  readonly spoolDir: string;
  private readonly spool: JsonlFileExporter;
  private readonly consent: ConsentState;
  private readonly defaultScenario: string | undefined;
  private stopped = false;

  constructor(options: UploadExporterOptions = {}) {
    const { env, consent, defaultScenario, ...uploadOptions } = options;
    const environment = env ?? process.env;
    this.config = loadUploadConfig(uploadOptions, environment);
    const url = this.config.url;
    if (url === undefined) {
      throw new ConfigError('Invalid otel-product-telemetry configuration:\n  - UploadExporter needs an endpoint: the `url` option, TELEMETRY_UPLOAD_URL, or `telemetry.upload_to` in TELEMETRY_MANIFEST');
    }
    const runtime = env === undefined ? resolveRuntime() : undefined;
    this.consent =
      consent ??
      runtime?.consent ??
      (env !== undefined ? consentFromConfig(loadPipelineConfig({ dir: this.config.dir }, environment), enabledSource(undefined, environment)) : new ConsentState({ dir: this.config.dir, enabled: false, doNotTrack: false, sdkDisabled: false }));
    this.defaultScenario = defaultScenario ?? runtime?.config.defaultScenario ?? (env !== undefined ? loadPipelineConfig({ dir: this.config.dir }, environment).defaultScenario : undefined);
    this.spoolDir = this.config.spoolDir ?? join(this.config.dir, 'upload-spool', spoolNameFor(url));
    this.spool = new JsonlFileExporter({ dir: this.spoolDir, defaultScenario: this.defaultScenario });
    this.uploader = createUploader({ ...this.config, dir: this.spoolDir, url }, { consent: this.consent, writers: [this.spool.writer], defaultScenario: this.defaultScenario }).start();
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.exportSync(logs));
  }

  /** Append to the spool (durable first); the uploader sends on its interval, on forceFlush and at shutdown. */
  exportSync(logs: readonly ReadableLogRecord[], options?: SyncExportOptions): ExportResult {
    if (this.stopped) return { code: ExportResultCode.FAILED, error: new Error('UploadExporter is shut down') };
    // Records that reach us while consent is off were not recorded with consent: neither kept nor sent.
    if (!this.consent.enabled || logs.length === 0) return SUCCESS;
    const kept = admitRecords(logs, this.uploader.budget, this.defaultScenario);
    if (kept.length === 0) return SUCCESS;
    return this.spool.exportSync(kept, options);
  }

  /** Upload what is spooled now, within 3/4 of `TELEMETRY_SHUTDOWN_TIMEOUT_MS`. */
  async forceFlush(): Promise<void> {
    await this.spool.forceFlush();
    await this.uploader.forceFlush();
  }

  /** Close the spool, make a last bounded upload attempt, release the spool dir. Idempotent; never rejects. */
  async shutdown(): Promise<void> {
    if (this.stopped) return this.uploader.shutdown();
    this.stopped = true;
    await this.spool.shutdown();
    await this.uploader.shutdown();
  }

  status(): UploadStatus {
    return this.uploader.status();
  }
}
