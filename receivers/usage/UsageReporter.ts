import { diag } from '../../core/diag.js';
import { createRedactor, type Redactor } from '../../processors/redaction/redact.js';
import { DEFAULT_REDACT_KEYS } from '../../processors/redaction/RedactionProcessor.js';
import type { ProductEnvironment } from '../environment/ProductEnvironment.js';
import { addCounts, emptyCounts, readPersistedCounts, withCountersLock, writePersistedCounts, type CountSet } from './counterStore.js';
import { buildTelemetryData, type TelemetryData } from './telemetryData.js';
import { usageState, type UsageState } from './usageState.js';

export interface UsageReporterOptions {
  /** Telemetry dir: `usage-counters.json` lives there. */
  dir: string;
  /** Whether telemetry is on (the pipeline's ConsentState). Off: nothing is emitted or written. */
  consent: { readonly enabled: boolean };
  environment: ProductEnvironment;
  /** Default: the process-wide counters behind `telemetry.countCommand()` / `countMetric()`. */
  counters?: UsageState;
  /** Default 24 h. */
  reportIntervalMs?: number;
  /** Default 60 s. */
  counterFlushIntervalMs?: number;
  /**
   * The pipeline's redaction keys: the transparency output is redacted exactly as the pipeline will redact the
   * report, so what you see is byte for byte what is sent. Default: the default redaction keys.
   */
  redactKeys?: readonly string[];
  /** Hands a report to the pipeline. Without it the reporter only answers `getTelemetryData()`. */
  emit?: (data: TelemetryData) => void;
}

/**
 * The usage report (Camunda's 24-hour telemetry task): builds the Camunda-shaped data from the environment and the
 * counters, emits it as a `usage_report` event every interval and once at the end, and keeps unreported counts on
 * disk. Counts are reset only by what a report carried (snapshot, then subtract that snapshot).
 */
export class UsageReporter {
  readonly dir: string;
  readonly environment: ProductEnvironment;
  readonly counters: UsageState;
  /** Reports emitted by this reporter. */
  reportsSent = 0;
  private readonly consent: { readonly enabled: boolean };
  private readonly reportIntervalMs: number;
  private readonly counterFlushIntervalMs: number;
  private readonly redact: Redactor;
  private readonly emit: ((data: TelemetryData) => void) | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private finalDone = false;

  constructor(options: UsageReporterOptions) {
    this.dir = options.dir;
    this.consent = options.consent;
    this.environment = options.environment;
    this.counters = options.counters ?? usageState();
    this.reportIntervalMs = options.reportIntervalMs ?? 24 * 60 * 60 * 1000;
    this.counterFlushIntervalMs = options.counterFlushIntervalMs ?? 60_000;
    this.redact = createRedactor(options.redactKeys ?? DEFAULT_REDACT_KEYS);
    this.emit = options.emit;
  }

  /**
   * What a report would carry right now: saved unreported counts plus this process's, with the environment. Works
   * when telemetry is off, and then writes nothing (no installation id file, no counts file) and sends nothing.
   */
  getTelemetryData(): TelemetryData {
    // Counts saved earlier are shown even while telemetry is off: reading writes nothing.
    return this.build(addCounts(readPersistedCounts(this.dir), this.memoryCounts()));
  }

  /** Start the report and counter-save timers (both unref'd: they never keep the process alive). Idempotent. */
  start(): void {
    if (this.reportTimer || this.finalDone) return;
    this.reportTimer = setInterval(() => this.report(), this.reportIntervalMs);
    this.reportTimer.unref();
    this.flushTimer = setInterval(() => this.persistSync(), this.counterFlushIntervalMs);
    this.flushTimer.unref();
  }

  stop(): void {
    if (this.reportTimer) clearInterval(this.reportTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.reportTimer = this.flushTimer = undefined;
  }

  /**
   * Emit a report now (when telemetry is on). Returns whether one was emitted. Never throws: problems go to diag.
   * Under the counts-file lock: saved counts + a snapshot of memory are reported, the file is emptied, and exactly
   * the snapshot is subtracted from memory, so increments racing with the report stay for the next one.
   */
  report(options: { onlyIfCounted?: boolean } = {}): boolean {
    if (!this.consent.enabled) {
      diag.debug('usage report not sent: telemetry is off');
      return false;
    }
    if (this.emit === undefined) return false;
    try {
      const snapshot = this.memoryCounts();
      let sent: TelemetryData | undefined;
      const locked = withCountersLock(this.dir, () => {
        const counts = addCounts(readPersistedCounts(this.dir), snapshot);
        if (options.onlyIfCounted && isEmpty(counts)) return;
        sent = this.build(counts);
        this.emit!(sent);
        writePersistedCounts(this.dir, emptyCounts());
      });
      if (locked.ok && sent === undefined) {
        diag.debug('no usage report at shutdown: nothing was counted since the last one');
        return false;
      }
      if (!locked.ok) {
        // Could not get the file: report only this process's counts; the saved ones wait for the next report.
        diag.warn(`${this.dir}/usage-counters.lock is busy; reporting this process's counts only`);
        sent = this.build(snapshot);
        this.emit(sent);
      }
      this.subtract(snapshot);
      this.reportsSent++;
      const bytes = Buffer.byteLength(JSON.stringify(sent));
      diag.debug(`usage report emitted: ${Object.keys(sent!.product.internals.commands).length} commands, ${Object.keys(sent!.product.internals.metrics).length} metrics, ${bytes} bytes`);
      return true;
    } catch (err) {
      diag.warn(`usage report failed: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * The report at shutdown: stops the timers and reports once, when anything was counted since the last report (in
   * this process, or saved by another one); later calls do nothing. A process that counted nothing adds no report:
   * the environment alone is carried by the periodic report, and short-lived processes (CLIs, tests) would
   * otherwise add an empty report on every run.
   */
  final(): void {
    if (this.finalDone) return;
    this.finalDone = true;
    this.stop();
    this.report({ onlyIfCounted: true });
  }

  /**
   * Save this process's unreported counts into the counts file (only while telemetry is on), synchronously: used by
   * the save timer and at exit. Counts are moved, not copied: memory keeps only what was counted after.
   */
  persistSync(): void {
    if (!this.consent.enabled) return;
    try {
      const snapshot = this.memoryCounts();
      if (snapshot.commands.size === 0 && snapshot.metrics.size === 0) return;
      const locked = withCountersLock(this.dir, () => writePersistedCounts(this.dir, addCounts(readPersistedCounts(this.dir), snapshot)));
      if (locked.ok) this.subtract(snapshot);
      else diag.warn(`could not save usage counters: ${this.dir}/usage-counters.lock is busy`);
    } catch (err) {
      diag.warn(`could not save usage counters in ${this.dir}: ${(err as Error).message}`);
    }
  }

  private memoryCounts(): CountSet {
    return { commands: this.counters.commands.snapshot(), metrics: this.counters.metrics.snapshot() };
  }

  private subtract(snapshot: CountSet): void {
    this.counters.commands.subtract(snapshot.commands);
    this.counters.metrics.subtract(snapshot.metrics);
  }

  private build(counts: CountSet): TelemetryData {
    return this.redact(buildTelemetryData(this.environment.snapshot(), counts)) as TelemetryData;
  }
}

function isEmpty(counts: CountSet): boolean {
  return counts.commands.size === 0 && counts.metrics.size === 0;
}
