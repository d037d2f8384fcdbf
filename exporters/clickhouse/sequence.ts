/**
 * The `seq` column: a strictly increasing number per writer, near `Date.now() * 1000` (microseconds), so the rows of
 * one writer keep their order and rows of several writers interleave roughly by time. Stays below 2^53 until 2255.
 */
export class SequenceClock {
  private last = 0;

  /** Never hand out a number at or below `n` (e.g. the largest `seq` already in the table, after a clock step back). */
  atLeast(n: number): void {
    if (Number.isSafeInteger(n) && n > this.last) this.last = n;
  }

  next(): number {
    const now = Date.now() * 1000;
    this.last = now > this.last ? now : this.last + 1;
    return this.last;
  }
}
