/**
 * A growing byte buffer that ClickHouse's binary formats are written into (RowBinary, rowBinary.ts; Native,
 * native.ts): strings as a LEB128 byte length and their UTF-8 bytes, integers little-endian.
 *
 * A short string (names, levels, scenarios) is copied char by char while it is ASCII, which checks and writes it in one
 * pass; a longer one (ids, details), or one with any other char, goes through Buffer's UTF-8 writer. Building a body
 * as one long JS string instead (pieces joined with `+`, then one `latin1` conversion) made a rope of ~15 pieces per
 * row that the conversion had to flatten, and garbage for every piece: in the collector's profile at 1000-row appends,
 * that conversion took 1.4 µs per event and the garbage collector 1.3 (profiled time), and writing into the Buffer
 * cut the collector's CPU per event from 10.7 to 8.9 µs (300k events, alternating rounds; the README's "Ingest,
 * fourth change").
 */

/**
 * Buffer's own UTF-8 writer (what `buf.write(s, offset, 'utf8')` calls after checking its arguments, which cost more
 * than the writing here): present on every Node.js Buffer, not in its type declarations.
 */
type NodeBuffer = Buffer & { utf8Write(s: string, offset: number): number };

/** Strings up to this length are copied char by char (measured: ~5 ns a char against ~120 ns a call to Buffer's encoder). */
const SHORT = 16;

/** The bytes of `n` as LEB128. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

export class ByteSink {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(256, size));
  }

  /** Room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  varint(n: number): void {
    this.room(10);
    const buf = this.buf;
    let p = this.pos;
    while (n >= 0x80) {
      buf[p++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[p++] = n;
    this.pos = p;
  }

  /** A UInt64 column from a safe integer (below 2^53), little-endian. */
  uint64(n: number): void {
    this.room(8);
    const buf = this.buf;
    const p = this.pos;
    const lo = n % 0x1_0000_0000;
    const hi = Math.floor(n / 0x1_0000_0000);
    buf[p] = lo & 0xff;
    buf[p + 1] = (lo >>> 8) & 0xff;
    buf[p + 2] = (lo >>> 16) & 0xff;
    buf[p + 3] = lo >>> 24;
    buf[p + 4] = hi & 0xff;
    buf[p + 5] = (hi >>> 8) & 0xff;
    buf[p + 6] = (hi >>> 16) & 0xff;
    buf[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  /** A String column: its UTF-8 byte length, then the bytes. */
  string(s: string): void {
    const n = s.length;
    // At most 3 UTF-8 bytes per UTF-16 unit, and a length of at most 5 bytes (strings are < 2^32 units).
    this.room(n * 3 + 5);
    const buf = this.buf;
    const p = this.pos;
    if (n <= SHORT) {
      // Short strings (names, levels, scenarios) char by char: cheaper than a call into Buffer's encoder.
      let q = p + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          this.encoded(s);
          return;
        }
        buf[q++] = c;
      }
      buf[p] = n;
      this.pos = q;
    } else this.encoded(s);
  }

  /**
   * `string` by Buffer's UTF-8 encoder, written after room for the length its ASCII text would have (one byte a
   * unit); when the text took more bytes and so a longer length, its bytes move on to make room for it. A lone
   * surrogate becomes U+FFFD, as in every UTF-8 encoding here.
   */
  private encoded(s: string): void {
    const buf = this.buf as NodeBuffer;
    const p = this.pos;
    const n = s.length;
    const room = varintSize(n);
    const written = buf.utf8Write(s, p + room);
    if (written !== n) {
      const size = varintSize(written);
      if (size !== room) buf.copyWithin(p + size, p + room, p + room + written);
    }
    this.varint(written);
    this.pos += written;
  }

  /** `n` bytes of the value `b` (a UInt8 column of one value). */
  fill(b: number, n: number): void {
    this.room(n);
    this.buf.fill(b, this.pos, this.pos + n);
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The bytes written (a view of the buffer: the sink is not used after this). */
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
