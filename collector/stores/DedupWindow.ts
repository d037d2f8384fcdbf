/**
 * The ids of the newest `capacity` stored events, all scenarios together, for de-duplication. A ring of
 * (scenario set, id) pairs evicts the oldest id when full, so memory is bounded by the capacity whatever the number
 * of scenarios. Lookups are one Map get and one Set has.
 *
 * A writer that checks and then stores a group (the ClickHouse store) can take the ids in while it checks them
 * (`tryAdd`, one lookup for both) and undo that if the group is not stored after all: `checkpoint` starts recording
 * what the adds change, `rollback` restores the window as it was at the checkpoint (the evicted ids too), `release`
 * keeps the adds.
 */
export class DedupWindow {
  readonly capacity: number;
  private readonly byScenario = new Map<string, Set<string>>();
  private readonly ringSets: (Set<string> | undefined)[];
  private readonly ringIds: (string | undefined)[];
  private head = 0;
  private lastScenario = '';
  private lastSet: Set<string> | undefined;
  /** While a checkpoint is open: per add, the ring position it took and what that position held before. */
  private undo: { slots: number[]; sets: (Set<string> | undefined)[]; ids: (string | undefined)[] } | undefined;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.ringSets = new Array<Set<string> | undefined>(this.capacity);
    this.ringIds = new Array<string | undefined>(this.capacity);
  }

  get size(): number {
    let n = 0;
    for (const s of this.byScenario.values()) n += s.size;
    return n;
  }

  has(scenario: string, id: string): boolean {
    const set = scenario === this.lastScenario ? this.lastSet : this.byScenario.get(scenario);
    return set !== undefined && set.has(id);
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
    let set = scenario === this.lastScenario ? this.lastSet : this.byScenario.get(scenario);
    if (set === undefined) {
      set = new Set();
      this.byScenario.set(scenario, set);
    }
    this.lastScenario = scenario;
    this.lastSet = set;
    if (set.has(id)) return false;
    const slot = this.head;
    const oldSet = this.ringSets[slot];
    const undo = this.undo;
    if (undo !== undefined) {
      undo.slots.push(slot);
      undo.sets.push(oldSet);
      undo.ids.push(this.ringIds[slot]);
    }
    if (oldSet !== undefined) oldSet.delete(this.ringIds[slot]!);
    this.ringSets[slot] = set;
    this.ringIds[slot] = id;
    set.add(id);
    this.head = slot + 1 === this.capacity ? 0 : slot + 1;
    return true;
  }

  /** Starts recording the adds that follow, for `rollback` (one checkpoint at a time: a second one replaces the first). */
  checkpoint(): void {
    this.undo = { slots: [], sets: [], ids: [] };
  }

  /** Keeps the adds since the checkpoint and stops recording. */
  release(): void {
    this.undo = undefined;
  }

  /** Undoes the adds since the checkpoint, newest first, giving evicted ids their places back; stops recording. */
  rollback(): void {
    const undo = this.undo;
    this.undo = undefined;
    if (undo === undefined || undo.slots.length === 0) return;
    for (let i = undo.slots.length - 1; i >= 0; i--) {
      const slot = undo.slots[i]!;
      this.ringSets[slot]!.delete(this.ringIds[slot]!);
      const oldSet = undo.sets[i];
      const oldId = undo.ids[i];
      this.ringSets[slot] = oldSet;
      this.ringIds[slot] = oldId;
      if (oldSet !== undefined) oldSet.add(oldId!);
    }
    this.head = undo.slots[0]!;
  }
}
