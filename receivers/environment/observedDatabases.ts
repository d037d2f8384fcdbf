import { sharedSlot } from '../../core/globalSlots.js';
/**
 * Database systems seen on spans (`db.system.name`, or the older `db.system`), counted, so the environment can report
 * the one the app really talks to most. Bounded: at most 16 distinct systems are kept (there are not more in use).
 */
export class ObservedDatabases {
  private readonly seen = new Map<string, { count: number }>();
  private static readonly MAX = 16;

  record(system: string): void {
    const cell = this.seen.get(system);
    if (cell !== undefined) {
      cell.count++;
      return;
    }
    if (this.seen.size >= ObservedDatabases.MAX || system.length === 0 || system.length > 64) return;
    this.seen.set(system, { count: 1 });
  }

  /** The most frequently seen system (the first seen on a tie), if any. */
  top(): string | undefined {
    let best: string | undefined;
    let bestCount = 0;
    for (const [system, { count }] of this.seen) {
      if (count > bestCount) [best, bestCount] = [system, count];
    }
    return best;
  }

  clear(): void {
    this.seen.clear();
  }
}

// One per process, shared by ESM and CommonJS copies of this package, like the active runtime.

/** The process-wide observations the span bridge feeds and every environment reads. */
export function observedDatabases(): ObservedDatabases {
  return sharedSlot('observedDatabases', () => new ObservedDatabases());
}
