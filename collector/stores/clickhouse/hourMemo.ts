import type { HourGroup } from './rollup.js';

/**
 * Most (event, level) groups kept in memory, over all hours (an hour counts as its groups plus one): measured ~130
 * bytes each on the heap (100k hours of 6 groups), so at most ~130 MB. 30 days of 100 scenarios with 6 groups an hour
 * is ~500k.
 */
export const MEMO_MAX_GROUPS = 1_000_000;

/**
 * The settled hours this process has read, each with the counter it was settled at. A settled (scenario, hour, counter)
 * is immutable: the groups were computed from events that the counter stamps, and any later write moves the counter,
 * so an entry is used only while the counter read in the same call still equals it. Bounded (MEMO_MAX_GROUPS): when
 * full, it starts again empty (the next call reads the settled rows again).
 */
export class HourMemo {
  private readonly max: number;
  private readonly hours = new Map<string, Map<number, { version: number; groups: HourGroup[] }>>();
  private size = 0;

  constructor(maxGroups = MEMO_MAX_GROUPS) {
    this.max = maxGroups;
  }

  /** Groups held (each hour counts as its groups plus one). */
  get groups(): number {
    return this.size;
  }

  get(scenario: string, hour: number, version: number): HourGroup[] | undefined {
    const e = this.hours.get(scenario)?.get(hour);
    return e !== undefined && e.version === version ? e.groups : undefined;
  }

  set(scenario: string, hour: number, version: number, groups: HourGroup[]): void {
    const cost = groups.length + 1;
    if (cost > this.max) return;
    let byHour = this.hours.get(scenario);
    const old = byHour?.get(hour);
    if (old !== undefined) this.size -= old.groups.length + 1;
    if (this.size + cost > this.max) {
      this.hours.clear();
      this.size = 0;
      byHour = undefined;
    }
    if (byHour === undefined) this.hours.set(scenario, (byHour = new Map()));
    byHour.set(hour, { version, groups });
    this.size += cost;
  }
}
