import type { FileHandle } from 'node:fs/promises';
import { diag } from '@opentelemetry/api';
import type { BatchLine, InvalidLine } from './batchReader.js';
import { quarantineLines, trimQuarantine, type QuarantineReason } from './quarantine.js';
import type { StoreFile } from './storeFiles.js';
import type { RefusedEvent } from './answer.js';
import { redactUrl } from './transport.js';

/** A response body fit for one diag line. */
export function short(text: string | undefined): string {
  if (!text) return '(no body)';
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/**
 * Everything the uploader moves aside instead of sending, with the reason, into `{dir}/quarantine/`: batches the
 * endpoint refused, events a 2xx answer listed as errors, lines that are not JSON objects, torn tails and lines over
 * the request limit. Counts them; a failure to write the quarantine is logged and the lines are still stepped over
 * (one bad event must not block the stream).
 */
export class LineQuarantine {
  /** Events and lines set aside (all reasons). */
  quarantined = 0;
  /** Of those, lines never sent because they were invalid locally. */
  invalid = 0;
  private readonly dir: string;
  private readonly url: string;
  /** Per file: invalid lines before this offset were already set aside (a retried batch meets them again). */
  private readonly doneUpTo = new Map<string, number>();

  constructor(dir: string, url: string) {
    this.dir = dir;
    this.url = url;
  }

  /** A batch (or single event) the endpoint refused as a whole. */
  async refused(f: StoreFile, lines: readonly BatchLine[], reason: Omit<QuarantineReason, 'file' | 'start' | 'end'>): Promise<void> {
    this.quarantined += lines.length;
    try {
      await quarantineLines(this.dir, scenarioOf(f), lines.map((l) => l.json), { ...reason, file: f.path, start: lines[0]!.start, end: lines[lines.length - 1]!.end });
    } catch (err) {
      diag.error(`otel-product-telemetry: could not write ${lines.length} refused event(s) to ${this.dir}/quarantine/: ${(err as Error).message}; they are skipped`);
    }
  }

  /** Lines that are not JSON objects: never sent. */
  async invalidLines(f: StoreFile, invalid: readonly InvalidLine[]): Promise<void> {
    const fresh = invalid.filter((l) => l.start >= (this.doneUpTo.get(f.key) ?? 0));
    if (fresh.length === 0) return;
    this.doneUpTo.set(f.key, fresh[fresh.length - 1]!.end);
    this.invalid += fresh.length;
    this.quarantined += fresh.length;
    diag.warn(`otel-product-telemetry: ${fresh.length} invalid line(s) in ${f.path} (first at byte ${fresh[0]!.start}: ${fresh[0]!.reason}); moved to ${this.dir}/quarantine/, not sent`);
    try {
      const error = fresh.map((l) => `byte ${l.start}: ${l.reason}`).join('\n').slice(0, 65_536);
      await quarantineLines(this.dir, scenarioOf(f), fresh.map((l) => l.raw), { source: 'local', error, file: f.path, start: fresh[0]!.start, end: fresh[fresh.length - 1]!.end });
    } catch (err) {
      diag.error(`otel-product-telemetry: could not quarantine invalid lines of ${f.path}: ${(err as Error).message}; they are skipped`);
    }
  }

  /**
   * Events a checked 2xx answer lists under `errors` (answer.ts: distinct positions within the batch) were refused
   * one by one: keep them with the endpoint's reason. Returns how many were set aside (at most `lines.length`).
   */
  async rejectedInAnswer(f: StoreFile, lines: readonly BatchLine[], refused: readonly RefusedEvent[], status: number): Promise<number> {
    const rejected: BatchLine[] = [];
    const reasons: string[] = [];
    const seen = new Set<number>();
    for (const r of refused) {
      const line = lines[r.at];
      if (line === undefined || seen.has(r.at)) continue;
      seen.add(r.at);
      rejected.push(line);
      reasons.push(`event ${r.at} (byte ${line.start}): ${r.reason}`);
    }
    if (rejected.length === 0) return 0;
    diag.warn(`otel-product-telemetry: ${redactUrl(this.url)} refused ${rejected.length} of ${lines.length} event(s) (${short(reasons[0])}); moved them to ${this.dir}/quarantine/`);
    await this.refused(f, rejected, { source: 'server', status, error: reasons.join('\n').slice(0, 65_536) });
    return rejected.length;
  }

  /** A torn last line (no newline, file quiet): keep its first 4 KiB and step over it. Returns the new offset. */
  async tornTail(fh: FileHandle, f: StoreFile, start: number): Promise<number> {
    const end = f.size;
    diag.warn(`otel-product-telemetry: ${f.path} ends in an unterminated line (bytes ${start}-${end}, a write cut short by a crash); set aside, not sent`);
    await this.keepHead(fh, f, start, end, `unterminated line of ${end - start} bytes at the end of the file (torn write)`);
    return end;
  }

  /** A line longer than any request: keep its first 4 KiB and step over it. Undefined = it is not complete yet. */
  async oversize(fh: FileHandle, f: StoreFile, start: number, limit: number): Promise<number | undefined> {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    const size = (await fh.stat()).size;
    for (let pos = start; pos < size; ) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
      if (bytesRead === 0) break;
      const nl = chunk.subarray(0, bytesRead).indexOf(0x0a);
      if (nl >= 0) {
        const end = pos + nl + 1;
        diag.warn(`otel-product-telemetry: line at byte ${start} of ${f.path} is ${end - start} bytes, over the ${limit}-byte request limit; set aside, not sent`);
        await this.keepHead(fh, f, start, end, `line of ${end - start} bytes exceeds the request limit of ${limit} bytes; only its first 4096 bytes are kept here`);
        return end;
      }
      pos += bytesRead;
    }
    return undefined;
  }

  /** Keep the quarantine within `maxBytes` (oldest entries first); returns how many entries were removed. */
  async trim(maxBytes: number): Promise<number> {
    const evicted = await trimQuarantine(this.dir, maxBytes);
    if (evicted > 0) {
      diag.warn(`otel-product-telemetry: quarantine in ${this.dir} exceeded a quarter of TELEMETRY_STORE_MAX_BYTES; removed its ${evicted} oldest entr${evicted === 1 ? 'y' : 'ies'}`);
    }
    return evicted;
  }

  private async keepHead(fh: FileHandle, f: StoreFile, start: number, end: number, error: string): Promise<void> {
    this.invalid++;
    this.quarantined++;
    try {
      const head = Buffer.alloc(Math.min(4096, end - start));
      await fh.read(head, 0, head.length, start);
      await quarantineLines(this.dir, scenarioOf(f), [head], { source: 'local', error, file: f.path, start, end });
    } catch {
      // the count and the diag message say it
    }
  }
}

function scenarioOf(f: StoreFile): string {
  return f.scenario ?? 'extra';
}
