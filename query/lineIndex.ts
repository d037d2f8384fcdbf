import { LineFields } from './jsonLine.js';
import { LINES_WASM } from './linesWasm.js';

/** What a line may need to contain to be worth looking at (a prefilter: every matching line contains it). */
export interface Needle {
  /** The bytes to find (at most MAX_NEEDLE_BYTES; longer needles are not prefiltered). */
  readonly bytes: Uint8Array;
  /** ASCII letters match either case. */
  readonly caseless: boolean;
}

export const MAX_NEEDLE_BYTES = 255;

/** What the index does besides finding lines. */
export interface IndexOptions {
  /** Only lines containing this are candidates (else every line is). */
  needle?: Needle;
  /** Validate candidate lines as JSON and locate event/level/ts/details (see LineCheck). */
  validate?: boolean;
  /** Also search the needle (exact bytes) in the event name and details of validated lines (see LineCheck). */
  searchFields?: boolean;
  /** The needle could occur in a number as JavaScript prints it: lines with numbers in details are left to JS. */
  numericNeedle?: boolean;
  /**
   * Direct output (with validate and searchFields): valid lines whose search the index decided are not reported;
   * those that match are gathered, each with a line break, for LineHandlers.block. Only for a search-only query.
   */
  direct?: boolean;
}

/** LineCheck.status */
export const CHECK_NONE = 0;
export const CHECK_VALID = 1;
export const CHECK_INVALID = 2;
export const CHECK_JS = 3;
/** LineCheck.search */
export const SEARCH_NONE = 0;
export const SEARCH_FOUND = 1;
export const SEARCH_NOT_FOUND = 2;
export const SEARCH_JS = 3;

/**
 * What the index found out about a candidate line. status: CHECK_VALID (valid JSON with a non-empty string event;
 * `fields` is filled), CHECK_INVALID (JavaScript words why), CHECK_JS or CHECK_NONE (JavaScript validates it).
 * search (with searchFields, for a valid line): found, not found, or SEARCH_JS (escapes or numbers in play).
 */
export class LineCheck {
  status = CHECK_NONE;
  search = SEARCH_NONE;
  readonly fields = new LineFields();
}

/** Reported line kinds (bit flags). */
export const LINE_CANDIDATE = 1;
export const LINE_IRREGULAR = 2;

// Layout of the instance's memory (see lines.wat).
const NEEDLE = 0;
const FOLD = 256;
const REPORT = 512 + 65_536; // after the validator's container stack
/** Lines reported per call (64 bytes each); the scan resumes after them. */
const REPORT_CAP = 1024;
const ENTRY = 16; // i32 per report entry
const OUTPUT = REPORT + REPORT_CAP * ENTRY * 4;
const OUTPUT_CAP = 65_536;
const DATA = OUTPUT + OUTPUT_CAP;
const SLACK = 16 + 256;
const PAGE = 65_536;

interface LinesExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  next: { readonly value: number };
  lines: { readonly value: number };
  why: { readonly value: number };
  obase: { value: number };
  ocap: { value: number };
  olen: { value: number };
  emitted: { value: number };
  scan(p: number, end: number, nlen: number, flags: number, out: number, cap: number): number;
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
  private readonly flags: number;

  constructor(capacity: number, options: IndexOptions = {}) {
    const { needle } = options;
    compiled ??= new Wasm.Module(Buffer.from(LINES_WASM, 'base64'));
    this.exports = new Wasm.Instance(compiled).exports as LinesExports;
    this.nlen = needle === undefined ? 0 : needle.bytes.length;
    const search = options.searchFields === true && needle !== undefined && !needle.caseless;
    const direct = search && options.validate === true && options.direct === true;
    this.flags = (needle === undefined ? 1 : 0) | (options.validate ? 2 : 0) | (search ? 4 : 0) | (search && options.numericNeedle ? 8 : 0) | (direct ? 16 : 0);
    this.exports.obase.value = OUTPUT;
    this.exports.ocap.value = OUTPUT_CAP;
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

  /** Make the buffer `capacity` bytes, keeping its contents (memory only grows). */
  resize(capacity: number): void {
    const memory = this.exports.memory;
    const need = DATA + capacity + SLACK;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    // Growing detaches the old views: make new ones.
    this.buf = Buffer.from(memory.buffer, DATA, capacity);
    this.report = new Int32Array(memory.buffer, REPORT, REPORT_CAP * ENTRY);
  }

  // Reported line k of the last scan: its index (from the scan's start), start and end (offsets in buf), kind.
  lineIndex(k: number): number {
    return this.report[k * ENTRY]!;
  }
  lineStart(k: number): number {
    return this.report[k * ENTRY + 1]! - DATA;
  }
  lineEnd(k: number): number {
    return this.report[k * ENTRY + 2]! - DATA;
  }
  lineKind(k: number): number {
    return this.report[k * ENTRY + 3]!;
  }

  /** Copy what the validator found about reported line k into `check`. */
  readCheck(k: number, check: LineCheck): void {
    const r = this.report;
    const o = k * ENTRY;
    check.status = r[o + 12]!;
    check.search = r[o + 13]!;
    if (check.status !== CHECK_VALID) return;
    const f = check.fields;
    f.eventStart = off(r[o + 4]!);
    f.eventEnd = off(r[o + 5]!);
    f.levelStart = off(r[o + 6]!);
    f.levelEnd = off(r[o + 7]!);
    f.tsStart = off(r[o + 8]!);
    f.tsEnd = off(r[o + 9]!);
    f.detailsStart = off(r[o + 10]!);
    f.detailsEnd = off(r[o + 11]!);
  }

  /**
   * Index the lines that start at `from` (a line start) and end before `end` (offsets in buf). Returns how many lines
   * were reported (lineIndex(k), lineStart(k), ...); `next` and `lines` tell where the scan stopped and how many
   * complete lines it passed. Call again from `next` while `stoppedEarly`.
   */
  scan(from: number, end: number): number {
    return this.exports.scan(DATA + from, DATA + end, this.nlen, this.flags, REPORT, REPORT_CAP);
  }

  /** Start of the first line not scanned, as an offset in buf. */
  get next(): number {
    return this.exports.next.value - DATA;
  }

  /** Complete lines passed by the last scan (reported or not). */
  get lines(): number {
    return this.exports.lines.value;
  }

  /** Whether the last scan stopped before the end of the text (report or output full, or a line for JavaScript). */
  get stoppedEarly(): boolean {
    return this.exports.why.value !== 0;
  }

  /** Bytes gathered by direct output since the last takeOutput(). */
  get outputLength(): number {
    return this.exports.olen.value;
  }

  /**
   * The lines gathered by direct output (a view of the index's memory, valid until the next scan) and how many
   * there are; the area is then empty again.
   */
  takeOutput(): { bytes: Buffer; lines: number } {
    const e = this.exports;
    const bytes = Buffer.from(e.memory.buffer, OUTPUT, e.olen.value);
    const lines = e.emitted.value;
    e.olen.value = 0;
    e.emitted.value = 0;
    return { bytes, lines };
  }

}

/** An address in the report as an offset in buf (-1 stays -1: absent). */
function off(address: number): number {
  return address === -1 ? -1 : address - DATA;
}
