import { LoggerProvider, type LogRecordExporter, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ResourceDetector } from '@opentelemetry/resources';
import { loadPipelineConfig, type PipelineConfig, type PipelineOptions } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { TELEMETRY_SCOPE } from '../core/record.js';
import { reportOnce } from '../core/report.js';
import { VERSION } from '../core/version.js';
import { installExitHooks } from './exitHooks.js';
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
  /**
   * Flush on every way the process ends (`exit`, `beforeExit`, SIGTERM/SIGINT without changing the exit status;
   * see `installExitHooks`). Default true; `shutdown()` removes them. Off for hosts that call `shutdown()` themselves
   * on every path.
   */
  exitHooks?: boolean;
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
 * configured from options and env vars (options win), with its own LoggerProvider that the recording API emits
 * through. It has no own enumerable properties, so `new NodeSDK({ ...productTelemetry(), ... })` changes nothing of
 * the host's own OTel setup (NodeSDK's `logRecordProcessors` and `resourceDetectors` options replace its env
 * defaults, so passing ours there would silently turn off `OTEL_LOGS_EXPORTER` or `OTEL_NODE_RESOURCE_DETECTORS`).
 * The parts are on the prototype for hosts that compose by hand: `logRecordProcessors`, `resourceDetectors`.
 */
export class ProductTelemetry {
  readonly #processors: LogRecordProcessor[];
  readonly #detectors: ResourceDetector[];
  readonly #provider: LoggerProvider;
  readonly #usage: PipelineUsage;
  readonly #config: PipelineConfig;
  readonly #consent: ConsentState;
  readonly #policy: PolicyProcessor;
  readonly #batches: TelemetryBatchProcessor[];
  readonly #jsonl: JsonlFileExporter;
  readonly #upload: UploadingStoreExporter | undefined;

  constructor(options: ProductTelemetryOptions = {}) {
    const { env, exporters = [], product, usage, upload, exitHooks = true, ...pipelineOptions } = options;
    // Inside a host app an invalid env value is reported once and read safely (telemetry off where consent is in
    // doubt); invalid code options still throw (programmer errors).
    this.#config = loadPipelineConfig(pipelineOptions, env ?? process.env, 'host');
    this.#consent = consentFromConfig(this.#config, enabledSource(pipelineOptions.enabled, env ?? process.env));
    const c = this.#config;
    this.#jsonl = new JsonlFileExporter({ dir: c.dir, defaultScenario: c.defaultScenario });
    // With an upload URL (or a manifest's upload_to) the uploader tails this same store; its exporter wraps the JSONL
    // one (store cap on writes; forceFlush/shutdown also upload, within the shutdown deadline).
    this.#upload = upload === false ? undefined : this.#createUpload(upload, env ?? process.env);
    const batchOptions = {
      maxQueueSize: c.maxQueueSize,
      maxExportBatchSize: c.maxBatchSize,
      maxBatchBytes: c.maxBatchBytes,
      scheduledDelayMillis: c.flushIntervalMs,
      exportTimeoutMillis: c.shutdownTimeoutMs * 5,
    };
    this.#batches = [this.#upload ?? this.#jsonl, ...exporters].map((exporter) => new TelemetryBatchProcessor({ exporter, ...batchOptions }));
    const fanOut = this.#batches.length === 1 ? this.#batches[0]! : new FanOutProcessor(this.#batches);
    // Every line carries the installation id: asked lazily (PipelineUsage is built below), per record that passed
    // consent, so the id file is written only while telemetry is on.
    this.#policy = new PolicyProcessor({
      next: fanOut,
      environment: c.environment,
      defaultScenario: c.defaultScenario,
      maxEventBytes: c.maxEventBytes,
      installationId: () => this.#usage?.environment.installation(),
    });
    const redaction = new RedactionProcessor({ next: this.#policy, keys: c.redactKeys });
    const head = new ConsentProcessor({ next: redaction, consent: this.#consent });
    // The usage half wraps the head so that any shutdown path emits the final usage report first.
    this.#usage = new PipelineUsage({ config: c, consent: this.#consent, head, product, usage, env: env ?? process.env });
    this.#processors = [this.#usage.processor];
    this.#detectors = [this.#usage.detector];
    // The pipeline's own provider: the recording API emits here, whatever the host registered globally (the 2.x line
    // keeps its global LoggerProvider in @opentelemetry/api-logs, the 3.x line in @opentelemetry/api) and whatever
    // log exporters the host configured; the host's processors never see telemetry records.
    this.#provider = new LoggerProvider({ processors: this.#processors });
    const runtime: TelemetryRuntime = {
      consent: this.#consent,
      config: c,
      logger: this.#provider.getLogger(TELEMETRY_SCOPE, VERSION),
      forceFlush: () => this.forceFlush(),
    };
    this.#runtime = runtime;
    setActiveRuntime(runtime);
    this.#usage.activate();
    if (c.captureCrashes) this.#uncapture = captureCrashes({ instance: new TelemetryInstance({ runtime }) });
    if (exitHooks) {
      this.#unhook = installExitHooks({
        // The shutdown usage report first (once), so `process.exit()` and signals get it too, then the synchronous flush.
        flushSync: () => {
          this.finalUsageReport();
          this.flushSync();
        },
        shutdown: () => this.shutdown(),
        timeoutMs: c.shutdownTimeoutMs,
      });
    }
  }

  readonly #runtime: TelemetryRuntime;

  /** What the recording API uses: consent, rules and this pipeline's logger (`createTelemetryInstance({ runtime })`). */
  get runtime(): TelemetryRuntime {
    return this.#runtime;
  }
  #uncapture: (() => void) | undefined;
  #unhook: (() => void) | undefined;

  /**
   * The chain head, for a LoggerProvider the host builds itself (`new LoggerProvider({ processors:
   * pt.logRecordProcessors })`). It passes other scopes' records by untouched. Not needed with NodeSDK.
   */
  get logRecordProcessors(): LogRecordProcessor[] {
    return this.#processors;
  }

  /**
   * This pipeline's `ProductEnvironmentDetector` (installation id, product, runtime: the documented list), for hosts
   * that want those attributes on their own resource; see `resourceDetectorsFromEnv()` to keep NodeSDK's defaults.
   */
  get resourceDetectors(): ResourceDetector[] {
    return this.#detectors;
  }

  #createUpload(upload: UploadOptions | undefined, env: NodeJS.ProcessEnv): UploadingStoreExporter | undefined {
    const c = this.#config;
    try {
      return createStoreUpload({ dir: c.dir, defaultScenario: c.defaultScenario, shutdownTimeoutMs: c.shutdownTimeoutMs, consent: this.#consent, store: this.#jsonl, env, options: upload });
    } catch (err) {
      // An invalid code option is the programmer's to fix; an environment that does not add up (a manifest that
      // cannot be read, backoff bounds crossed) must not stop the host: no uploads (no network), said once.
      if (upload !== undefined || !(err instanceof ConfigError)) throw err;
      reportOnce('upload-config', `uploads off: ${err.message}`);
      return undefined;
    }
  }

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
    await this.#provider.forceFlush();
  }

  /** Flush and close; idempotent. A LoggerProvider the host built from `logRecordProcessors` may call it too. */
  shutdown(): Promise<void> {
    this.#uncapture?.();
    this.#uncapture = undefined;
    this.#unhook?.();
    this.#unhook = undefined;
    this.#shutdown ??= this.#provider.shutdown();
    return this.#shutdown;
  }

  #shutdown: Promise<void> | undefined;

  status(): ProductTelemetryStatus {
    const p = this.#policy.counts;
    return {
      enabled: this.#consent.enabled,
      reason: this.#consent.reason,
      environment: this.#config.environment,
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
