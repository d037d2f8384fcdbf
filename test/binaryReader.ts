/**
 * A reader of ClickHouse's binary values for the encoder tests (exporters/clickhouse: native.test.ts,
 * rowBinary.test.ts), written from the formats' description, not from the encoders: LEB128 lengths, UTF-8 strings,
 * little-endian integers.
 */
export class BinaryReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  get left(): number {
    return this.buf.length - this.pos;
  }

  varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  }

  string(): string {
    const n = this.varint();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  uint64(): number {
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  uint8(): number {
    return this.buf[this.pos++]!;
  }
}
