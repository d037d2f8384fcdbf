import { ExportResultCode, type ExportResult } from '../../core/exportResult.js';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ConsentState } from '../../core/consent.js';
import type { SyncExportOptions, SyncLogRecordExporter } from '../../core/SyncLogRecordExporter.js';
import type { JsonlFileExporter } from '../jsonl/JsonlFileExporter.js';
import { loadUploadConfig, type UploadConfig, type UploadOptions } from './config.js';
import { admitRecords } from './storeGate.js';
import { createUploader, type Uploader, type UploadStatus } from './Uploader.js';

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };

/**
 * The pipeline's store exporter with uploads on: wraps the JSONL exporter of `productTelemetry()` so that
 * - writes respect the store cap (`TELEMETRY_STORE_MAX_BYTES`: newest events dropped and counted when unsent data
 *   fills it);
 * - `forceFlush()` and `shutdown()` of the pipeline (LoggerProvider, NodeSDK, `register`'s exit hooks) also upload,
 *   within 3/4 of `TELEMETRY_SHUTDOWN_TIMEOUT_MS`.
 * The uploader tails the same `{TELEMETRY_DIR}/*.jsonl` the exporter writes: one copy of each event on disk.
 */
export class UploadingStoreExporter implements LogRecordExporter, SyncLogRecordExporter {
  readonly store: JsonlFileExporter;
  readonly uploader: Uploader;
  readonly config: UploadConfig;
  private readonly defaultScenario: string;

  constructor(store: JsonlFileExporter, uploader: Uploader, config: UploadConfig, defaultScenario: string) {
    this.store = store;
    this.uploader = uploader;
    this.config = config;
    this.defaultScenario = defaultScenario;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.exportSync(logs));
  }

  exportSync(logs: readonly ReadableLogRecord[], options?: SyncExportOptions): ExportResult {
    const kept = admitRecords(logs, this.uploader.budget, this.defaultScenario);
    return kept.length === 0 ? SUCCESS : this.store.exportSync(kept, options);
  }

  async forceFlush(): Promise<void> {
    await this.store.forceFlush();
    await this.uploader.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.store.shutdown();
    await this.uploader.shutdown();
  }

  status(): UploadStatus {
    return this.uploader.status();
  }
}

export interface StoreUploadInputs {
  /** The pipeline's resolved store dir, default scenario and shutdown deadline (they win over upload options). */
  dir: string;
  defaultScenario: string;
  shutdownTimeoutMs: number;
  consent: ConsentState;
  store: JsonlFileExporter;
  env: NodeJS.ProcessEnv;
  options?: UploadOptions;
}

/**
 * Composition-root helper for `productTelemetry()` / `register`: when `TELEMETRY_UPLOAD_URL` (or the manifest's
 * `upload_to`) is set, start an uploader on the pipeline's store and return the exporter to use in place of the
 * JSONL exporter; otherwise undefined (no uploads, no timers, no network). Throws ConfigError on bad settings.
 */
export function createStoreUpload(inputs: StoreUploadInputs): UploadingStoreExporter | undefined {
  const config = loadUploadConfig({ ...inputs.options, dir: inputs.dir, shutdownTimeoutMs: inputs.shutdownTimeoutMs }, inputs.env, {}, 'host');
  if (config.url === undefined) return undefined;
  const uploader = createUploader({ ...config, url: config.url }, { consent: inputs.consent, writers: [inputs.store.writer], defaultScenario: inputs.defaultScenario }).start();
  return new UploadingStoreExporter(inputs.store, uploader, config, inputs.defaultScenario);
}
