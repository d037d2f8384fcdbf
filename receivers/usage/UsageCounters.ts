import { diag } from '../../core/diag.js';

/** A mutable count: one per name, allocated once, so counting a known name allocates nothing. */
interface Cell {
  count: number;
}

export const MAX_COUNTER_NAME_LENGTH = 128;

/**
 * Named counters (Camunda's `commands` / `metrics`): a Map of mutable cells. Reports take a snapshot and later
 * subtract exactly that snapshot, so increments that happen in between stay for the next report: nothing is lost
 * or counted twice across a report boundary. Bounded: at most `maxNames` distinct names; further names are refused
 * and counted in `refused`.
 */
export class UsageCounters {
  /** Distinct names kept; the pipeline sets it from TELEMETRY_MAX_COUNTER_NAMES. */
  maxNames: number;
  /** Increments refused: unknown name with the table full, bad name or bad amount. */
  refused = 0;
  private readonly cells = new Map<string, Cell>();
  private warned = false;

  constructor(maxNames = 500) {
    this.maxNames = maxNames;
  }

  /** Add `n` (a positive safe integer, default 1) to `name`. Never throws; bad input is refused with a diag warning. */
  add(name: string, n = 1): void {
    const cell = this.cells.get(name);
    if (cell !== undefined && n === 1) {
      cell.count++;
      return;
    }
    this.addSlow(name, n, cell);
  }

  private addSlow(name: string, n: number, cell: Cell | undefined): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return this.refuse(`count ${String(n)} for ${JSON.stringify(String(name).slice(0, 40))} is not a non-negative integer`);
    if (cell !== undefined) {
      cell.count += n;
      return;
    }
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_COUNTER_NAME_LENGTH) {
      return this.refuse(`counter name must be a string of 1-${MAX_COUNTER_NAME_LENGTH} characters`);
    }
    if (this.cells.size >= this.maxNames) this.prune();
    if (this.cells.size >= this.maxNames) return this.refuse(`more than ${this.maxNames} distinct counter names (TELEMETRY_MAX_COUNTER_NAMES); ${JSON.stringify(name.slice(0, 40))} not counted`);
    this.cells.set(name, { count: n });
  }

  /** The current counts above zero. */
  snapshot(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, cell] of this.cells) if (cell.count > 0) out.set(name, cell.count);
    return out;
  }

  /** Take away what a snapshot held (after it was reported or persisted); later increments stay. */
  subtract(snapshot: ReadonlyMap<string, number>): void {
    for (const [name, n] of snapshot) {
      const cell = this.cells.get(name);
      if (cell !== undefined) cell.count = Math.max(0, cell.count - n);
    }
  }

  get size(): number {
    return this.cells.size;
  }

  // Names that are at zero only hold a slot; drop them when the table is full (they are re-created on next use).
  private prune(): void {
    for (const [name, cell] of this.cells) if (cell.count === 0) this.cells.delete(name);
  }

  private refuse(message: string): void {
    this.refused++;
    if (!this.warned) {
      this.warned = true;
      diag.warn(`usage counter refused (further refusals are only counted): ${message}`);
    }
  }
}
