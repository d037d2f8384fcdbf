/**
 * The quarantine, `{dir}/quarantine/`: what the uploader moves aside instead of sending (refused batches, events a 2xx
 * answer lists as errors, invalid lines, torn tails, lines over the request limit), the files it writes there and the
 * bound on their size.
 */
import { mkdir, readdir, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { diag } from '../../core/diag.js';
import type { RefusedEvent } from './answer.js';
import type { BatchLine, InvalidLine } from './batchReader.js';
import type { StoreFile } from './storeFiles.js';
import { redactUrl } from './transport.js';

export const QUARANTINE_DIR = 'quarantine';

/** Why a batch was set aside: what the endpoint said (or the local check that failed), kept beside the lines. */
export interface QuarantineReason {
  /** `server` (a 4xx answer or an event error in a 2xx answer) or `local` (invalid line, line over the size limit). */
  source: 'server' | 'local';
  /** HTTP status, when the endpoint answered. */
  status?: number;
  /** The endpoint's answer (first 64 KiB) or the local reason. */
  error: string;
  /** Store file and byte range the lines came from. */
  file: string;
  start: number;
  end: number;
}

let seq = 0;

function stamp(now: Date): string {
  // 2025-01-15T12:00:00.123Z → 20250115T120000123Z: sortable and a safe file name
  return now.toISOString().replace(/[-:.]/g, '');
}

/**
 * Move lines aside: `{dir}/quarantine/{scenario}-{time}.jsonl` with the lines as they were stored, and
 * `{scenario}-{time}.error.json` beside it with the reason. Written before the cursor moves past the lines, so a
 * crash in between quarantines them again rather than losing them. Returns the path of the lines file.
 */
async function quarantineLines(dir: string, scenario: string, lines: readonly Buffer[], reason: QuarantineReason): Promise<string> {
  const qdir = join(dir, QUARANTINE_DIR);
  await mkdir(qdir, { recursive: true, mode: 0o700 });
  const base = `${scenario}-${stamp(new Date())}-${process.pid}-${(seq++).toString(36)}`;
  const file = join(qdir, `${base}.jsonl`);
  const parts: Buffer[] = [];
  for (const l of lines) parts.push(l, Buffer.from('\n'));
  await writeFile(file, Buffer.concat(parts), { mode: 0o600, flag: 'wx' });
  await writeFile(join(qdir, `${base}.error.json`), JSON.stringify({ ...reason, lines: lines.length, quarantined_at: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * Keep the quarantine within `maxBytes`: remove its oldest entries (lines + error file) first. Returns how many
 * entries were removed. Quarantined events were refused by the endpoint; this bounds the disk they can take.
 */
async function trimQuarantine(dir: string, maxBytes: number): Promise<number> {
  const qdir = join(dir, QUARANTINE_DIR);
  let names: string[];
  try {
    names = await readdir(qdir);
  } catch {
    return 0;
  }
  const entries: { base: string; bytes: number; mtime: number }[] = [];
  let total = 0;
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const base = name.slice(0, -'.jsonl'.length);
    let bytes = 0;
    let mtime = 0;
    for (const f of [`${base}.jsonl`, `${base}.error.json`]) {
      try {
        const st = await stat(join(qdir, f));
        bytes += st.size;
        mtime = Math.max(mtime, st.mtimeMs);
      } catch {
        // missing error file: count what is there
      }
    }
    entries.push({ base, bytes, mtime });
    total += bytes;
  }
  if (total <= maxBytes) return 0;
  entries.sort((a, b) => a.mtime - b.mtime || a.base.localeCompare(b.base));
  let removed = 0;
  for (const e of entries) {
    if (total <= maxBytes) break;
    await unlink(join(qdir, `${e.base}.jsonl`)).catch(() => undefined);
    await unlink(join(qdir, `${e.base}.error.json`)).catch(() => undefined);
    total -= e.bytes;
    removed++;
  }
  return removed;
}

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
      diag.error(`could not write ${lines.length} refused event(s) to ${this.dir}/quarantine/: ${(err as Error).message}; they are skipped`);
    }
  }

  /** Lines that are not JSON objects: never sent. */
  async invalidLines(f: StoreFile, invalid: readonly InvalidLine[]): Promise<void> {
    const fresh = invalid.filter((l) => l.start >= (this.doneUpTo.get(f.key) ?? 0));
    if (fresh.length === 0) return;
    this.doneUpTo.set(f.key, fresh[fresh.length - 1]!.end);
    this.invalid += fresh.length;
    this.quarantined += fresh.length;
    diag.warn(`${fresh.length} invalid line(s) in ${f.path} (first at byte ${fresh[0]!.start}: ${fresh[0]!.reason}); moved to ${this.dir}/quarantine/, not sent`);
    try {
      const error = fresh.map((l) => `byte ${l.start}: ${l.reason}`).join('\n').slice(0, 65_536);
      await quarantineLines(this.dir, scenarioOf(f), fresh.map((l) => l.raw), { source: 'local', error, file: f.path, start: fresh[0]!.start, end: fresh[fresh.length - 1]!.end });
    } catch (err) {
      diag.error(`could not quarantine invalid lines of ${f.path}: ${(err as Error).message}; they are skipped`);
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
    diag.warn(`${redactUrl(this.url)} refused ${rejected.length} of ${lines.length} event(s) (${short(reasons[0])}); moved them to ${this.dir}/quarantine/`);
    await this.refused(f, rejected, { source: 'server', status, error: reasons.join('\n').slice(0, 65_536) });
    return rejected.length;
  }

  /** A torn last line (no newline, file quiet): keep its first 4 KiB and step over it. Returns the new offset. */
  async tornTail(fh: FileHandle, f: StoreFile, start: number): Promise<number> {
    const end = f.size;
    diag.warn(`${f.path} ends in an unterminated line (bytes ${start}-${end}, a write cut short by a crash); set aside, not sent`);
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
        diag.warn(`line at byte ${start} of ${f.path} is ${end - start} bytes, over the ${limit}-byte request limit; set aside, not sent`);
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
      diag.warn(`quarantine in ${this.dir} exceeded a quarter of TELEMETRY_STORE_MAX_BYTES; removed its ${evicted} oldest entr${evicted === 1 ? 'y' : 'ies'}`);
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
