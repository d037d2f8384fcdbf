import type { TelemetryLine } from '../../core/record.js';

/**
 * The JSONL store's in-memory books (summaries: SummaryBook; insights rollups: InsightsBook) are counted from the same
 * lines: as they are written, and from the files at start and after retention. This file holds what they share:
 * the line they are fed (LineSink) and the one way to swap a book for one counted afresh while writes go on
 * (RebuildJournal), so that pattern is written once.
 */

/** Something counted from stored lines (scan.ts at start, retention's recount). */
export interface LineSink {
  /** Make a scenario known (e.g. an empty file found at start). */
  touch(scenario: string): void;
  /** Count one stored line of `scenario` (the file it is in); `ms` is its time, NaN when it has none readable. */
  addLine(scenario: string, line: TelemetryLine, ms: number): void;
}

/** A book that can be replaced by one counted afresh (`fill` counts the kept files into the fresh book). */
export interface RebuildableSink extends LineSink {
  rebuild(fill: (fresh: LineSink) => Promise<void>): Promise<void>;
}

/**
 * Replace a book's contents with ones counted afresh while writes continue: `fill` must note, before its first
 * await, how far it will read, because what the live book is told meanwhile is journaled here and replayed into the
 * fresh book before it takes over (so nothing stored during the rebuild is lost or counted twice).
 *
 * Usage in a book: `if (this.journal.active) this.journal.record(entry)` in every update (no allocation otherwise),
 * and `rebuild(fill)` = `this.journal.run(fresh, fill, replay)` then adopt the fresh book's state.
 */
export class RebuildJournal<Entry> {
  private entries: Entry[] | undefined;

  get active(): boolean {
    return this.entries !== undefined;
  }

  record(entry: Entry): void {
    this.entries!.push(entry);
  }

  async run<B>(fresh: B, fill: (fresh: B) => Promise<void>, replay: (fresh: B, entry: Entry) => void): Promise<B> {
    if (this.entries !== undefined) throw new Error('a rebuild is already running');
    const entries: Entry[] = [];
    this.entries = entries;
    try {
      await fill(fresh);
    } finally {
      this.entries = undefined;
    }
    for (const entry of entries) replay(fresh, entry);
    return fresh;
  }
}

/** Several books fed from one pass over the files: each line goes to every book; a rebuild rebuilds them all at once. */
export class BookSet implements RebuildableSink {
  constructor(private readonly books: readonly RebuildableSink[]) {}

  touch(scenario: string): void {
    for (const b of this.books) b.touch(scenario);
  }

  addLine(scenario: string, line: TelemetryLine, ms: number): void {
    for (const b of this.books) b.addLine(scenario, line, ms);
  }

  rebuild(fill: (fresh: LineSink) => Promise<void>): Promise<void> {
    // Nested: every book's journal is open for the whole fill, which counts the files once into all fresh books.
    const nest = (i: number, fresh: LineSink[]): Promise<void> =>
      i === this.books.length ? fill(new BookSet(fresh as RebuildableSink[])) : this.books[i]!.rebuild((f) => nest(i + 1, [...fresh, f]));
    return nest(0, []);
  }
}
