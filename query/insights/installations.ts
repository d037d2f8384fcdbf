import { HyperLogLog } from './hll.js';
import { EXACT_INSTALLATIONS_LIMIT, type InstallationCount } from './types.js';

/**
 * Distinct installation ids, the insights' rule: exact while at most `limit` (EXACT_INSTALLATIONS_LIMIT) distinct ids
 * were seen, then a HyperLogLog sketch of all of them (hll.ts) and the count is marked estimated. Because the
 * sketch's registers depend only on the set of ids, a union of sets (buckets from slots, the range from buckets)
 * gives the same sketch, and so the same estimate, as counting the union directly.
 */
export class InstallationSet {
  private exact: Set<string> | undefined = new Set();
  private sketch: HyperLogLog | undefined;

  constructor(private readonly limit: number = EXACT_INSTALLATIONS_LIMIT) {}

  get estimated(): boolean {
    return this.sketch !== undefined;
  }

  add(id: string): void {
    const exact = this.exact;
    if (exact === undefined) {
      this.sketch!.add(id);
      return;
    }
    if (exact.has(id)) return;
    exact.add(id);
    if (exact.size > this.limit) this.toSketch();
  }

  /** Add every id of `other` (a union). */
  addAll(other: InstallationSet): void {
    if (other.exact !== undefined) {
      for (const id of other.exact) this.add(id);
      return;
    }
    if (this.exact !== undefined) this.toSketch();
    this.sketch!.merge(other.sketch!);
  }

  /** The exact ids, or undefined once estimated. */
  ids(): ReadonlySet<string> | undefined {
    return this.exact;
  }

  count(): InstallationCount {
    return this.exact !== undefined ? { count: this.exact.size, estimated: false } : { count: this.sketch!.estimate(), estimated: true };
  }

  private toSketch(): void {
    const sketch = new HyperLogLog();
    for (const id of this.exact!) sketch.add(id);
    this.sketch = sketch;
    this.exact = undefined;
  }
}
