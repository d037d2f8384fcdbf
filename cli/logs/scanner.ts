import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Finds where a line may match before it is decoded: a byte-level search over the whole chunk (Buffer#indexOf is
 * native memmem), so lines that cannot match cost one newline search and are never decoded or parsed. This is what
 * keeps `logs --search` within a small factor of grep.
 */
export interface Prefilter {
  /** Called once per processed chunk with the bytes held. */
  begin(view: Buffer): void;
  /** Offset of the next possible match at or after `from` in the view, or -1. */
  next(from: number): number;
}

/** Case-sensitive byte search for one needle. */
export function bytePrefilter(needle: string): Prefilter {
  const bytes = Buffer.from(needle, 'utf8');
  let view: Buffer = Buffer.alloc(0);
  return {
    begin: (v) => void (view = v),
    next: (from) => view.indexOf(bytes, from),
  };
}

/**
 * Case-insensitive search for an ASCII needle: a regex over the chunk decoded as latin1, so string offsets equal
 * byte offsets (UTF-8 multi-byte sequences never contain ASCII bytes, so no false match or miss on ASCII letters).
 */
export function caselessPrefilter(needle: string): Prefilter {
  const re = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  let text = '';
  return {
    begin: (v) => void (text = v.toString('latin1')),
    next: (from) => {
      re.lastIndex = from;
      const m = re.exec(text);
      return m === null ? -1 : m.index;
    },
  };
}

export interface LineHandlers {
  /**
   * A complete line that looks like a JSON object (starts with `{`, ends with `}`) and passed the prefilter.
   * `text` is the line without its line break. Return false to stop scanning.
   */
  line(text: string, lineNo: number): boolean | void;
  /** A line that is not an object, torn, or too long; it is skipped. */
  invalid(lineNo: number, reason: string): void;
}

const NL = 0x0a;
const CR = 0x0d;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/**
 * Splits a byte stream into lines in a fixed-size buffer (it grows only for a line longer than the buffer, up to
 * `maxLineBytes`; longer lines are reported and skipped), so memory stays constant whatever the file size.
 * Blank lines are ignored; line numbers count every physical line, blank ones included, from 1.
 */
export class LineScanner {
  lineNo = 0;
  stopped = false;
  private buf: Buffer;
  private len = 0;
  private skipping = false;
  private readonly handlers: LineHandlers;
  private readonly prefilter: Prefilter | undefined;
  private readonly maxLineBytes: number;

  constructor(handlers: LineHandlers, options: { prefilter?: Prefilter; chunkBytes?: number; maxLineBytes?: number } = {}) {
    this.handlers = handlers;
    this.prefilter = options.prefilter;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
    this.buf = Buffer.allocUnsafe(Math.min(options.chunkBytes ?? 1024 * 1024, this.maxLineBytes));
  }

  /** Bytes of an unfinished last line held back (for follow: it may still be being written). */
  get pending(): number {
    return this.len;
  }

  /** Forget any partial line and restart numbering (a rotated or truncated file starts over). */
  reset(): void {
    this.len = 0;
    this.lineNo = 0;
    this.skipping = false;
    this.stopped = false;
  }

  /**
   * Read `fh` from `position` to its current end, handling every complete line. Returns the new position.
   * `afterChunk` runs between reads (output back-pressure); the scan stops early when a handler returns false.
   */
  async readFrom(fh: FileHandle, position: number, afterChunk?: () => Promise<void> | void): Promise<number> {
    let pos = position;
    let sinceYield = 0;
    while (!this.stopped) {
      this.makeRoom();
      // Synchronous reads: the file is read ahead by the kernel, and a thread-pool round trip per chunk cost more
      // than the read itself. The loop still yields every few chunks so signals and timers are served.
      const bytesRead = readSync(fh.fd, this.buf, this.len, this.buf.length - this.len, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      this.len += bytesRead;
      this.process();
      const wait = afterChunk?.();
      if (wait) await wait;
      sinceYield += bytesRead;
      if (sinceYield >= 16 * 1024 * 1024) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return pos;
  }

  /** Handle bytes from a stream (an HTTP response). */
  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      this.makeRoom();
      const n = chunk.copy(this.buf, this.len, off);
      off += n;
      this.len += n;
      this.process();
    }
  }

  /**
   * End of input: a last line without a line break is handled like any other line (a writer that died mid-line
   * leaves one that is not a complete object, and it is reported as torn).
   */
  end(): void {
    if (this.stopped || this.len === 0) {
      this.len = 0;
      return;
    }
    if (this.skipping) {
      this.skipping = false;
      this.len = 0;
      return;
    }
    this.lineNo++;
    const view = this.buf.subarray(0, this.len);
    this.len = 0;
    this.handleLine(view, 0, view.length, true);
  }

  private makeRoom(): void {
    if (this.len < this.buf.length) return;
    // The buffer holds one unfinished line: grow for it, or give up on it past the limit.
    if (this.buf.length < this.maxLineBytes) {
      const bigger = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.maxLineBytes));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
      return;
    }
    if (!this.skipping) this.handlers.invalid(this.lineNo + 1, `line longer than ${this.maxLineBytes} bytes skipped`);
    this.skipping = true;
    this.len = 0;
  }

  private process(): void {
    const view = this.buf.subarray(0, this.len);
    const pf = this.prefilter;
    let pos = 0;
    let match = -1;
    if (pf) {
      pf.begin(view);
      match = pf.next(0);
    }
    let lineNo = this.lineNo;
    while (!this.stopped) {
      const nl = view.indexOf(NL, pos);
      if (nl === -1) break;
      lineNo++;
      if (this.skipping) {
        this.skipping = false;
      } else {
        let candidate = true;
        if (pf !== undefined) {
          if (match !== -1 && match < pos) match = pf.next(pos);
          candidate = match !== -1 && match < nl;
        }
        if (view[pos] === OPEN && view[nl - 1] === CLOSE) {
          // The common case, kept tight: a well-formed line, decoded only when it may match.
          if (candidate && this.handlers.line(view.toString('utf8', pos, nl), lineNo) === false) this.stopped = true;
        } else {
          // Lines without a possible match are still checked for shape, so torn lines are reported either way.
          this.lineNo = lineNo;
          this.handleLine(view, pos, nl, false, candidate);
        }
      }
      pos = nl + 1;
    }
    this.lineNo = lineNo;
    if (pos > 0) {
      view.copy(this.buf, 0, pos, this.len);
      this.len -= pos;
    }
  }

  private handleLine(view: Buffer, start: number, end: number, atEof: boolean, candidate = true): void {
    let s = start;
    let e = end;
    while (e > s && (view[e - 1] === CR || view[e - 1] === 0x20 || view[e - 1] === 0x09)) e--;
    while (s < e && (view[s] === 0x20 || view[s] === 0x09)) s++;
    if (s === e) return;
    if (view[s] !== OPEN || view[e - 1] !== CLOSE) {
      this.handlers.invalid(this.lineNo, view[s] === OPEN ? (atEof ? 'torn line (incomplete, no line break at end of file)' : 'torn line (incomplete JSON object)') : 'not a JSON object');
      return;
    }
    if (!candidate) return;
    if (this.handlers.line(view.toString('utf8', s, e), this.lineNo) === false) this.stopped = true;
  }
}
