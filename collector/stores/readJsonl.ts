import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { TelemetryLine } from '../../core/record.js';
import { parseStoredLine as checkLine } from '../../core/storedLine.js';

export interface JsonlReadOptions {
  /** Told about each line that is not an event (torn, invalid: core/storedLine.ts); 1-based line number. */
  onInvalid?: (lineNumber: number, text: string) => void;
  /** Longest line kept; a longer one is skipped as invalid without being held in memory. Default 16 MiB. */
  maxLineBytes?: number;
  /** Read chunk size. Default 1 MiB. */
  chunkBytes?: number;
  /** Read only the first this many bytes (a size taken earlier: lines appended since are not read). Default: all. */
  maxBytes?: number;
}

/** Return false to stop reading. */
export type JsonlLineHandler = (line: TelemetryLine, lineNumber: number) => void | boolean;

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Parse one stored line; undefined when it is not a telemetry line (the rule: core/storedLine.ts). */
export function parseStoredLine(text: string): TelemetryLine | undefined {
  const parsed = checkLine(text);
  return typeof parsed === 'string' ? undefined : parsed;
}

export interface StoredLine {
  line: TelemetryLine;
  /** 1-based. */
  lineNumber: number;
}

/**
 * Stream a JSONL file in constant memory (one chunk plus at most one partial line), as batches of parsed lines, one
 * batch per chunk read: the next chunk is read only when the consumer asks, so a slow consumer holds the reader.
 * Torn or invalid lines are reported and skipped, never thrown; a final line without '\n' counts when it parses (the
 * writer terminates such a tail before its next append). Symlinks are not followed.
 */
export async function* readJsonlBatches(path: string, options: JsonlReadOptions = {}): AsyncGenerator<StoredLine[]> {
  const maxLine = options.maxLineBytes ?? 16 * 1024 * 1024;
  const fh = await open(path, constants.O_RDONLY | NOFOLLOW);
  const buf = Buffer.allocUnsafe(options.chunkBytes ?? 1024 * 1024);
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let oversized = false;
  let lineNo = 0;
  let batch: StoredLine[] = [];

  const handle = (text: string): void => {
    lineNo++;
    if (text.length === 0 || text === '\r') return;
    const parsed = parseStoredLine(text);
    if (parsed === undefined) {
      options.onInvalid?.(lineNo, text.length > 200 ? text.slice(0, 200) + '…' : text);
      return;
    }
    batch.push({ line: parsed, lineNumber: lineNo });
  };
  const skipOversized = (): void => {
    lineNo++;
    options.onInvalid?.(lineNo, `(line longer than ${maxLine} bytes skipped)`);
  };

  let left = options.maxBytes ?? Number.POSITIVE_INFINITY;
  try {
    for (;;) {
      if (left <= 0) break;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
      if (bytesRead === 0) break;
      left -= bytesRead;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl === -1 || nl >= bytesRead) break;
        if (oversized) {
          oversized = false;
          skipOversized();
        } else if (carryBytes > 0) {
          carry.push(buf.subarray(start, nl));
          const text = Buffer.concat(carry).toString('utf8');
          carry = [];
          carryBytes = 0;
          handle(text);
        } else {
          handle(buf.toString('utf8', start, nl));
        }
        start = nl + 1;
      }
      if (start < bytesRead && !oversized) {
        carryBytes += bytesRead - start;
        if (carryBytes > maxLine) {
          oversized = true;
          carry = [];
          carryBytes = 0;
        } else {
          // Copied: `buf` is reused for the next read.
          carry.push(Buffer.from(buf.subarray(start, bytesRead)));
        }
      }
      if (batch.length > 0) {
        const out = batch;
        batch = [];
        yield out;
      }
    }
    if (oversized) skipOversized();
    else if (carryBytes > 0) handle(Buffer.concat(carry).toString('utf8'));
    if (batch.length > 0) yield batch;
  } finally {
    await fh.close();
  }
}

/** Call `onLine` for every stored line of a file, in order (return false to stop). Resolves with the count read. */
export async function forEachJsonlLine(path: string, onLine: JsonlLineHandler, options: JsonlReadOptions = {}): Promise<number> {
  let n = 0;
  for await (const batch of readJsonlBatches(path, options)) {
    for (const { line, lineNumber } of batch) {
      n++;
      if (onLine(line, lineNumber) === false) return n;
    }
  }
  return n;
}

/** The lines of a file as an async iterable (the CLI's `logs`, the store's `query`). */
export async function* readJsonl(path: string, options: JsonlReadOptions = {}): AsyncGenerator<StoredLine> {
  for await (const batch of readJsonlBatches(path, { ...options, chunkBytes: options.chunkBytes ?? 256 * 1024 })) yield* batch;
}
