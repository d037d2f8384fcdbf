import { HyperLogLog } from '../../../query/insights/hll.js';
import { murmur3 } from '../../../query/insights/hll.js';
import { EXACT_INSTALLATIONS_LIMIT } from '../../../query/insights/types.js';

/**
 * The counts of one scenario × time slot × event name: events, events per group of each rolled-up grouping
 * (`level`, `deployment_id`, then the configured details keys, in that order), and the installations (interned ids:
 * exact up to EXACT_INSTALLATIONS_LIMIT, then a HyperLogLog of their hashes, hll.ts).
 */
export class Cell {
  count = 0;
  /** Per grouping: group name → events (a box: one map lookup per event and grouping, not a get and a set). */
  readonly groups: Map<string, Count>[];
  ids: Set<number> | undefined = new Set();
  sketch: HyperLogLog | undefined;
  /** The id added last: an installation's events come in runs (one upload), so most adds stop here. */
  lastId = -1;

  constructor(groupings: number) {
    this.groups = [];
    for (let i = 0; i < groupings; i++) this.groups.push(new Map());
  }

  addId(id: number, hashes: Uint32Array): void {
    if (id === this.lastId) return;
    this.lastId = id;
    const ids = this.ids;
    if (ids === undefined) {
      this.sketch!.addHash(hashes[id]!);
      return;
    }
    ids.add(id);
    if (ids.size > EXACT_INSTALLATIONS_LIMIT) {
      const sketch = new HyperLogLog();
      for (const i of ids) sketch.addHash(hashes[i]!);
      this.sketch = sketch;
      this.ids = undefined;
    }
  }

  /** Add another cell's counts (a minute slot folded into its hour). */
  merge(other: Cell, hashes: Uint32Array): void {
    this.count += other.count;
    for (let g = 0; g < this.groups.length; g++) {
      const mine = this.groups[g]!;
      for (const [name, c] of other.groups[g]!) {
        const into = mine.get(name);
        if (into === undefined) mine.set(name, { n: c.n });
        else into.n += c.n;
      }
    }
    if (other.ids !== undefined) {
      for (const id of other.ids) this.addId(id, hashes);
    } else {
      if (this.ids !== undefined) {
        const sketch = new HyperLogLog();
        for (const i of this.ids) sketch.addHash(hashes[i]!);
        this.sketch = sketch;
        this.ids = undefined;
      }
      this.sketch!.merge(other.sketch!);
    }
  }
}

/** A mutable counter. */
export interface Count {
  n: number;
}

/** Cells by event name. */
export type Slot = Map<string, Cell>;

/** Slots of one size (minute or hour), UTC-aligned, by start (epoch ms). */
export class SlotTable {
  readonly slots = new Map<number, Slot>();
  private lastStart = Number.NaN;
  private lastSlot: Slot | undefined;

  constructor(readonly slotMs: number) {}

  slot(start: number): Slot {
    if (start === this.lastStart) return this.lastSlot!;
    let slot = this.slots.get(start);
    if (slot === undefined) {
      slot = new Map();
      this.slots.set(start, slot);
    }
    this.lastStart = start;
    this.lastSlot = slot;
    return slot;
  }

  /** Whether the slot exists (the last one used is checked without a lookup). */
  has(start: number): boolean {
    return start === this.lastStart || this.slots.has(start);
  }

  delete(start: number): void {
    this.slots.delete(start);
    if (start === this.lastStart) {
      this.lastStart = Number.NaN;
      this.lastSlot = undefined;
    }
  }
}

/** Installation ids of one scenario as small integers, with each id's hash (hll.ts) for the sketches. */
export class IdTable {
  private readonly index = new Map<string, number>();
  hashes = new Uint32Array(1024);

  get size(): number {
    return this.index.size;
  }

  intern(id: string): number {
    let n = this.index.get(id);
    if (n === undefined) {
      n = this.index.size;
      if (n === this.hashes.length) {
        const grown = new Uint32Array(n * 2);
        grown.set(this.hashes);
        this.hashes = grown;
      }
      this.hashes[n] = murmur3(id);
      this.index.set(id, n);
    }
    return n;
  }
}

/** Everything rolled up for one scenario. */
export class ScenarioRollup {
  readonly hours = new SlotTable(3_600_000);
  readonly minutes = new SlotTable(60_000);
  readonly ids = new IdTable();
  /** Events at or after this time (a minute start) are in `minutes`, older ones in `hours`. */
  minuteCutoff: number;
  /** Distinct group names seen per grouping (the cap's count); undefined once the grouping overflowed. */
  readonly values: (Set<string> | undefined)[];
  readonly eventNames = new Set<string>();
  /** Set when a cap was passed: the event names (then nothing is answered from here) or the installation ids. */
  eventsOverflowed = false;
  idsOverflowed = false;
  /** The installation id interned last, and its number: an equal string is compared, not hashed (runs of one installation). */
  lastInstallation = '';
  lastInstallationId = -1;

  constructor(groupings: number, minuteCutoff: number) {
    this.minuteCutoff = minuteCutoff;
    this.values = [];
    for (let i = 0; i < groupings; i++) this.values.push(new Set());
  }
}
