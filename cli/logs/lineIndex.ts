import { LINES_WASM } from './linesWasm.js';

/** What a line may need to contain to be worth looking at (a prefilter: every matching line contains it). */
export interface Needle {
  /** The bytes to find (at most MAX_NEEDLE_BYTES; longer needles are not prefiltered). */
  readonly bytes: Uint8Array;
  /** ASCII letters match either case. */
  readonly caseless: boolean;
}

export const MAX_NEEDLE_BYTES = 255;

/** Reported line kinds (bit flags). */
export const LINE_CANDIDATE = 1;
export const LINE_IRREGULAR = 2;

// Layout of the instance's memory (see lines.wat).
const NEEDLE = 0;
const FOLD = 256;
const REPORT = 512;
/** Lines reported per call; the scan resumes after them. */
const REPORT_CAP = 4096;
const DATA = REPORT + REPORT_CAP * 16;
const SLACK = 16 + 256;
const PAGE = 65_536;

interface LinesExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  next: { readonly value: number };
  lines: { readonly value: number };
  scan(p: number, end: number, nlen: number, all: number, out: number, cap: number): number;
}

// The WebAssembly global, typed here: the project's TypeScript libs (no DOM) do not declare it.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

/**
 * The text buffer of a line scanner, in WebAssembly memory, with the SIMD line indexer of lines.wat over it: finds
 * line breaks and needle hits 16 bytes at a time and reports only the lines that need JavaScript (candidates, and
 * lines that are not `{...}`). One instance per scanner; the module is compiled once per process.
 */
export class LineIndex {
  /** The text: bytes [0, capacity) of this view are the buffer (recreated when memory grows). */
  buf!: Buffer;
  private readonly exports: LinesExports;
  private report!: Int32Array;
  private readonly nlen: number;
  private readonly all: number;

  /** Lines reported by the last scan(): 4 numbers each (index from the scan's start, start, end, kind). */
  get entries(): Int32Array {
    return this.report;
  }

  constructor(capacity: number, needle: Needle | undefined) {
    compiled ??= new Wasm.Module(Buffer.from(LINES_WASM, 'base64'));
    this.exports = new Wasm.Instance(compiled).exports as LinesExports;
    this.nlen = needle === undefined ? 0 : needle.bytes.length;
    this.all = needle === undefined ? 1 : 0;
    this.resize(capacity);
    if (needle !== undefined) {
      if (needle.bytes.length === 0 || needle.bytes.length > MAX_NEEDLE_BYTES) throw new RangeError('needle must be 1-255 bytes');
      const mem = new Uint8Array(this.exports.memory.buffer);
      for (let k = 0; k < needle.bytes.length; k++) {
        let c = needle.bytes[k]!;
        const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
        if (needle.caseless && letter) c |= 0x20;
        mem[NEEDLE + k] = c;
        mem[FOLD + k] = needle.caseless && letter ? 0x20 : 0;
      }
    }
  }

  get capacity(): number {
    return this.buf.length;
  }

  /** Make the buffer `capacity` bytes, keeping its contents (memory only grows). */
  resize(capacity: number): void {
    const memory = this.exports.memory;
    const need = DATA + capacity + SLACK;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    // Growing detaches the old views: make new ones.
    this.buf = Buffer.from(memory.buffer, DATA, capacity);
    this.report = new Int32Array(memory.buffer, REPORT, REPORT_CAP * 4);
  }

  /**
   * Index the lines that start at `from` (a line start) and end before `end` (offsets in buf). Returns how many lines
   * were reported in `entries`; `next` and `lines` tell where the scan stopped and how many complete lines it passed.
   * Call again from `next` while the count equals the report capacity.
   */
  scan(from: number, end: number): number {
    return this.exports.scan(DATA + from, DATA + end, this.nlen, this.all, REPORT, REPORT_CAP);
  }

  /** Start of the first line not scanned, as an offset in buf. */
  get next(): number {
    return this.exports.next.value - DATA;
  }

  /** Complete lines passed by the last scan (reported or not). */
  get lines(): number {
    return this.exports.lines.value;
  }

  /** Whether the last scan stopped early because the report was full. */
  full(count: number): boolean {
    return count === REPORT_CAP;
  }

  /** Start/end in entries are absolute addresses: this turns them into buf offsets. */
  static readonly base = DATA;
}
