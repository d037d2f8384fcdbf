import type { EntrySink } from './format.js';
import { compileQuery, parseEntry, type LogEntry, type LogQuery } from './query.js';
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
 * A line scanner wired to the filters and a sink: parses candidate lines, reports invalid ones (`label:line: why`),
 * keeps the last `tail` matches in a ring or stops after `limit`. Shared by the file reader, the collector's events
 * route and `logs --url`.
 */
export class Matcher {
  readonly scanner: LineScanner;
  readonly result: MatchResult = { matched: 0, skipped: 0 };
  private ring: Ring<[string, LogEntry]> | undefined;
  private readonly sink: EntrySink;
  private readonly limit: number | undefined;

  constructor(label: () => string, sink: EntrySink, options: MatchOptions) {
    const compiled = compileQuery(options.query);
    const { warn } = options;
    this.sink = sink;
    this.limit = options.limit;
    this.ring = options.tail === undefined ? undefined : new Ring(options.tail);
    this.scanner = new LineScanner(
      {
        line: (text, lineNo) => {
          const entry = parseEntry(text);
          if (typeof entry === 'string') {
            this.result.skipped++;
            warn(`${label()}:${lineNo}: ${entry}; line skipped`);
            return true;
          }
          return compiled.test(entry) ? this.emit(text, entry) : true;
        },
        invalid: (lineNo, reason) => {
          this.result.skipped++;
          warn(`${label()}:${lineNo}: ${reason}; line skipped`);
        },
      },
      { prefilter: compiled.prefilter() },
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
    for (const [text, entry] of ring.drain()) {
      if (!this.emit(text, entry)) {
        this.scanner.stopped = true;
        return;
      }
    }
  }

  private emit(text: string, entry: LogEntry): boolean {
    if (this.ring) {
      this.ring.push([text, entry]);
      return true;
    }
    this.sink.write(text, entry);
    this.result.matched++;
    return this.limit === undefined || this.result.matched < this.limit;
  }
}
