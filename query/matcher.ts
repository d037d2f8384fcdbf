import type { EntrySink } from './sinks.js';
import { LineFields, scanJsonLine } from './jsonLine.js';
import { CHECK_VALID } from './lineIndex.js';
import { compileQuery, type LogQuery } from './query.js';
import { Ring } from './ring.js';
import { LineScanner } from './scanner.js';

export interface MatchOptions {
  query: LogQuery;
  limit?: number;
  tail?: number;
  warn: (message: string) => void;
}

export interface MatchResult {
  matched: number;
  skipped: number;
}

/**
 * A line scanner wired to the filters and a sink: validates candidate lines (without parsing them), reports invalid
 * ones (`label:line: why`),
 * keeps the last `tail` matches in a ring or stops after `limit`. Shared by the file reader, the collector's events
 * route and `logs --url`.
 */
export class Matcher {
  readonly scanner: LineScanner;
  readonly result: MatchResult = { matched: 0, skipped: 0 };
  private ring: Ring<Buffer> | undefined;
  private readonly sink: EntrySink;
  private readonly limit: number | undefined;

  constructor(label: () => string, sink: EntrySink, options: MatchOptions) {
    const compiled = compileQuery(options.query);
    const { warn } = options;
    const fields = new LineFields();
    this.sink = sink;
    this.limit = options.limit;
    this.ring = options.tail === undefined ? undefined : new Ring(options.tail);
    this.scanner = new LineScanner(
      {
        line: (buf, start, end, lineNo, check) => {
          // The line index validated most candidates already; the others (and the wording of any error) are done here.
          if (check.status === CHECK_VALID) return compiled.testLine(buf, start, end, check.fields, check.search) ? this.emit(buf, start, end) : true;
          const why = scanJsonLine(buf, start, end, fields);
          if (why !== undefined) {
            this.result.skipped++;
            warn(`${label()}:${lineNo}: ${why}; line skipped`);
            return true;
          }
          return compiled.testLine(buf, start, end, fields) ? this.emit(buf, start, end) : true;
        },
        invalid: (lineNo, reason) => {
          this.result.skipped++;
          warn(`${label()}:${lineNo}: ${reason}; line skipped`);
        },
        block: (buf, start, end, lines) => {
          this.sink.writeBlock!(buf, start, end);
          this.result.matched += lines;
        },
      },
      // Direct output: for a plain search into a sink that takes lines as they are, the index copies the matching
      // lines itself and JavaScript never sees them one by one (not with --limit or --tail, which count lines).
      { ...compiled.scanOptions(), direct: compiled.searchOnly && options.limit === undefined && options.tail === undefined && sink.writeBlock !== undefined },
    );
  }

  /** True once `limit` lines went out: the reader should stop. */
  get done(): boolean {
    return this.scanner.stopped;
  }

  /** Release the lines held for `tail` (end of the history; follow mode then passes lines straight through). */
  releaseTail(): void {
    const ring = this.ring;
    if (!ring) return;
    this.ring = undefined;
    for (const line of ring.drain()) {
      if (!this.emit(line, 0, line.length)) {
        this.scanner.stopped = true;
        return;
      }
    }
  }

  private emit(buf: Buffer, start: number, end: number): boolean {
    if (this.ring) {
      // A copy: the scanner reuses its buffer.
      this.ring.push(Buffer.from(buf.subarray(start, end)));
      return true;
    }
    this.sink.write(buf, start, end);
    this.result.matched++;
    return this.limit === undefined || this.result.matched < this.limit;
  }
}
