import { diag } from '@opentelemetry/api';
import type { ConsentState } from '../../core/consent.js';
import type { JsonlFileWriter } from '../jsonl/writer.js';
import { compactStore, StoreBudget } from './compaction.js';
import { MAX_UPLOAD_BYTES } from './config.js';
import { CursorStore } from './cursor.js';
import { DirLock } from './lock.js';
import { FileSender, type SendWindow } from './fileSender.js';
import { LineQuarantine } from './quarantine.js';
import { continued, UploadCounters, writeUploadState, type UploadState } from './state.js';
import { scanStore, storeBytesSync, type StoreFile } from './storeFiles.js';
import { redactUrl, UploadTransport } from './transport.js';

export interface UploaderOptions {
  /** Store dir to send from: `{dir}/{scenario}.jsonl` and its rotated segments. Cursors and state live here too. */
  dir: string;
  /** Endpoint (`POST`). */
  url: string;
  format?: 'json' | 'ndjson';
  token?: string;
  /** Deadline of one request. Default 10000 ms. */
  timeoutMs?: number;
  /** Period of background uploads. Default 30000 ms. */
  intervalMs?: number;
  /** Default true. */
  gzip?: boolean;
  /** Events per request. Default 1000. */
  batchSize?: number;
  /** Request body bytes before compression. Default and maximum 4 MiB. */
  maxBatchBytes?: number;
  /** First retry delay. Default 1000 ms. */
  backoffMs?: number;
  /** Longest retry delay. Default 300000 ms. */
  maxBackoffMs?: number;
  /** Store cap. Default 64 MiB. */
  storeMaxBytes?: number;
  /** See `TELEMETRY_STORE_SEGMENT_GRACE_MS`. Default 120000 ms. */
  segmentGraceMs?: number;
  /** The host's shutdown deadline; `forceFlush()`/`shutdown()` upload for at most 3/4 of it. Default 2000 ms. */
  shutdownTimeoutMs?: number;
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
  private readonly o: Required<Omit<UploaderOptions, 'token' | 'consent' | 'defaultScenario' | 'initialDelayMs'>> & Pick<UploaderOptions, 'token' | 'consent' | 'defaultScenario'>;
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
  private readonly n = new UploadCounters();
  private readonly q: LineQuarantine;

  constructor(options: UploaderOptions) {
    this.dir = options.dir;
    this.url = options.url;
    const intervalMs = options.intervalMs ?? 30_000;
    this.o = {
      dir: options.dir,
      url: options.url,
      format: options.format ?? 'json',
      token: options.token,
      timeoutMs: options.timeoutMs ?? 10_000,
      intervalMs,
      gzip: options.gzip ?? true,
      batchSize: Math.max(1, options.batchSize ?? 1000),
      maxBatchBytes: Math.min(options.maxBatchBytes ?? MAX_UPLOAD_BYTES, MAX_UPLOAD_BYTES),
      backoffMs: options.backoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 300_000,
      storeMaxBytes: options.storeMaxBytes ?? 64 * 1024 * 1024,
      segmentGraceMs: options.segmentGraceMs ?? 120_000,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 2000,
      extraFiles: options.extraFiles ?? [],
      consent: options.consent,
      writers: options.writers ?? [],
      defaultScenario: options.defaultScenario,
    };
    this.initialDelayMs = options.initialDelayMs ?? Math.min(intervalMs, 1000);
    this.budget = new StoreBudget(this.o.storeMaxBytes);
    this.transport = new UploadTransport(options.url);
    this.cursors = new CursorStore(options.dir);
    this.lock = new DirLock(options.dir);
    this.q = new LineQuarantine(options.dir, options.url);
    const o = this.o;
    this.sender = new FileSender(
      { dir: o.dir, url: o.url, format: o.format, token: o.token, timeoutMs: o.timeoutMs, batchSize: o.batchSize, maxBatchBytes: o.maxBatchBytes, backoffMs: o.backoffMs, maxBackoffMs: o.maxBackoffMs, gzip: o.gzip, defaultScenario: o.defaultScenario },
      { transport: this.transport, cursors: this.cursors, quarantine: this.q, counters: this.n, isEnabled: () => this.enabled },
    );
  }

  /** Whether sending is allowed now. */
  get enabled(): boolean {
    return !this.stopped && (this.o.consent?.enabled ?? true);
  }

  /** Begin background uploads (only while consent is enabled; follows consent changes). Idempotent. */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    this.cursors.load();
    const previous = this.n.continueFrom(this.dir);
    if (previous) {
      this.q.quarantined = continued(previous.quarantined_events);
      this.q.invalid = continued(previous.invalid_lines);
      this.budget.dropped = continued(previous.dropped_events);
    }
    // The cap applies from the first write, before the first scan has measured the store.
    this.n.storeBytes = storeBytesSync(this.dir);
    this.budget.bytes = this.n.storeBytes;
    this.unsubscribe = this.o.consent?.onChange((on) => {
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
    })().catch((err: unknown) => diag.error(`otel-product-telemetry: upload shutdown failed: ${(err as Error).message}`));
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
    this.o.consent?.reload();
    if (!this.enabled) return;
    void this.runCycle('background', Number.POSITIVE_INFINITY).finally(() => {
      if (!this.enabled || this.sender.refused !== undefined) return;
      const now = Date.now();
      const next = this.sender.lastFailed ? Math.max(this.n.backoffUntil, this.n.retryAfterUntil) - now : this.o.intervalMs;
      this.schedule(Math.max(next, this.n.retryAfterUntil - now, 10));
    });
  }

  /** forceFlush and shutdown share one window, so the batch processor's flush-then-shutdown stays within budget. */
  private async drain(): Promise<void> {
    if (!this.enabled) return;
    const now = Date.now();
    const budget = Math.max(1, Math.floor(this.o.shutdownTimeoutMs * 0.75));
    if (now >= this.drainWindowEnd) this.drainWindowEnd = now + budget;
    const deadline = this.drainWindowEnd;
    // Sockets are unref'd; this timer is what holds the process while the host waits for delivery, and no longer.
    const keepAlive = setTimeout(noop, Math.max(0, deadline - now));
    try {
      if (this.cycle) await this.runCycle('drain', deadline);
      if (this.enabled && Date.now() < deadline) await this.runCycle('drain', deadline);
    } catch (err) {
      diag.error(`otel-product-telemetry: upload flush failed: ${(err as Error).message}`);
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
      .catch((err: unknown) => diag.error(`otel-product-telemetry: upload cycle failed: ${(err as Error).stack ?? String(err)}`))
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
    if (this.n.retryAfterUntil > now) return; // the endpoint asked us to wait
    if (mode === 'background' && this.n.backoffUntil > now) return;
    const leader = this.lock.tryAcquire();
    const files = await scanStore(this.dir, this.o.extraFiles);
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
    this.n.storeBytes = bytes;
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
    this.n.pendingBytes = bytes;
    this.n.pendingFiles = count;
  }

  private reopenWriters(): void {
    for (const w of this.o.writers) {
      try {
        w.close(); // the next append opens `{scenario}.jsonl` anew
      } catch {
        // a writer that cannot close has nothing open
      }
    }
  }

  private async compact(): Promise<void> {
    try {
      const files = await scanStore(this.dir, this.o.extraFiles);
      const r = await compactStore({
        files,
        cursors: this.cursors,
        maxBytes: this.o.storeMaxBytes,
        rotateBytes: Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(this.o.storeMaxBytes / 8))),
        graceMs: this.o.segmentGraceMs,
        now: Date.now(),
        reopenWriters: () => this.reopenWriters(),
      });
      if (r.rotated > 0) this.newestSegmentSeen = Math.max(this.newestSegmentSeen, Date.now());
      const after = r.rotated + r.deleted + r.rewritten > 0 ? await scanStore(this.dir, this.o.extraFiles) : files;
      this.n.storeBytes = after.filter((f) => f.kind !== 'extra').reduce((n, f) => n + f.size, 0);
      this.budget.bytes = this.n.storeBytes;
      this.updatePending(after);
      this.n.evicted += await this.q.trim(Math.floor(this.o.storeMaxBytes / 4));
    } catch (err) {
      diag.error(`otel-product-telemetry: store compaction in ${this.dir} failed: ${(err as Error).message}`);
    }
  }

  // ---- state ----------------------------------------------------------------------------------------------------

  private snapshot(): UploadState {
    return this.n.toState({ url: redactUrl(this.url), storeMaxBytes: this.o.storeMaxBytes, quarantined: this.q.quarantined, invalid: this.q.invalid, dropped: this.budget.dropped, gzip: this.sender.gzip });
  }

  private async saveState(): Promise<void> {
    if (!this.lock.held) return; // the uploading process speaks for the dir
    await writeUploadState(this.dir, this.snapshot());
  }
}
