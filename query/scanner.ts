import { readSync } from 'node:fs';
import { CHECK_NONE, LINE_CANDIDATE, LINE_IRREGULAR, LineCheck, LineIndex, MAX_NEEDLE_BYTES, type IndexOptions, type Needle } from './lineIndex.js';

export type { IndexOptions, Needle } from './lineIndex.js';

/** A needle for the scanner: exact bytes, or ASCII letters in either case. Undefined when it cannot prefilter. */
export function needleOf(text: string, caseless: boolean): Needle | undefined {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_NEEDLE_BYTES) return undefined;
  return { bytes, caseless };
}

export interface LineHandlers {
  /**
   * A complete line that looks like a JSON object (starts with `{`, ends with `}`) and passed the prefilter: bytes
   * [start, end) of `buf`, without the line break, valid only during the call. Return false to stop scanning.
   */
  line(buf: Buffer, start: number, end: number, lineNo: number, check: LineCheck): boolean | void;
  /** A line that is not an object, torn, or too long; it is skipped. */
  invalid(lineNo: number, reason: string): void;
  /**
   * With direct output: bytes [start, end) of `buf` are `lines` matching lines, each with its line break, in file
   * order with the lines handed to `line` (valid only during the call). Return false to stop scanning.
   */
  block?(buf: Buffer, start: number, end: number, lines: number): boolean | void;
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
  private len = 0;
  private skipping = false;
  private readonly handlers: LineHandlers;
  private readonly index: LineIndex;
  private readonly maxLineBytes: number;
  private readonly needle: Needle | undefined;
  private readonly check = new LineCheck();
  /** For lines the index did not check (irregular ones, the last line without a break). */
  private readonly unchecked = new LineCheck();

  /**
   * `needle`: only lines containing it are handed to `line` (a prefilter; the handler still decides). Without one,
   * every line is. With `validate` (and `searchFields`), `check` tells the handler what the index found out.
   */
  constructor(handlers: LineHandlers, options: IndexOptions & { chunkBytes?: number; maxLineBytes?: number } = {}) {
    this.handlers = handlers;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
    this.needle = options.needle;
    // 512 KiB reads: on a 209 MB file, fewer read calls (each has a fixed cost in Node) beat smaller buffers that
    // stay in cache; 128 KiB took ~15 ms longer, 1 MiB was no better (bench/logs.mjs).
    this.index = new LineIndex(Math.min(options.chunkBytes ?? 512 * 1024, this.maxLineBytes), options);
  }

  /** The read buffer (a view of the index's memory; replaced when it grows). */
  private get buf(): Buffer {
    return this.index.buf;
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
   * Read the file `fd` from `position` to its current end, handling every complete line. Returns the new position.
   * `afterChunk` runs between reads (output back-pressure); the scan stops early when a handler returns false.
   */
  async readFrom(fd: number, position: number, afterChunk?: () => Promise<void> | void): Promise<number> {
    let pos = position;
    let sinceYield = 0;
    while (!this.stopped) {
      this.makeRoom();
      // Synchronous reads: the file is read ahead by the kernel, and a thread-pool round trip per chunk cost more
      // than the read itself. The loop still yields every few chunks so signals and timers are served.
      const bytesRead = readSync(fd, this.buf, this.len, this.buf.length - this.len, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      this.len += bytesRead;
      this.process();
      // (No `?.` in this loop: the CommonJS build rewrites it into a helper call with closures.)
      const wait = afterChunk === undefined ? undefined : afterChunk();
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
    this.handleLine(view, 0, view.length, true, this.needle === undefined || contains(view, this.needle));
  }

  private makeRoom(): void {
    if (this.len < this.buf.length) return;
    // The buffer holds one unfinished line: grow for it, or give up on it past the limit.
    if (this.buf.length < this.maxLineBytes) {
      this.index.resize(Math.min(this.buf.length * 2, this.maxLineBytes));
      return;
    }
    if (!this.skipping) this.handlers.invalid(this.lineNo + 1, `line longer than ${this.maxLineBytes} bytes skipped`);
    this.skipping = true;
    this.len = 0;
  }

  private process(): void {
    const view = this.buf.subarray(0, this.len);
    let pos = 0;
    let lineNo = this.lineNo;
    if (this.skipping) {
      // The rest of a line too long to keep: it ends at the first line break.
      const nl = view.indexOf(NL);
      if (nl === -1) {
        this.len = 0;
        return;
      }
      lineNo++;
      this.skipping = false;
      pos = nl + 1;
    }
    // The index reports only candidate lines and lines that are not `{...}`; the rest are passed over in bulk.
    const index = this.index;
    const check = this.check;
    for (;;) {
      const count = index.scan(pos, this.len);
      // Lines gathered by direct output come before the lines reported by this call.
      if (index.outputLength > 0) {
        const { bytes, lines } = index.takeOutput();
        const block = this.handlers.block;
        if (block !== undefined && block(bytes, 0, bytes.length, lines) === false) this.stopped = true;
      }
      for (let k = 0; k < count && !this.stopped; k++) {
        const no = lineNo + index.lineIndex(k) + 1;
        const start = index.lineStart(k);
        const end = index.lineEnd(k);
        const kind = index.lineKind(k);
        if ((kind & LINE_IRREGULAR) === 0) {
          index.readCheck(k, check);
          if (this.handlers.line(view, start, end, no, check) === false) this.stopped = true;
        } else {
          // Blank, CRLF, padded, torn or not an object: looked at closely (and reported) whether or not it may match.
          this.lineNo = no;
          this.handleLine(view, start, end, false, (kind & LINE_CANDIDATE) !== 0);
        }
      }
      lineNo += index.lines;
      pos = index.next;
      if (this.stopped || !index.stoppedEarly) break;
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
    this.unchecked.status = CHECK_NONE;
    if (this.handlers.line(view, s, e, this.lineNo, this.unchecked) === false) this.stopped = true;
  }
}

/** Whether `view` contains the needle (ASCII letters folded when caseless): for the one line the index never sees. */
function contains(view: Buffer, needle: Needle): boolean {
  const n = needle.bytes.length;
  outer: for (let i = 0; i + n <= view.length; i++) {
    for (let k = 0; k < n; k++) {
      let c = view[i + k]!;
      let d = needle.bytes[k]!;
      if (needle.caseless) {
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        if (d >= 0x41 && d <= 0x5a) d |= 0x20;
      }
      if (c !== d) continue outer;
    }
    return true;
  }
  return false;
}
