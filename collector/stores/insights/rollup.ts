import { HyperLogLog } from '../../../query/insights/hll.js';
import { murmur3 } from '../../../query/insights/hll.js';
import { EXACT_INSTALLATIONS_LIMIT } from '../../../query/insights/types.js';

/** Told about a group name new to a cell: records it toward the grouping's cap; false once the grouping is past it. */
export type AdmitGroup = (grouping: number, name: string) => boolean;

/**
 * The counts of one scenario × time slot × event name: events, events per group of each rolled-up grouping
 * (`level`, `deployment_id`, then the configured details keys, in that order), and the installations (interned ids:
 * exact up to EXACT_INSTALLATIONS_LIMIT, then a HyperLogLog of their hashes, hll.ts).
 *
 * Sparse data (a minute of a quiet scenario) makes many cells of one event, so a cell starts small: the group names
 * of its one event and its one installation id inline, maps and a set only from the second event (or id) on.
 */
export class Cell {
  count = 0;
  /** The group names of the cell's only event (count 1). */
  private one: string[] | undefined;
  /** Per grouping: group name → events (from the second event on). */
  private groups: Map<string, number>[] | undefined;
  /** Distinct ids once there are two or more (until a sketch replaces them); with one, it is `lastId`. */
  private ids: Set<number> | undefined;
  sketch: HyperLogLog | undefined;
  /** The id added last (the only one while `ids` is unset): an installation's events come in runs, most adds stop here. */
  lastId = -1;

  constructor(private readonly groupings: number) {}

  /** Count one event whose group in grouping g is names[g] (`names` is not kept: copied when needed). */
  add(names: readonly string[], admit: AdmitGroup): void {
    this.count++;
    if (this.count === 1) {
      for (let g = 0; g < names.length; g++) admit(g, names[g]!);
      this.one = names.slice();
      return;
    }
    const groups = this.maps();
    for (let g = 0; g < names.length; g++) this.bump(groups[g]!, g, names[g]!, 1, admit);
  }

  private bump(map: Map<string, number>, g: number, name: string, n: number, admit: AdmitGroup): void {
    const had = map.get(name);
    if (had !== undefined) map.set(name, had + n);
    else if (admit(g, name)) map.set(name, n);
  }

  private maps(): Map<string, number>[] {
    let groups = this.groups;
    if (groups === undefined) {
      const one = this.one;
      groups = [];
      for (let g = 0; g < this.groupings; g++) groups.push(one === undefined ? new Map() : new Map([[one[g]!, 1]]));
      this.groups = groups;
      this.one = undefined;
    }
    return groups;
  }

  /** Calls fn for each group of grouping g with its events. */
  forEachGroup(g: number, fn: (name: string, n: number) => void): void {
    if (this.groups !== undefined) for (const [name, n] of this.groups[g]!) fn(name, n);
    else if (this.one !== undefined) fn(this.one[g]!, 1);
  }

  /** Adds this cell's events per group of grouping g into `counts` (the answer's hot loop: no callback). */
  addGroupsTo(g: number, counts: Map<string, number>): void {
    if (this.groups !== undefined) {
      for (const [name, n] of this.groups[g]!) {
        const had = counts.get(name);
        counts.set(name, had === undefined ? n : had + n);
      }
    } else if (this.one !== undefined) {
      const name = this.one[g]!;
      const had = counts.get(name);
      counts.set(name, had === undefined ? 1 : had + 1);
    }
  }

  /** Group entries held (stats). */
  get groupEntries(): number {
    if (this.groups === undefined) return this.one?.length ?? 0;
    let n = 0;
    for (const m of this.groups) n += m.size;
    return n;
  }

  addId(id: number, hashes: Uint32Array): void {
    if (id === this.lastId) return;
    const sketch = this.sketch;
    if (sketch !== undefined) {
      this.lastId = id;
      sketch.addHash(hashes[id]!);
      return;
    }
    let ids = this.ids;
    if (ids === undefined) {
      if (this.lastId === -1) {
        this.lastId = id;
        return;
      }
      ids = new Set([this.lastId]);
      this.ids = ids;
    }
    this.lastId = id;
    ids.add(id);
    if (ids.size > EXACT_INSTALLATIONS_LIMIT) {
      const sk = new HyperLogLog();
      for (const i of ids) sk.addHash(hashes[i]!);
      this.sketch = sk;
      this.ids = undefined;
    }
  }

  /** The exact ids when two or more (else `lastId` is the one id, or -1); undefined too once a sketch holds them. */
  get idSet(): ReadonlySet<number> | undefined {
    return this.ids;
  }

  /** The exact ids (undefined once a sketch holds them). */
  forEachId(fn: (id: number) => void): boolean {
    if (this.sketch !== undefined) return false;
    if (this.ids !== undefined) for (const id of this.ids) fn(id);
    else if (this.lastId !== -1) fn(this.lastId);
    return true;
  }

  get idCount(): number {
    return this.sketch !== undefined ? 0 : (this.ids?.size ?? (this.lastId === -1 ? 0 : 1));
  }

  /** Add another cell's counts (a minute slot folded into its hour). */
  merge(other: Cell, hashes: Uint32Array, admit: AdmitGroup): void {
    if (other.count === 0) return;
    if (this.count === 0 && other.one !== undefined) {
      this.count = 1;
      this.one = other.one.slice();
    } else {
      const groups = this.maps();
      this.count += other.count;
      for (let g = 0; g < groups.length; g++) other.forEachGroup(g, (name, n) => this.bump(groups[g]!, g, name, n, admit));
    }
    if (other.sketch === undefined) {
      other.forEachId((id) => this.addId(id, hashes));
      return;
    }
    if (this.sketch === undefined) {
      const sk = new HyperLogLog();
      this.forEachId((i) => sk.addHash(hashes[i]!));
      this.sketch = sk;
      this.ids = undefined;
    }
    this.sketch.merge(other.sketch);
  }
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

  /** Forget every id (the memory bound emptied the scenario's rollups). */
  clear(): void {
    this.index.clear();
    this.hashes = new Uint32Array(1024);
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
  /**
   * Nothing before this time is rolled up (the memory bound dropped those slots, InsightsBook.bound): events older
   * are not added, and a query starting before it is answered by the budgeted scan. -Infinity until a drop.
   */
  droppedBefore = Number.NEGATIVE_INFINITY;
  /** Set when a cap was passed: the event names (then nothing is answered from here) or the installation ids. */
  eventsOverflowed = false;
  idsOverflowed = false;
  /** The installation id interned last, and its number: an equal string is compared, not hashed (runs of one installation). */
  lastInstallation = '';
  lastInstallationId = -1;

  /** A group name new to a cell: counted toward its grouping's cap (false once the grouping is past it). */
  readonly admit: AdmitGroup;

  constructor(groupings: number, minuteCutoff: number, maxValues: number) {
    this.minuteCutoff = minuteCutoff;
    this.values = [];
    for (let i = 0; i < groupings; i++) this.values.push(new Set());
    this.admit = (g, name) => {
      const values = this.values[g];
      if (values === undefined) return false;
      if (!values.has(name)) {
        if (values.size >= maxValues) {
          this.values[g] = undefined;
          return false;
        }
        values.add(name);
      }
      return true;
    };
  }
}
