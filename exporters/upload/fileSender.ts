import { open, type FileHandle } from 'node:fs/promises';
import { diag } from '../../core/diag.js';
import { checkAnswer, type UploadAnswer } from './answer.js';
import { buildBody, idPrefixFor, readBatch, recheckLine, type BatchLine, type InvalidLine, type ReadResult } from './batchReader.js';
import type { UploaderSettings } from './config.js';
import type { CursorStore } from './cursor.js';
import { backoffDelay } from '../../core/backoff.js';
import { classifyStatus, parseRetryAfter, type Verdict } from './retry.js';
import { short, type LineQuarantine } from './quarantine.js';
import type { UploadCounters } from './state.js';
import { openFlags, type StoreFile } from './storeFiles.js';
import { storeIdOf } from '../../core/storeId.js';
import { GZIP_MIN_BYTES, redactUrl, type PostResponse, type UploadTransport } from './transport.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** The time a run of the uploader may take, and how it is stopped early (deadline, consent off, shutdown). */
export interface SendWindow {
  deadline: number;
  readonly controller: AbortController;
}

/** The uploader's settings a sender uses, and where it sends from and to. */
export interface FileSenderOptions extends Pick<UploaderSettings, 'format' | 'token' | 'timeoutMs' | 'batchSize' | 'maxBatchBytes' | 'backoffMs' | 'maxBackoffMs' | 'gzip'> {
  dir: string;
  url: string;
  defaultScenario: string | undefined;
}

export interface FileSenderParts {
  transport: UploadTransport;
  cursors: CursorStore;
  quarantine: LineQuarantine;
  counters: UploadCounters;
  /** Whether sending is still allowed (consent, not shut down). */
  isEnabled: () => boolean;
}

interface PostOutcome {
  verdict: Verdict;
  response?: PostResponse;
  /** A 2xx answer checked against the upload contract (verdict `ack` only). */
  answer?: UploadAnswer;
  /** A 2xx answer that is not the collector's: what is wrong with it (the attempt failed). */
  problem?: string;
  error?: string;
  /** The request was cut short by our own deadline or by consent turning off: not the endpoint's fault. */
  aborted?: boolean;
  /** The collector stores into this uploader's own data dir (409 OPT_ERR_SAME_STORE). */
  sameStore?: boolean;
}

/** A collector's 409 saying it stores into the dir this upload comes from (routes/upload.ts `refuseOwnStore`). */
function isSameStoreRefusal(response: PostResponse): boolean {
  if (response.status !== 409) return false;
  try {
    return (JSON.parse(response.body) as { code?: unknown }).code === ErrorCode.SAME_STORE;
  } catch {
    return false;
  }
}

const noop = (): void => undefined;
/** A file whose last line has had no newline for this long was cut by a crash, not caught mid-write. */
const TORN_TAIL_QUIET_MS = 5000;

/**
 * Sends one store file from its cursor to its end, batch by batch: reads whole lines (the next batch while one is on
 * the wire), POSTs them, and acts on the answer — moves the cursor on an acknowledgement, splits on 413, sets aside
 * what the endpoint refuses, and on a retryable failure records the backoff and stops the run.
 */
export class FileSender {
  /** Whether request bodies are gzip-compressed (switched off when the endpoint cannot read them). */
  gzip: boolean;
  /** The last run stopped on a failure that calls for a backoff. */
  lastFailed = false;
  /**
   * Why uploading stopped for good: the endpoint is a collector that stores into this uploader's own data dir (it
   * would store every event twice and this uploader would send the copies back). Set once; the events stay.
   */
  refused: string | undefined;
  private readonly options: FileSenderOptions;
  private storeId: string | undefined | null = null;
  private readonly url: string;
  private readonly dir: string;
  private readonly transport: UploadTransport;
  private readonly cursors: CursorStore;
  private readonly quarantine: LineQuarantine;
  private readonly counters: UploadCounters;
  private readonly isEnabled: () => boolean;

  constructor(options: FileSenderOptions, parts: FileSenderParts) {
    this.options = options;
    this.url = options.url;
    this.dir = options.dir;
    this.gzip = options.gzip;
    this.transport = parts.transport;
    this.cursors = parts.cursors;
    this.quarantine = parts.quarantine;
    this.counters = parts.counters;
    this.isEnabled = parts.isEnabled;
  }

  shouldStop(c: SendWindow): boolean {
    return this.refused !== undefined || !this.isEnabled() || c.controller.signal.aborted || Date.now() >= c.deadline;
  }

  /** Send one file from its cursor to its end. False = stop the cycle (failure, deadline, consent off). */
  async sendFile(f: StoreFile, c: SendWindow): Promise<boolean> {
    if (this.cursors.isStale(f)) {
      diag.info(`${f.path} was replaced or truncated since its last upload; sending it from the start`);
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
      const limits = { maxBytes: this.options.maxBatchBytes, maxCount: this.options.batchSize, scenario: f.scenario ?? this.options.defaultScenario, idPrefix: idPrefixFor(f.head, f.key) };
      while (offset < f.size) {
        if (this.shouldStop(c)) return false;
        const r = await (ahead ?? readBatch(fh, offset, f.size, limits));
        ahead = undefined;
        let next: number | undefined;
        if (r.kind === 'oversize') next = await this.quarantine.oversize(fh, f, r.start, this.options.maxBatchBytes);
        if (r.kind === 'incomplete' || (r.kind === 'oversize' && next === undefined)) {
          // A tail without its newline: a writer mid-line, or one that died mid-write. Once the file has been quiet
          // for a while it is the latter (the next writer would only terminate it): set it aside, do not wait forever.
          if (Date.now() - f.mtimeMs < TORN_TAIL_QUIET_MS) break;
          next = await this.quarantine.tornTail(fh, f, offset);
        }
        if (next !== undefined) {
          offset = next;
          this.cursors.set(f, offset);
          void this.cursors.save();
          continue;
        }
        if (r.kind !== 'batch') break;
        if (r.invalid.length > 0) await this.quarantine.invalidLines(f, r.invalid);
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
  private async sendLines(f: StoreFile, lines: readonly BatchLine[], c: SendWindow): Promise<boolean> {
    if (lines.length === 0) return true;
    const out = await this.post(buildBody(lines, this.options.format), lines.length, c);
    const last = lines[lines.length - 1]!;
    if (out.sameStore) {
      this.refused =
        `not uploading to ${redactUrl(this.url)}: that collector stores into this uploader's own data dir ${this.dir} ` +
        `(it would store every event a second time there, and this uploader would send the copies back); ` +
        `give the collector a data dir of its own (its default, or --dir / TELEMETRY_DIR) or send elsewhere (TELEMETRY_UPLOAD_URL). The events stay in ${this.dir}`;
      this.counters.lastError = this.refused;
      diag.error(`${this.refused}`);
      return false;
    }
    switch (out.verdict) {
      case 'ack': {
        const errored = await this.quarantine.rejectedInAnswer(f, lines, out.answer!.refused, out.response!.status);
        this.counters.sentEvents += Math.max(0, lines.length - errored);
        this.counters.sentBatches++;
        this.counters.failures = 0;
        this.lastFailed = false;
        this.counters.backoffUntil = 0;
        this.counters.lastError = null;
        this.counters.lastSuccessAt = new Date().toISOString();
        this.cursors.set(f, last.end);
        void this.cursors.save();
        return true;
      }
      case 'split': {
        if (lines.length === 1) {
          await this.quarantine.refused(f, lines, { source: 'server', status: 413, error: `a single event is too large for the endpoint: ${out.response?.body ?? ''}`.slice(0, 65_536) });
          this.cursors.set(f, last.end);
          void this.cursors.save();
          return true;
        }
        const mid = Math.ceil(lines.length / 2);
        diag.debug(`endpoint answered 413 to ${lines.length} events; sending them in two halves`);
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
            await this.quarantine.invalidLines(f, bad);
            return this.sendLines(f, good, c);
          }
          lines = good;
        }
        diag.error(`${redactUrl(this.url)} refused ${lines.length} event(s) with ${status}: ${short(out.response?.body)}; moved them to ${this.dir}/quarantine/`);
        await this.quarantine.refused(f, lines, { source: 'server', status, error: out.response?.body ?? '' });
        this.cursors.set(f, last.end);
        void this.cursors.save();
        return true;
      }
      default:
        this.onFailure(out, lines.length);
        return false;
    }
  }

  /** POST a body of `events` events; a 2xx counts as `ack` only when its answer is the collector's (answer.ts). */
  private async post(body: Buffer, events: number, c: SendWindow): Promise<PostOutcome> {
    const remaining = c.deadline - Date.now();
    if (remaining <= 0 || c.controller.signal.aborted) return { verdict: 'retry', aborted: true, error: 'deadline reached before sending' };
    const timeoutMs = Math.max(1, Math.min(this.options.timeoutMs, remaining));
    this.counters.lastAttemptAt = new Date().toISOString();
    const attempt = async (gzip: boolean): Promise<PostOutcome> => {
      try {
        const { payload, gzipped } = await this.transport.encode(body, gzip);
        this.counters.sentBytes += payload.length;
        if (this.storeId === null) this.storeId = storeIdOf(this.dir);
        const response = await this.transport.post(payload, gzipped, { format: this.options.format, token: this.options.token, gzip: gzipped, timeoutMs, signal: c.controller.signal, storeId: this.storeId });
        if (isSameStoreRefusal(response)) return { verdict: 'pause', response, sameStore: true };
        const verdict = classifyStatus(response.status);
        if (verdict !== 'ack') return { verdict, response };
        const check = checkAnswer(response, events, this.options.format, [this.options.token]);
        // Not the collector's answer: nothing says the events were stored. Retried like a network error.
        return check.ok ? { verdict, response, answer: check.answer } : { verdict: 'retry', response, problem: check.problem };
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
        diag.warn(`${redactUrl(this.url)} refused a gzip body (${status}) and accepted it plain; sending without gzip from now on`);
      }
      return plain;
    }
    return first;
  }

  private onFailure(out: PostOutcome, events: number): void {
    const now = Date.now();
    const what =
      out.problem !== undefined
        ? `answered ${out.response!.status} but not with an upload answer, so nothing counts as delivered: ${out.problem}`
        : out.response
          ? `answered ${out.response.status}: ${short(out.response.body)}`
          : (out.error ?? 'failed');
    this.counters.lastError = `POST ${redactUrl(this.url)} (${events} events) ${what}`;
    if (out.aborted) return; // our own deadline or consent: not a failure of the endpoint
    this.counters.failures++;
    this.lastFailed = true;
    const retryAfter = out.response && out.problem === undefined ? parseRetryAfter(out.response.headers['retry-after'], now) : undefined;
    const delay = out.verdict === 'pause' ? this.options.maxBackoffMs : backoffDelay(this.counters.failures, this.options.backoffMs, this.options.maxBackoffMs);
    this.counters.backoffUntil = now + Math.max(delay, retryAfter ?? 0);
    if (retryAfter !== undefined) this.counters.retryAfterUntil = now + retryAfter;
    const wait = this.counters.backoffUntil - now;
    const msg = `upload ${this.counters.lastError}; attempt ${this.counters.failures} failed, next in ${wait} ms${retryAfter !== undefined ? ' (Retry-After)' : ''}; the events stay in ${this.dir}`;
    if (out.verdict === 'pause') diag.error(`${msg} — check TELEMETRY_UPLOAD_URL and TELEMETRY_UPLOAD_TOKEN`);
    else diag.warn(msg);
  }
}
