import { open, type FileHandle } from 'node:fs/promises';
import { diag } from '@opentelemetry/api';
import type { ConsentState } from '../../core/consent.js';
import type { JsonlFileWriter } from '../jsonl/writer.js';
import { buildBody, idPrefixFor, readBatch, recheckLine, type BatchLine, type InvalidLine, type ReadResult } from './batchReader.js';
import { compactStore, StoreBudget } from './compaction.js';
import { MAX_UPLOAD_BYTES } from './config.js';
import { CursorStore } from './cursor.js';
import { DirLock } from './lock.js';
import { quarantineLines, trimQuarantine, type QuarantineReason } from './quarantine.js';
import { backoffDelay, classifyStatus, parseRetryAfter, type Verdict } from './retry.js';
import { readUploadState, writeUploadState, type UploadState } from './state.js';
import { openFlags, scanStore, storeBytesSync, type StoreFile } from './storeFiles.js';
import { GZIP_MIN_BYTES, redactUrl, UploadTransport, type PostResponse } from './transport.js';

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

interface Cycle {
  deadline: number;
  readonly controller: AbortController;
  timer: NodeJS.Timeout | undefined;
  promise: Promise<void>;
}

interface PostOutcome {
  verdict: Verdict;
  response?: PostResponse;
  error?: string;
  /** The request was cut short by our own deadline or by consent turning off: not the endpoint's fault. */
  aborted?: boolean;
}

const noop = (): void => undefined;
/** A file whose last line has had no newline for this long was cut by a crash, not caught mid-write. */
const TORN_TAIL_QUIET_MS = 5000;

/**
 * Sends what the local JSONL store holds to the upload endpoint, durably: a persisted per-file cursor records what
 * the endpoint acknowledged, so a process killed at any moment resumes there on the next start, and every line keeps
 * its `id` so the endpoint drops what a lost acknowledgement makes us send twice.
 *
 * Runs every `intervalMs` (timers unref'd), on `forceFlush()` and once more at `shutdown()`, each bounded by 3/4 of
 * the shutdown deadline. Retries with exponential backoff and jitter on network errors, timeouts, 408, 429 and 5xx
 * (honouring `Retry-After`); splits a batch on 413; quarantines a batch the endpoint refuses with another 4xx.
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
  private gzip: boolean;
  private started = false;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private cycle: Cycle | undefined;
  private drainWindowEnd = 0;
  private lastFailed = false;
  private newestSegmentSeen = 0;
  private readonly setAsideUpTo = new Map<string, number>();
  // counters (cumulative over restarts, from the state file)
  private sentEvents = 0;
  private sentBatches = 0;
  private sentBytes = 0;
  private quarantined = 0;
  private invalid = 0;
  private evicted = 0;
  private failures = 0;
  private lastSuccessAt: string | null = null;
  private lastAttemptAt: string | null = null;
  private lastError: string | null = null;
  private backoffUntil = 0;
  private retryAfterUntil = 0;
  private pendingBytes = 0;
  private pendingFiles = 0;
  private storeBytes = 0;

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
    this.gzip = this.o.gzip;
    this.budget = new StoreBudget(this.o.storeMaxBytes);
    this.transport = new UploadTransport(options.url);
    this.cursors = new CursorStore(options.dir);
    this.lock = new DirLock(options.dir);
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
    this.loadCounters();
    // The cap applies from the first write, before the first scan has measured the store.
    this.storeBytes = storeBytesSync(this.dir);
    this.budget.bytes = this.storeBytes;
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
      if (!this.enabled) return;
      const now = Date.now();
      const next = this.lastFailed ? Math.max(this.backoffUntil, this.retryAfterUntil) - now : this.o.intervalMs;
      this.schedule(Math.max(next, this.retryAfterUntil - now, 10));
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

  private shouldStop(c: Cycle): boolean {
    return !this.enabled || c.controller.signal.aborted || Date.now() >= c.deadline;
  }

  // ---- one cycle ------------------------------------------------------------------------------------------------

  private async cycleBody(mode: 'background' | 'drain', c: Cycle): Promise<void> {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.retryAfterUntil > now) return; // the endpoint asked us to wait
    if (mode === 'background' && this.backoffUntil > now) return;
    const leader = this.lock.tryAcquire();
    const files = await scanStore(this.dir, this.o.extraFiles);
    this.observe(files);
    if (!leader) return; // another process uploads from this dir; we only keep the budget current
    this.cursors.prune(new Set(files.map((f) => f.key)));
    let ok = true;
    for (const f of files) {
      ok = await this.sendFile(f, c);
      if (!ok) break;
    }
    this.lastFailed = !ok && !c.controller.signal.aborted;
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
    this.storeBytes = bytes;
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
    this.pendingBytes = bytes;
    this.pendingFiles = count;
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
      this.storeBytes = after.filter((f) => f.kind !== 'extra').reduce((n, f) => n + f.size, 0);
      this.budget.bytes = this.storeBytes;
      this.updatePending(after);
      const evicted = await trimQuarantine(this.dir, Math.floor(this.o.storeMaxBytes / 4));
      if (evicted > 0) {
        this.evicted += evicted;
        diag.warn(`otel-product-telemetry: quarantine in ${this.dir} exceeded a quarter of TELEMETRY_STORE_MAX_BYTES; removed its ${evicted} oldest entr${evicted === 1 ? 'y' : 'ies'}`);
      }
    } catch (err) {
      diag.error(`otel-product-telemetry: store compaction in ${this.dir} failed: ${(err as Error).message}`);
    }
  }

  /** Send one file from its cursor to its end. False = stop the cycle (failure, deadline, consent off). */
  private async sendFile(f: StoreFile, c: Cycle): Promise<boolean> {
    if (this.cursors.isStale(f)) {
      diag.info(`otel-product-telemetry: ${f.path} was replaced or truncated since its last upload; sending it from the start`);
      this.cursors.set(f, 0);
    }
    let offset = this.cursors.offsetOf(f);
    if (offset >= f.size) return true;
    let fh: FileHandle;
    let ahead: Promise<ReadResult> | undefined;
    try {
      fh = await open(f.path, openFlags(f.kind));
    } catch {
      return true; // vanished since the scan
    }
    try {
      const limits = { maxBytes: this.o.maxBatchBytes, maxCount: this.o.batchSize, scenario: f.scenario ?? this.o.defaultScenario, idPrefix: idPrefixFor(f.head, f.key) };
      while (offset < f.size) {
        if (this.shouldStop(c)) return false;
        const r = await (ahead ?? readBatch(fh, offset, f.size, limits));
        ahead = undefined;
        let next: number | undefined;
        if (r.kind === 'oversize') next = await this.setAsideOversize(fh, f, r.start);
        if (r.kind === 'incomplete' || (r.kind === 'oversize' && next === undefined)) {
          // A tail without its newline: a writer mid-line, or one that died mid-write. Once the file has been quiet
          // for a while it is the latter (the next writer would only terminate it): set it aside, do not wait forever.
          if (Date.now() - f.mtimeMs < TORN_TAIL_QUIET_MS) break;
          next = await this.setAsideTornTail(fh, f, offset);
        }
        if (next !== undefined) {
          offset = next;
          this.cursors.set(f, offset);
          void this.cursors.save();
          continue;
        }
        if (r.kind !== 'batch') break;
        if (r.invalid.length > 0) await this.setAsideInvalid(f, r.invalid);
        // Read and check the next batch while this one is on the wire (the endpoint's work overlaps ours).
        if (r.end < f.size) {
          ahead = readBatch(fh, r.end, f.size, limits);
          ahead.catch(noop);
        }
        if (!(await this.sendLines(f, r.lines, c))) return false;
        offset = r.end;
        this.cursors.set(f, offset);
        void this.cursors.save();
      }
      return true;
    } finally {
      await ahead?.catch(noop); // never close the file under a read in flight
      await fh.close().catch(noop);
    }
  }

  /** POST lines (splitting on 413). Moves the cursor past every acknowledged or quarantined part. */
  private async sendLines(f: StoreFile, lines: readonly BatchLine[], c: Cycle): Promise<boolean> {
    if (lines.length === 0) return true;
    const out = await this.post(buildBody(lines, this.o.format), c);
    const last = lines[lines.length - 1]!;
    switch (out.verdict) {
      case 'ack': {
        const errored = await this.setAsideRejectedEvents(f, lines, out.response!);
        this.sentEvents += lines.length - errored;
        this.sentBatches++;
        this.failures = 0;
        this.lastFailed = false;
        this.backoffUntil = 0;
        this.lastError = null;
        this.lastSuccessAt = new Date().toISOString();
        this.cursors.set(f, last.end);
        void this.cursors.save();
        return true;
      }
      case 'split': {
        if (lines.length === 1) {
          await this.setAside(f, lines, { source: 'server', status: 413, error: `a single event is too large for the endpoint: ${out.response?.body ?? ''}`.slice(0, 65_536), file: f.path, start: lines[0]!.start, end: last.end });
          this.cursors.set(f, last.end);
          void this.cursors.save();
          return true;
        }
        const mid = Math.ceil(lines.length / 2);
        diag.debug(`otel-product-telemetry: endpoint answered 413 to ${lines.length} events; sending them in two halves`);
        if (!(await this.sendLines(f, lines.slice(0, mid), c))) return false;
        return this.sendLines(f, lines.slice(mid), c);
      }
      case 'quarantine': {
        const status = out.response?.status ?? 0;
        if (lines.some((l) => !l.parsed)) {
          // Lines sent on their shape alone: parse them now; if some are broken, set those aside and send the rest.
          const good: BatchLine[] = [];
          const bad: InvalidLine[] = [];
          for (const l of lines) {
            const r = l.parsed ? { line: l } : recheckLine(l);
            if ('line' in r) good.push(r.line);
            else bad.push(r.invalid);
          }
          if (bad.length > 0) {
            await this.setAsideInvalid(f, bad);
            return this.sendLines(f, good, c);
          }
          lines = good;
        }
        diag.error(`otel-product-telemetry: ${redactUrl(this.url)} refused ${lines.length} event(s) with ${status}: ${short(out.response?.body)}; moved them to ${this.dir}/quarantine/`);
        await this.setAside(f, lines, { source: 'server', status, error: out.response?.body ?? '', file: f.path, start: lines[0]!.start, end: last.end });
        this.cursors.set(f, last.end);
        void this.cursors.save();
        return true;
      }
      default:
        this.onFailure(out, lines.length);
        return false;
    }
  }

  private async post(body: Buffer, c: Cycle): Promise<PostOutcome> {
    const remaining = c.deadline - Date.now();
    if (remaining <= 0 || c.controller.signal.aborted) return { verdict: 'retry', aborted: true, error: 'deadline reached before sending' };
    const timeoutMs = Math.max(1, Math.min(this.o.timeoutMs, remaining));
    this.lastAttemptAt = new Date().toISOString();
    const attempt = async (gzip: boolean): Promise<PostOutcome> => {
      try {
        const { payload, gzipped } = await this.transport.encode(body, gzip);
        this.sentBytes += payload.length;
        const response = await this.transport.post(payload, gzipped, { format: this.o.format, token: this.o.token, gzip: gzipped, timeoutMs, signal: c.controller.signal });
        return { verdict: classifyStatus(response.status), response };
      } catch (err) {
        return { verdict: 'retry', error: (err as Error).message, aborted: c.controller.signal.aborted };
      }
    };
    const first = await attempt(this.gzip);
    const status = first.response?.status;
    if (this.gzip && body.length >= GZIP_MIN_BYTES && (status === 400 || status === 415)) {
      // Perhaps the endpoint cannot read gzip: the same batch once more, plain.
      const plain = await attempt(false);
      if (plain.verdict === 'ack') {
        this.gzip = false;
        diag.warn(`otel-product-telemetry: ${redactUrl(this.url)} refused a gzip body (${status}) and accepted it plain; sending without gzip from now on`);
      }
      return plain;
    }
    return first;
  }

  private onFailure(out: PostOutcome, events: number): void {
    const now = Date.now();
    const what = out.response ? `answered ${out.response.status}: ${short(out.response.body)}` : (out.error ?? 'failed');
    this.lastError = `POST ${redactUrl(this.url)} (${events} events) ${what}`;
    if (out.aborted) return; // our own deadline or consent: not a failure of the endpoint
    this.failures++;
    this.lastFailed = true;
    const retryAfter = out.response ? parseRetryAfter(out.response.headers['retry-after'], now) : undefined;
    const delay = out.verdict === 'pause' ? this.o.maxBackoffMs : backoffDelay(this.failures, this.o.backoffMs, this.o.maxBackoffMs);
    this.backoffUntil = now + Math.max(delay, retryAfter ?? 0);
    if (retryAfter !== undefined) this.retryAfterUntil = now + retryAfter;
    const wait = this.backoffUntil - now;
    const msg = `otel-product-telemetry: upload ${this.lastError}; attempt ${this.failures} failed, next in ${wait} ms${retryAfter !== undefined ? ' (Retry-After)' : ''}; the events stay in ${this.dir}`;
    if (out.verdict === 'pause') diag.error(`${msg} — check TELEMETRY_UPLOAD_URL and TELEMETRY_UPLOAD_TOKEN`);
    else diag.warn(msg);
  }

  // ---- setting lines aside --------------------------------------------------------------------------------------

  private async setAside(f: StoreFile, lines: readonly BatchLine[], reason: QuarantineReason): Promise<void> {
    try {
      await quarantineLines(this.dir, f.scenario ?? 'extra', lines.map((l) => l.json), reason);
      this.quarantined += lines.length;
    } catch (err) {
      diag.error(`otel-product-telemetry: could not write ${lines.length} refused event(s) to ${this.dir}/quarantine/: ${(err as Error).message}; they are skipped`);
      this.quarantined += lines.length;
    }
  }

  private async setAsideInvalid(f: StoreFile, invalid: readonly InvalidLine[]): Promise<void> {
    const done = this.setAsideUpTo.get(f.key) ?? 0;
    const fresh = invalid.filter((l) => l.start >= done);
    if (fresh.length === 0) return;
    this.setAsideUpTo.set(f.key, fresh[fresh.length - 1]!.end);
    this.invalid += fresh.length;
    diag.warn(`otel-product-telemetry: ${fresh.length} invalid line(s) in ${f.path} (first at byte ${fresh[0]!.start}: ${fresh[0]!.reason}); moved to ${this.dir}/quarantine/, not sent`);
    try {
      await quarantineLines(this.dir, f.scenario ?? 'extra', fresh.map((l) => l.raw), { source: 'local', error: fresh.map((l) => `byte ${l.start}: ${l.reason}`).join('\n').slice(0, 65_536), file: f.path, start: fresh[0]!.start, end: fresh[fresh.length - 1]!.end });
    } catch (err) {
      diag.error(`otel-product-telemetry: could not quarantine invalid lines of ${f.path}: ${(err as Error).message}; they are skipped`);
    }
    this.quarantined += fresh.length;
  }

  /** Events a 2xx answer lists under `errors` were refused one by one: keep them with the endpoint's reason. */
  private async setAsideRejectedEvents(f: StoreFile, lines: readonly BatchLine[], response: PostResponse): Promise<number> {
    let errors: unknown;
    try {
      errors = (JSON.parse(response.body) as { errors?: unknown }).errors;
    } catch {
      return 0;
    }
    if (!Array.isArray(errors) || errors.length === 0) return 0;
    const rejected: BatchLine[] = [];
    const reasons: string[] = [];
    for (const e of errors as { index?: unknown; error?: unknown }[]) {
      if (typeof e?.index !== 'number') continue;
      const i = this.o.format === 'json' ? e.index : e.index - 1; // NDJSON errors name 1-based line numbers
      const line = lines[i];
      if (line === undefined) continue;
      rejected.push(line);
      reasons.push(`event ${i} (byte ${line.start}): ${typeof e.error === 'string' ? e.error : JSON.stringify(e)}`);
    }
    if (rejected.length === 0) return 0;
    diag.warn(`otel-product-telemetry: ${redactUrl(this.url)} refused ${rejected.length} of ${lines.length} event(s) (${short(reasons[0])}); moved them to ${this.dir}/quarantine/`);
    await this.setAside(f, rejected, { source: 'server', status: response.status, error: reasons.join('\n').slice(0, 65_536), file: f.path, start: rejected[0]!.start, end: rejected[rejected.length - 1]!.end });
    return rejected.length;
  }

  /** A torn last line (no newline, file quiet): keep its first 4 KiB in the quarantine and step over it. */
  private async setAsideTornTail(fh: FileHandle, f: StoreFile, start: number): Promise<number> {
    const end = f.size;
    this.invalid++;
    this.quarantined++;
    diag.warn(`otel-product-telemetry: ${f.path} ends in an unterminated line (bytes ${start}-${end}, a write cut short by a crash); set aside, not sent`);
    try {
      const head = Buffer.alloc(Math.min(4096, end - start));
      await fh.read(head, 0, head.length, start);
      await quarantineLines(this.dir, f.scenario ?? 'extra', [head], { source: 'local', error: `unterminated line of ${end - start} bytes at the end of the file (torn write)`, file: f.path, start, end });
    } catch {
      // the count and the diag message say it
    }
    return end;
  }

  /** A line longer than any request: copy it aside in chunks and step over it. Undefined = it is not complete yet. */
  private async setAsideOversize(fh: FileHandle, f: StoreFile, start: number): Promise<number | undefined> {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let pos = start;
    const size = (await fh.stat()).size;
    while (pos < size) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
      if (bytesRead === 0) break;
      const nl = chunk.subarray(0, bytesRead).indexOf(0x0a);
      if (nl >= 0) {
        const end = pos + nl + 1;
        this.invalid++;
        this.quarantined++;
        diag.warn(`otel-product-telemetry: line at byte ${start} of ${f.path} is ${end - start} bytes, over the ${this.o.maxBatchBytes}-byte request limit; set aside, not sent`);
        try {
          const head = Buffer.alloc(Math.min(4096, end - start));
          await fh.read(head, 0, head.length, start);
          await quarantineLines(this.dir, f.scenario ?? 'extra', [head], { source: 'local', error: `line of ${end - start} bytes exceeds the request limit of ${this.o.maxBatchBytes} bytes; only its first ${head.length} bytes are kept here`, file: f.path, start, end });
        } catch {
          // the count and the diag message say it
        }
        return end;
      }
      pos += bytesRead;
    }
    return undefined;
  }

  // ---- state ----------------------------------------------------------------------------------------------------

  private loadCounters(): void {
    const s = readUploadState(this.dir);
    if (!s) return;
    this.sentEvents = num(s.sent_events);
    this.sentBatches = num(s.sent_batches);
    this.sentBytes = num(s.sent_bytes);
    this.quarantined = num(s.quarantined_events);
    this.invalid = num(s.invalid_lines);
    this.evicted = num(s.quarantine_evicted);
    this.budget.dropped = num(s.dropped_events);
    this.lastSuccessAt = typeof s.last_success_at === 'string' ? s.last_success_at : null;
  }

  private snapshot(): UploadState {
    const next = Math.max(this.backoffUntil, this.retryAfterUntil);
    return {
      version: 1,
      url: redactUrl(this.url),
      pid: process.pid,
      updated_at: new Date().toISOString(),
      last_success_at: this.lastSuccessAt,
      last_attempt_at: this.lastAttemptAt,
      last_error: this.lastError,
      pending_bytes: this.pendingBytes,
      pending_files: this.pendingFiles,
      store_bytes: this.storeBytes,
      store_max_bytes: this.o.storeMaxBytes,
      sent_events: this.sentEvents,
      sent_batches: this.sentBatches,
      sent_bytes: this.sentBytes,
      quarantined_events: this.quarantined,
      invalid_lines: this.invalid,
      dropped_events: this.budget.dropped,
      quarantine_evicted: this.evicted,
      consecutive_failures: this.failures,
      next_attempt_at: next > Date.now() ? new Date(next).toISOString() : null,
      gzip: this.gzip,
    };
  }

  private async saveState(): Promise<void> {
    if (!this.lock.held) return; // the uploading process speaks for the dir
    await writeUploadState(this.dir, this.snapshot());
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

function short(text: string | undefined): string {
  if (!text) return '(no body)';
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}
