import { randomBytes } from 'node:crypto';

/**
 * The ids of the newest `capacity` stored events, all scenarios together, for de-duplication. A ring of
 * (scenario, id) pairs, in the order they were taken in, pushes the oldest out when full, so memory is bounded by the
 * capacity whatever the number of scenarios.
 *
 * Lookups go through a hash table of its own: open addressing with linear probing in one Int32Array, each slot the
 * pair's 32-bit hash and its ring position. A miss (the usual case: a new event) mostly ends at its first slot without
 * reading a string; the strings are compared only when the hashes are equal. Measured against V8's Sets (one per
 * scenario, as before): ~2 µs of the collector's CPU per event went to has, add and the eviction at the default
 * 100,000 ids (profile of bench/clickhouse.mjs), following pointers through the Sets' tables to the id strings on the
 * heap. The hash is seeded per window from the OS's random source, so that ids chosen to collide cannot be made
 * without knowing it (a flood of colliding ids would make every probe long).
 *
 * A writer that checks and then stores a group (the ClickHouse store) can take the ids in while it checks them
 * (`tryAdd`, one lookup for both) and undo that if the group is not stored after all: `checkpoint` starts recording
 * what the adds change, `rollback` restores the window as it was at the checkpoint (the ids pushed out too), `release`
 * keeps the adds.
 */
export class DedupWindow {
  readonly capacity: number;
  private readonly ringScenarios: (string | undefined)[];
  private readonly ringIds: (string | undefined)[];
  private readonly ringHashes: Int32Array;
  /** The next ring position to fill (holding the oldest pair once the ring is full). */
  private head = 0;
  private count = 0;
  /**
   * Slot i is table[2i] (the pair's hash) and table[2i + 1] (its ring position + 1; 0 = empty). Doubled when more than
   * half full, so at most half full: probes stay short. Starts small (16 slots), so that a large configured window
   * costs memory as it fills.
   */
  private table = new Int32Array(2 * 16);
  private mask = 15;
  private readonly seed: number;
  private lastScenario: string | undefined;
  private lastScenarioHash = 0;
  /** While a checkpoint is open: per add, the ring position it took and what that position held before. */
  private undo: { positions: number[]; scenarios: (string | undefined)[]; ids: (string | undefined)[]; hashes: number[] } | undefined;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.ringScenarios = new Array<string | undefined>(this.capacity);
    this.ringIds = new Array<string | undefined>(this.capacity);
    this.ringHashes = new Int32Array(this.capacity);
    this.seed = randomBytes(4).readInt32LE(0);
  }

  get size(): number {
    return this.count;
  }

  has(scenario: string, id: string): boolean {
    return this.count > 0 && this.find(scenario, id, this.hashOf(scenario, id)) !== -1;
  }

  add(scenario: string, id: string): void {
    this.tryAdd(scenario, id);
  }

  /**
   * Takes (scenario, id) in unless it is there; whether it was taken in (false: a duplicate, or capacity 0). One check
   * and one add: a writer that would ask `has` first and `add` after the write asks this instead.
   */
  tryAdd(scenario: string, id: string): boolean {
    if (this.capacity === 0) return false;
    const h = this.hashOf(scenario, id);
    if (this.count > 0 && this.find(scenario, id, h) !== -1) return false;
    const position = this.head;
    const undo = this.undo;
    if (undo !== undefined) {
      undo.positions.push(position);
      undo.scenarios.push(this.ringScenarios[position]);
      undo.ids.push(this.ringIds[position]);
      undo.hashes.push(this.ringHashes[position]!);
    }
    if (this.ringIds[position] !== undefined) this.unlink(position);
    else if (++this.count * 2 > this.mask + 1) this.grow();
    this.ringScenarios[position] = scenario;
    this.ringIds[position] = id;
    this.ringHashes[position] = h;
    this.link(h, position);
    this.head = position + 1 === this.capacity ? 0 : position + 1;
    return true;
  }

  /** Starts recording the adds that follow, for `rollback` (one checkpoint at a time: a second one replaces the first). */
  checkpoint(): void {
    this.undo = { positions: [], scenarios: [], ids: [], hashes: [] };
  }

  /** Keeps the adds since the checkpoint and stops recording. */
  release(): void {
    this.undo = undefined;
  }

  /** Undoes the adds since the checkpoint, newest first, giving the pairs they pushed out their places back. */
  rollback(): void {
    const undo = this.undo;
    this.undo = undefined;
    if (undo === undefined || undo.positions.length === 0) return;
    for (let i = undo.positions.length - 1; i >= 0; i--) {
      const position = undo.positions[i]!;
      this.unlink(position);
      const id = undo.ids[i];
      this.ringScenarios[position] = undo.scenarios[i];
      this.ringIds[position] = id;
      this.ringHashes[position] = undo.hashes[i]!;
      if (id !== undefined) this.link(undo.hashes[i]!, position);
      else this.count--;
    }
    this.head = undo.positions[0]!;
  }

  /** The table slot of (scenario, id), or -1. */
  private find(scenario: string, id: string, h: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = table[2 * i + 1]!;
      if (at === 0) return -1;
      if (table[2 * i] === h && this.ringIds[at - 1] === id && this.ringScenarios[at - 1] === scenario) return i;
    }
  }

  /** Puts ring position `position` (hash `h`) in the first empty slot from its home. */
  private link(h: number, position: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
    table[2 * i] = h;
    table[2 * i + 1] = position + 1;
  }

  /** Takes ring position `position` out of the table; later entries of its run move back (no tombstones). */
  private unlink(position: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.ringHashes[position]! & mask;
    while (table[2 * i + 1] !== position + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; table[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j]! & mask;
      // The entry at j stays when its home lies cyclically in (i, j]: moved to i, a probe from its home would stop at
      // an empty slot before reaching it.
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      table[2 * i] = table[2 * j]!;
      table[2 * i + 1] = table[2 * j + 1]!;
      i = j;
    }
    table[2 * i] = 0;
    table[2 * i + 1] = 0;
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    this.table = new Int32Array(2 * slots);
    this.mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.link(old[i]!, old[i + 1]! - 1);
  }

  /** FNV-1a over the scenario's and the id's UTF-16 units (seeded, with a separator), then murmur3's finaliser. */
  private hashOf(scenario: string, id: string): number {
    let h: number;
    if (scenario === this.lastScenario) h = this.lastScenarioHash;
    else {
      h = this.seed;
      for (let i = 0; i < scenario.length; i++) h = Math.imul(h ^ scenario.charCodeAt(i), 0x01000193);
      // A unit no scenario name has, so that ("ab", "c") and ("a", "bc") differ.
      h = Math.imul(h ^ 0xffff, 0x01000193);
      this.lastScenario = scenario;
      this.lastScenarioHash = h;
    }
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }
}
