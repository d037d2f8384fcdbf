import type { LogRecordExporter, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { envDetector, type ResourceDetector } from '@opentelemetry/resources';
import { loadPipelineConfig, type PipelineConfig, type PipelineOptions } from '../core/config.js';
import type { ConsentReason, ConsentState } from '../core/consent.js';
import { consentFromConfig, enabledSource, setActiveRuntime, type TelemetryRuntime } from '../core/runtime.js';
import { ConsentProcessor } from '../processors/consent/ConsentProcessor.js';
import { PolicyProcessor } from '../processors/policy/PolicyProcessor.js';
import { RedactionProcessor } from '../processors/redaction/RedactionProcessor.js';
import { TelemetryBatchProcessor } from '../processors/batch/TelemetryBatchProcessor.js';
import { JsonlFileExporter } from '../exporters/jsonl/JsonlFileExporter.js';
import { createStoreUpload, type UploadingStoreExporter } from '../exporters/upload/pipelineUpload.js';
import type { UploadOptions } from '../exporters/upload/config.js';
import type { Uploader, UploadStatus } from '../exporters/upload/Uploader.js';
import { captureCrashes } from '../receivers/crash/captureCrashes.js';
import { TelemetryInstance } from '../receivers/api/TelemetryInstance.js';
import type { EnvironmentOptions } from '../receivers/environment/config.js';
import type { UsageOptions } from '../receivers/usage/config.js';
import { PipelineUsage } from '../receivers/usage/PipelineUsage.js';
import type { TelemetryData } from '../receivers/usage/telemetryData.js';

export interface ProductTelemetryOptions extends PipelineOptions {
  /** Environment to read settings from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Extra exporters that receive the same telemetry records, each behind its own bounded batch processor. */
  exporters?: LogRecordExporter[];
  /** Product and environment settings (`TELEMETRY_PRODUCT_*`, database, app server, integrations, license). */
  product?: EnvironmentOptions;
  /** Usage report settings (`TELEMETRY_REPORT_INTERVAL_MS`, ...). */
  usage?: UsageOptions;
  /** Upload settings (`TELEMETRY_UPLOAD_*`, `TELEMETRY_STORE_MAX_BYTES`, `TELEMETRY_MANIFEST`); `false` = never upload. */
  upload?: UploadOptions | false;
}

export interface ProductTelemetryStatus {
  enabled: boolean;
  reason: ConsentReason;
  environment: string;
  dir: string;
  defaultScenario: string;
  queued: number;
  dropped: { queue_full: number; crash_outside_production: number; invalid: number; too_large: number; export_failed: number };
  /** The uploader's status, when uploads are configured. */
  upload?: UploadStatus;
}

/**
 * The composition root of the in-process pipeline: consent → redaction → policy → batch → JSONL file exporter,
 * configured from options and env vars (options win). Spread it into `new NodeSDK({ ...productTelemetry() })`:
 * only `logRecordProcessors` and `resourceDetectors` are own enumerable properties; the controls below live on the
 * prototype. `resourceDetectors` is `[envDetector, ProductEnvironmentDetector]`: the stock process and host
 * detectors are left out on purpose (they carry user names, host names and paths).
 */
export class ProductTelemetry {
  readonly logRecordProcessors: LogRecordProcessor[];
  readonly resourceDetectors: ResourceDetector[];
  readonly #usage: PipelineUsage;
  readonly #config: PipelineConfig;
  readonly #consent: ConsentState;
  readonly #policy: PolicyProcessor;
  readonly #batches: TelemetryBatchProcessor[];
  readonly #jsonl: JsonlFileExporter;
  readonly #upload: UploadingStoreExporter | undefined;

  constructor(options: ProductTelemetryOptions = {}) {
    const { env, exporters = [], product, usage, upload, ...pipelineOptions } = options;
    this.#config = loadPipelineConfig(pipelineOptions, env ?? process.env);
    this.#consent = consentFromConfig(this.#config, enabledSource(pipelineOptions.enabled, env ?? process.env));
    const c = this.#config;
    this.#jsonl = new JsonlFileExporter({ dir: c.dir, defaultScenario: c.defaultScenario });
    // With an upload URL (or a manifest's upload_to) the uploader tails this same store; its exporter wraps the JSONL
    // one (store cap on writes; forceFlush/shutdown also upload, within the shutdown deadline).
    this.#upload = upload === false ? undefined : createStoreUpload({ dir: c.dir, defaultScenario: c.defaultScenario, shutdownTimeoutMs: c.shutdownTimeoutMs, consent: this.#consent, store: this.#jsonl, env: env ?? process.env, options: upload });
    const batchOptions = {
      maxQueueSize: c.maxQueueSize,
      maxExportBatchSize: c.maxBatchSize,
      maxBatchBytes: c.maxBatchBytes,
      scheduledDelayMillis: c.flushIntervalMs,
      exportTimeoutMillis: c.shutdownTimeoutMs * 5,
    };
    this.#batches = [this.#upload ?? this.#jsonl, ...exporters].map((exporter) => new TelemetryBatchProcessor({ exporter, ...batchOptions }));
    const fanOut = this.#batches.length === 1 ? this.#batches[0]! : new FanOutProcessor(this.#batches);
    this.#policy = new PolicyProcessor({ next: fanOut, environment: c.environment, defaultScenario: c.defaultScenario, maxEventBytes: c.maxEventBytes });
    const redaction = new RedactionProcessor({ next: this.#policy, keys: c.redactKeys });
    const head = new ConsentProcessor({ next: redaction, consent: this.#consent });
    // The usage half wraps the head so that any shutdown path emits the final usage report first.
    this.#usage = new PipelineUsage({ config: c, consent: this.#consent, head, product, usage, env: env ?? process.env });
    this.logRecordProcessors = [this.#usage.processor];
    this.resourceDetectors = [envDetector, this.#usage.detector];
    const runtime: TelemetryRuntime = { consent: this.#consent, config: c };
    setActiveRuntime(runtime);
    this.#usage.activate();
    if (c.captureCrashes) this.#uncapture = captureCrashes({ instance: new TelemetryInstance({ runtime }) });
  }

  #uncapture: (() => void) | undefined;

  get config(): PipelineConfig {
    return this.#config;
  }

  get consent(): ConsentState {
    return this.#consent;
  }

  /** The JSONL exporter writing `{dir}/{scenario}.jsonl`. */
  get jsonlExporter(): JsonlFileExporter {
    return this.#jsonl;
  }

  /** The uploader sending this store to `TELEMETRY_UPLOAD_URL`, when uploads are configured. */
  get uploader(): Uploader | undefined {
    return this.#upload?.uploader;
  }

  isEnabled(): boolean {
    return this.#consent.enabled;
  }

  /** Runtime toggle, persisted under the telemetry dir (survives restarts). */
  setEnabled(enabled: boolean): void {
    this.#consent.setEnabled(enabled);
  }

  /** What the usage report would carry now (also while telemetry is off; sends and writes nothing). */
  getTelemetryData(): TelemetryData {
    return this.#usage.reporter.getTelemetryData();
  }

  /** Emit a `usage_report` now (when telemetry is on); returns whether one was emitted. */
  reportUsage(): boolean {
    return this.#usage.reporter.report();
  }

  /** The shutdown usage report, synchronously and once (for exit paths that cannot wait for `shutdown()`). */
  finalUsageReport(): void {
    this.#usage.reporter.final();
  }

  /** Write everything buffered for the local store, synchronously (for exit paths); saves unreported usage counts. */
  flushSync(): void {
    this.#usage.reporter.persistSync();
    for (const b of this.#batches) b.flushSync();
  }

  async forceFlush(): Promise<void> {
    await this.logRecordProcessors[0]!.forceFlush();
  }

  /** Flush and close; idempotent. The LoggerProvider/NodeSDK shutdown calls the same through the processors. */
  shutdown(): Promise<void> {
    this.#uncapture?.();
    this.#uncapture = undefined;
    return this.logRecordProcessors[0]!.shutdown();
  }

  status(): ProductTelemetryStatus {
    const p = this.#policy.counts;
    return {
      enabled: this.#consent.enabled,
      reason: this.#consent.reason,
      environment: this.#config.environment ?? 'production',
      dir: this.#config.dir,
      defaultScenario: this.#config.defaultScenario,
      queued: this.#batches.reduce((n, b) => n + b.queued, 0),
      dropped: {
        queue_full: this.#batches.reduce((n, b) => n + b.dropped, 0),
        crash_outside_production: p.crash_outside_production,
        invalid: p.invalid,
        too_large: p.too_large,
        export_failed: this.#batches.reduce((n, b) => n + b.failed, 0),
      },
      ...(this.#upload ? { upload: this.#upload.status() } : {}),
    };
  }
}

/** Hands one record to several downstream processors (the JSONL store plus extra exporters). */
class FanOutProcessor implements LogRecordProcessor {
  constructor(private readonly targets: LogRecordProcessor[]) {}
  onEmit(...args: Parameters<LogRecordProcessor['onEmit']>): void {
    for (const t of this.targets) t.onEmit(...args);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.shutdown()));
  }
}

/**
 * `new NodeSDK({ ...productTelemetry(), instrumentations: [...] })`: opt-in product telemetry for an OTel setup.
 * Makes itself the active runtime for the `telemetry` API. Throws ConfigError at start-up on invalid settings.
 */
export function productTelemetry(options: ProductTelemetryOptions = {}): ProductTelemetry {
  return new ProductTelemetry(options);
}
