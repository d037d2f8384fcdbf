import { assembleAnswer, type BucketTally, type InstallationCounter } from '../../../query/insights/answer.js';
import { bucketStart, bucketStarts, BUCKET_MS } from '../../../query/insights/buckets.js';
import { HyperLogLog } from '../../../query/insights/hll.js';
import { EXACT_INSTALLATIONS_LIMIT, type InsightsAnswer, type InsightsQuery, type InstallationCount } from '../../../query/insights/types.js';
import type { Cell, ScenarioRollup, Slot, SlotTable } from './rollup.js';

class Counted implements InstallationCounter {
  constructor(private readonly value: InstallationCount) {}
  count(): InstallationCount {
    return this.value;
  }
}

const NONE = new Counted({ count: 0, estimated: false });

/**
 * The insights answer from one scenario's rollups (the query is on slot boundaries: InsightsBook.answer checks). The
 * slots of the range are visited bucket by bucket; installation ids are interned integers, so a bucket's distinct
 * ids are counted with one mark per id (`seen[id] = bucket`) and the range's with another, no string set per query.
 * Above EXACT_INSTALLATIONS_LIMIT (or when a cell already holds a sketch) the bucket's cells are visited again into a
 * HyperLogLog of the ids' hashes: the same sketch the reference builds from the same ids.
 */
export function answerFromRollup(q: InsightsQuery, r: ScenarioRollup, grouping: number | undefined, failures: ReadonlySet<string>): InsightsAnswer {
  const starts = bucketStarts(q.from, q.to, q.bucket);
  const first = starts[0]!;
  const size = BUCKET_MS[q.bucket];
  // Per bucket, its cells and their event names (parallel arrays: no tuple per cell).
  const cellsOf: Cell[][] = starts.map(() => []);
  const eventsOf: string[][] = starts.map(() => []);
  const visit = (table: SlotTable): void => {
    const collect = (start: number, slot: Slot): void => {
      const b = (bucketStart(start, q.bucket) - first) / size;
      const cells = cellsOf[b]!;
      const events = eventsOf[b]!;
      if (q.event !== undefined) {
        const cell = slot.get(q.event);
        if (cell !== undefined) {
          cells.push(cell);
          events.push(q.event);
        }
      } else {
        for (const [event, cell] of slot) {
          cells.push(cell);
          events.push(event);
        }
      }
    };
    // Step through the range or through the table, whichever is shorter.
    if ((q.to - q.from) / table.slotMs <= table.slots.size) {
      for (let s = Math.floor(q.from / table.slotMs) * table.slotMs; s < q.to; s += table.slotMs) {
        const slot = table.slots.get(s);
        if (slot !== undefined && s >= q.from) collect(s, slot);
      }
    } else {
      for (const [s, slot] of table.slots) if (s >= q.from && s < q.to) collect(s, slot);
    }
  };
  visit(r.hours);
  visit(r.minutes);

  const ids = new Marks(r.ids.size, r.ids.hashes);
  const tallies: BucketTally[] = [];
  for (let b = 0; b < starts.length; b++) {
    const cells = cellsOf[b]!;
    const events = eventsOf[b]!;
    const counts = new Map<string, number>();
    let failed = 0;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      const event = events[i]!;
      if (grouping === undefined) {
        const had = counts.get(event);
        counts.set(event, had === undefined ? cell.count : had + cell.count);
      } else cell.addGroupsTo(grouping, counts);
      if (failures.has(event)) failed += cell.count;
    }
    tallies.push({ counts, failures: failed, installations: cells.length === 0 ? NONE : new Counted(ids.bucket(b, cells)) });
  }
  return assembleAnswer(q, starts, tallies, new Counted(ids.total()));
}

/** Distinct interned ids per bucket and over the range. */
class Marks {
  private readonly seen: Int32Array;
  private readonly inRange: Uint8Array;
  private rangeCount = 0;
  private readonly sketches: HyperLogLog[] = [];

  constructor(
    size: number,
    private readonly hashes: Uint32Array,
  ) {
    this.seen = new Int32Array(size).fill(-1);
    this.inRange = new Uint8Array(size);
  }

  bucket(b: number, cells: readonly Cell[]): InstallationCount {
    const seen = this.seen;
    const inRange = this.inRange;
    let count = 0;
    let sketched = false;
    // Inlined (no call per id): a month of hourly cells holds about one id per stored event.
    for (const cell of cells) {
      if (cell.sketch !== undefined) {
        sketched = true;
        this.sketches.push(cell.sketch);
        continue;
      }
      const set = cell.idSet;
      if (set === undefined) {
        const id = cell.lastId;
        if (id !== -1 && seen[id] !== b) {
          seen[id] = b;
          count++;
          if (inRange[id] === 0) {
            inRange[id] = 1;
            this.rangeCount++;
          }
        }
        continue;
      }
      for (const id of set) {
        if (seen[id] !== b) {
          seen[id] = b;
          count++;
          if (inRange[id] === 0) {
            inRange[id] = 1;
            this.rangeCount++;
          }
        }
      }
    }
    if (!sketched && count <= EXACT_INSTALLATIONS_LIMIT) return { count, estimated: false };
    const sketch = new HyperLogLog();
    for (const cell of cells) if (!cell.forEachId((id) => sketch.addHash(this.hashes[id]!))) sketch.merge(cell.sketch!);
    return { count: sketch.estimate(), estimated: true };
  }

  total(): InstallationCount {
    if (this.sketches.length === 0 && this.rangeCount <= EXACT_INSTALLATIONS_LIMIT) return { count: this.rangeCount, estimated: false };
    const sketch = new HyperLogLog();
    const inRange = this.inRange;
    for (let id = 0; id < inRange.length; id++) if (inRange[id] === 1) sketch.addHash(this.hashes[id]!);
    for (const s of this.sketches) sketch.merge(s);
    return { count: sketch.estimate(), estimated: true };
  }
}
