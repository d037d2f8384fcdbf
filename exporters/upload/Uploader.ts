import { diag } from '../../core/diag.js';
import type { ConsentState } from '../../core/consent.js';
import type { JsonlFileWriter } from '../jsonl/writer.js';
import { compactStore, StoreBudget } from './compaction.js';
import { MAX_UPLOAD_BYTES, uploaderSettings, type UploadConfig, type UploaderSettings } from './config.js';
import { CursorStore } from './cursor.js';
import { DirLock } from './lock.js';
import { FileSender, type SendWindow } from './fileSender.js';
import { LineQuarantine } from './quarantine.js';
import { continued, UploadCounters, writeUploadState, type UploadState } from './state.js';
import { scanStore, storeBytesSync, type StoreFile } from './storeFiles.js';
import { redactUrl, UploadTransport } from './transport.js';

/**
 * An uploader's options: where it sends from and to, what the host provides, and any of its settings
 * (`UploaderSettings`: format, token, timeouts, batch limits, backoff, store cap...); a setting left out takes its
 * default from the settings table (`uploadSettings`, config.ts; the README lists them).
 */
export interface UploaderOptions extends Partial<UploaderSettings> {
  /** Store dir to send from: `{dir}/{scenario}.jsonl` and its rotated segments. Cursors and state live here too. */
  dir: string;
  /** Endpoint (`POST`). */
  url: string;
  /** Files sent besides the store (a bundle manifest's `telemetry.file`); never rotated or compacted. */
  extraFiles?: readonly string[];
  /** Sending happens only while consent is enabled; without one the uploader always sends. */
  consent?: ConsentState;
  /** Writers of this process appending to `dir`: closed after a rotation so they reopen the new active file. */
  writers?: readonly JsonlFileWriter[];
  /** Scenario for lines of extra files that name none. */
  defaultScenario?: string;
  /** Delay of the first background upload after start (sends what earlier runs left). Default min(intervalMs, 1000). */
  initialDelayMs?: number;
}

/** What an uploader gets from the host besides its configuration. */
export type UploaderDeps = Pick<UploaderOptions, 'consent' | 'writers' | 'defaultScenario'>;

/**
 * The one way the exporters build their uploader (`UploadExporter` on its spool, `createStoreUpload` on the
 * pipeline's store): the resolved upload configuration, with the URL it sends to, plus what the host provides.
 * Returned not yet started.
 */
export function createUploader(config: UploadConfig & { readonly url: string }, deps: UploaderDeps): Uploader {
  return new Uploader({ ...config, ...deps });
}

/** The uploader's live status: the persisted state plus what only this process knows. */
export interface UploadStatus extends UploadState {
  /** Whether sending is allowed now (consent). */
  enabled: boolean;
  /** Whether this process is the one uploading from the dir (one uploader per dir; others wait). */
  holds_lock: boolean;
}

interface Cycle extends SendWindow {
  timer: NodeJS.Timeout | undefined;
  promise: Promise<void>;
}

const noop = (): void => undefined;

/**
 * Sends what the local JSONL store holds to the upload endpoint, durably: a persisted per-file cursor records what
 * the endpoint acknowledged, so a process killed at any moment resumes there on the next start, and every line keeps
 * its `id` so the endpoint drops what a lost acknowledgement makes us send twice.
 *
 * Runs every `intervalMs` (timers unref'd), on `forceFlush()` and once more at `shutdown()`, each bounded by 3/4 of
 * the shutdown deadline. Retries with exponential backoff and jitter on network errors, timeouts, 408, 429, 5xx
 * (honouring `Retry-After`) and 2xx answers that are not the collector's upload answer (a captive portal's page);
 * splits a batch on 413; quarantines a batch the endpoint refuses with another 4xx.
 * Never throws into the host: every failure goes to the diag log, with what was tried and what the endpoint said.
 */
export class Uploader {
  readonly dir: string;
  readonly url: string;
  readonly budget: StoreBudget;
  private readonly settings: UploaderSettings;
  private readonly extraFiles: readonly string[];
  private readonly consent: ConsentState | undefined;
  private readonly writers: readonly JsonlFileWriter[];
  private readonly initialDelayMs: number;
  private readonly transport: UploadTransport;
  private readonly cursors: CursorStore;
  private readonly lock: DirLock;
  private readonly sender: FileSender;
  private started = false;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private cycle: Cycle | undefined;
  private drainWindowEnd = 0;
  private newestSegmentSeen = 0;
  /** Counters and last outcomes (cumulative ones continue over restarts, from the state file). */
  private readonly counters = new UploadCounters();
  private readonly quarantine: LineQuarantine;

  constructor(options: UploaderOptions) {
    this.dir = options.dir;
    this.url = options.url;
    const settings = uploaderSettings(options);
    this.settings = {
      ...settings,
      batchSize: Math.max(1, settings.batchSize),
      maxBatchBytes: Math.min(settings.maxBatchBytes, MAX_UPLOAD_BYTES),
    };
    this.extraFiles = options.extraFiles ?? [];
    this.consent = options.consent;
    this.writers = options.writers ?? [];
    this.initialDelayMs = options.initialDelayMs ?? Math.min(this.settings.intervalMs, 1000);
    this.budget = new StoreBudget(this.settings.storeMaxBytes);
    this.transport = new UploadTransport(options.url);
    this.cursors = new CursorStore(options.dir);
    this.lock = new DirLock(options.dir);
    this.quarantine = new LineQuarantine(options.dir, options.url);
    this.sender = new FileSender(
      { ...this.settings, dir: this.dir, url: this.url, defaultScenario: options.defaultScenario },
      { transport: this.transport, cursors: this.cursors, quarantine: this.quarantine, counters: this.counters, isEnabled: () => this.enabled },
    );
  }

  /** Whether sending is allowed now. */
  get enabled(): boolean {
    return !this.stopped && (this.consent?.enabled ?? true);
  }

  /** Begin background uploads (only while consent is enabled; follows consent changes). Idempotent. */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    this.cursors.load();
    const previous = this.counters.continueFrom(this.dir);
    if (previous) {
      this.quarantine.quarantined = continued(previous.quarantined_events);
      this.quarantine.invalid = continued(previous.invalid_lines);
      this.budget.dropped = continued(previous.dropped_events);
    }
    // The cap applies from the first write, before the first scan has measured the store.
    this.counters.storeBytes = storeBytesSync(this.dir);
    this.budget.bytes = this.counters.storeBytes;
    this.unsubscribe = this.consent?.onChange((on) => {
      if (on) this.schedule(this.initialDelayMs);
      else this.pause();
    });
    if (this.enabled) this.schedule(this.initialDelayMs);
    return this;
  }

  /**
   * Send what is pending now, within 3/4 of the shutdown deadline (one attempt per batch, no backoff waits; a
   * server's `Retry-After` is still honoured). Holds the process open only until then. Never rejects.
   */
  forceFlush(): Promise<void> {
    if (!this.started || this.stopped) return Promise.resolve();
    return this.drain();
  }

  /** Stop background work, make a last bounded upload attempt, persist state, release the dir. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const wasStarted = this.started;
      if (wasStarted) await this.drain();
      this.stopped = true;
      this.clearTimer();
      this.unsubscribe?.();
      this.cycle?.controller.abort();
      await this.cycle?.promise;
      if (wasStarted) {
        await this.cursors.flush();
        await this.saveState();
      }
      this.lock.release();
      this.transport.close();
    })().catch((err: unknown) => diag.error(`upload shutdown failed: ${(err as Error).message}`));
    return this.shutdownPromise;
  }

  status(): UploadStatus {
    return { ...this.snapshot(), enabled: this.enabled, holds_lock: this.lock.held };
  }

  /**
   * Run one background upload now and wait for it (tests, tools). Follows the same rules as the timer: nothing is
   * sent while consent is off, during a backoff or before a `Retry-After` has passed.
   */
  async runOnce(): Promise<void> {
    if (!this.started) this.start();
    await this.runCycle('background', Number.POSITIVE_INFINITY);
  }

  // ---- scheduling -------------------------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.clearTimer();
    this.timer = setTimeout(() => this.tick(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pause(): void {
    this.clearTimer();
    this.cycle?.controller.abort(); // no request leaves while consent is off
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.enabled) return;
    // Pick up a `disable` made from the CLI in another process: stop sending within one interval.
    this.consent?.reload();
    if (!this.enabled) return;
    void this.runCycle('background', Number.POSITIVE_INFINITY).finally(() => {
      if (!this.enabled || this.sender.refused !== undefined) return;
      const now = Date.now();
      const next = this.sender.lastFailed ? Math.max(this.counters.backoffUntil, this.counters.retryAfterUntil) - now : this.settings.intervalMs;
      this.schedule(Math.max(next, this.counters.retryAfterUntil - now, 10));
    });
  }

  /** forceFlush and shutdown share one window, so the batch processor's flush-then-shutdown stays within budget. */
  private async drain(): Promise<void> {
    if (!this.enabled) return;
    const now = Date.now();
    const budget = Math.max(1, Math.floor(this.settings.shutdownTimeoutMs * 0.75));
    if (now >= this.drainWindowEnd) this.drainWindowEnd = now + budget;
    const deadline = this.drainWindowEnd;
    // Sockets are unref'd; this timer is what holds the process while the host waits for delivery, and no longer.
    const keepAlive = setTimeout(noop, Math.max(0, deadline - now));
    try {
      if (this.cycle) await this.runCycle('drain', deadline);
      if (this.enabled && Date.now() < deadline) await this.runCycle('drain', deadline);
    } catch (err) {
      diag.error(`upload flush failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(keepAlive);
    }
  }

  private runCycle(mode: 'background' | 'drain', deadline: number): Promise<void> {
    const running = this.cycle;
    if (running) {
      if (deadline < running.deadline) this.setDeadline(running, deadline);
      return running.promise;
    }
    const c: Cycle = { deadline: Number.POSITIVE_INFINITY, controller: new AbortController(), timer: undefined, promise: Promise.resolve() };
    if (Number.isFinite(deadline)) this.setDeadline(c, deadline);
    this.cycle = c;
    c.promise = this.cycleBody(mode, c)
      .catch((err: unknown) => diag.error(`upload cycle failed: ${(err as Error).stack ?? String(err)}`))
      .finally(() => {
        if (c.timer !== undefined) clearTimeout(c.timer);
        if (this.cycle === c) this.cycle = undefined;
      });
    return c.promise;
  }

  private setDeadline(c: Cycle, deadline: number): void {
    c.deadline = deadline;
    if (c.timer !== undefined) clearTimeout(c.timer);
    c.timer = setTimeout(() => c.controller.abort(), Math.max(0, deadline - Date.now()));
    c.timer.unref();
  }

  // ---- one cycle ------------------------------------------------------------------------------------------------

  private async cycleBody(mode: 'background' | 'drain', c: Cycle): Promise<void> {
    if (!this.enabled || this.sender.refused !== undefined) return;
    const now = Date.now();
    if (this.counters.retryAfterUntil > now) return; // the endpoint asked us to wait
    if (mode === 'background' && this.counters.backoffUntil > now) return;
    const leader = this.lock.tryAcquire();
    const files = await scanStore(this.dir, this.extraFiles);
    this.observe(files);
    if (!leader) return; // another process uploads from this dir; we only keep the budget current
    this.cursors.prune(new Set(files.map((f) => f.key)));
    let ok = true;
    for (const f of files) {
      ok = await this.sender.sendFile(f, c);
      if (!ok) break;
    }
    this.sender.lastFailed = !ok && !c.controller.signal.aborted;
    if (mode === 'background' && !Number.isFinite(c.deadline)) await this.compact();
    else this.updatePending(files);
    await this.cursors.flush();
    await this.saveState();
  }

  /** After a scan: the store's size for the budget; close this process's writers if someone rotated a file. */
  private observe(files: readonly StoreFile[]): void {
    let bytes = 0;
    let newest = this.newestSegmentSeen;
    for (const f of files) {
      if (f.kind === 'extra') continue;
      bytes += f.size;
      if (f.rotatedAt !== undefined && f.rotatedAt > newest) newest = f.rotatedAt;
    }
    this.counters.storeBytes = bytes;
    this.budget.bytes = bytes;
    if (newest > this.newestSegmentSeen) {
      // A file was rotated (by us or by the uploader of another process sharing the dir): our writers may still hold
      // the renamed file open. Closing them is cheap; their next append opens the new active file.
      this.reopenWriters();
      this.newestSegmentSeen = newest;
    }
    this.updatePending(files);
  }

  private updatePending(files: readonly StoreFile[]): void {
    let bytes = 0;
    let count = 0;
    for (const f of files) {
      const rest = f.size - this.cursors.offsetOf(f);
      if (rest > 0) {
        bytes += rest;
        count++;
      }
    }
    this.counters.pendingBytes = bytes;
    this.counters.pendingFiles = count;
  }

  private reopenWriters(): void {
    for (const w of this.writers) {
      try {
        w.close(); // the next append opens `{scenario}.jsonl` anew
      } catch {
        // a writer that cannot close has nothing open
      }
    }
  }

  private async compact(): Promise<void> {
    try {
      const files = await scanStore(this.dir, this.extraFiles);
      const r = await compactStore({
        files,
        cursors: this.cursors,
        maxBytes: this.settings.storeMaxBytes,
        rotateBytes: Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(this.settings.storeMaxBytes / 8))),
        graceMs: this.settings.segmentGraceMs,
        now: Date.now(),
        reopenWriters: () => this.reopenWriters(),
      });
      if (r.rotated > 0) this.newestSegmentSeen = Math.max(this.newestSegmentSeen, Date.now());
      const after = r.rotated + r.deleted + r.rewritten > 0 ? await scanStore(this.dir, this.extraFiles) : files;
      this.counters.storeBytes = after.filter((f) => f.kind !== 'extra').reduce((n, f) => n + f.size, 0);
      this.budget.bytes = this.counters.storeBytes;
      this.updatePending(after);
      this.counters.evicted += await this.quarantine.trim(Math.floor(this.settings.storeMaxBytes / 4));
    } catch (err) {
      diag.error(`store compaction in ${this.dir} failed: ${(err as Error).message}`);
    }
  }

  // ---- state ----------------------------------------------------------------------------------------------------

  private snapshot(): UploadState {
    return this.counters.toState({ url: redactUrl(this.url), storeMaxBytes: this.settings.storeMaxBytes, quarantined: this.quarantine.quarantined, invalid: this.quarantine.invalid, dropped: this.budget.dropped, gzip: this.sender.gzip });
  }

  private async saveState(): Promise<void> {
    if (!this.lock.held) return; // the uploading process speaks for the dir
    await writeUploadState(this.dir, this.snapshot());
  }
}
