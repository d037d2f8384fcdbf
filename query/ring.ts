/**
 * A bounded ring: keeps the last `capacity` items pushed (for `logs --tail N` and the events route's `tail`). Memory
 * grows with the items actually kept, never with `capacity`: a tail of 40 million on a 10-line file holds 10 slots.
 */
export class Ring<T> {
  private items: T[] = [];
  /** Index of the oldest item once the ring is full (before that, items are in push order from 0). */
  private start = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.capacity <= 0) return;
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = this.start + 1 === this.capacity ? 0 : this.start + 1;
  }

  /** Oldest first; empties the ring. */
  drain(): T[] {
    const items = this.items;
    const out = this.start === 0 ? items : items.slice(this.start).concat(items.slice(0, this.start));
    this.items = [];
    this.start = 0;
    return out;
  }

  get length(): number {
    return this.items.length;
  }
}
