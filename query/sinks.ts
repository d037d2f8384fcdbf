import type { Output } from './output.js';

/**
 * Where matching lines go: bytes [start, end) of `buf` are the stored line as read, without its line break (valid
 * only during the call). json and jsonl write those bytes unchanged; the CLI's table parses them (cli/logFormat.ts).
 */
export interface EntrySink {
  write(buf: Buffer, start: number, end: number): void;
  /** Optional: several matching lines at once, each already followed by its line break (jsonl only). */
  writeBlock?(buf: Buffer, start: number, end: number): void;
  /** Push out rows held for layout (follow mode calls it after each read). */
  flush(): void;
  end(): void;
}

/** One stored line per output line, byte for byte. */
export function jsonlSink(out: Output): EntrySink {
  return {
    write(buf, start, end) {
      out.writeBytes(buf, start, end);
      out.writeByte(0x0a);
    },
    writeBlock: (buf, start, end) => out.writeBytes(buf, start, end),
    flush: () => out.flush(),
    end: () => out.flush(),
  };
}

/** A JSON array streamed element by element (never held in memory as a whole). */
export function jsonSink(out: Output): EntrySink {
  let first = true;
  return {
    write(buf, start, end) {
      out.write(first ? '[\n' : ',\n');
      out.writeBytes(buf, start, end);
      first = false;
    },
    flush: () => out.flush(),
    end() {
      out.write(first ? '[]\n' : '\n]\n');
      first = true;
      out.flush();
    },
  };
}
