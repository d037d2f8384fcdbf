/**
 * The ids of the newest `capacity` stored events, all scenarios together, for de-duplication. A ring of
 * (scenario set, id) pairs evicts the oldest id when full, so memory is bounded by the capacity whatever the number
 * of scenarios. Lookups are one Map get and one Set has.
 */
export class DedupWindow {
  readonly capacity: number;
  private readonly byScenario = new Map<string, Set<string>>();
  private readonly ringSets: (Set<string> | undefined)[];
  private readonly ringIds: (string | undefined)[];
  private head = 0;
  private lastScenario = '';
  private lastSet: Set<string> | undefined;

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
    if (this.capacity === 0) return;
    let set = scenario === this.lastScenario ? this.lastSet : this.byScenario.get(scenario);
    if (set === undefined) {
      set = new Set();
      this.byScenario.set(scenario, set);
    }
    this.lastScenario = scenario;
    this.lastSet = set;
    if (set.has(id)) return;
    const slot = this.head;
    const oldSet = this.ringSets[slot];
    if (oldSet !== undefined) oldSet.delete(this.ringIds[slot]!);
    this.ringSets[slot] = set;
    this.ringIds[slot] = id;
    set.add(id);
    this.head = slot + 1 === this.capacity ? 0 : slot + 1;
  }
}
