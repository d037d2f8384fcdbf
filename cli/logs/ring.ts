/** A fixed-capacity ring: keeps the last `capacity` items pushed (for `logs --tail N` in bounded memory). */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first; empties the ring. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    this.items.fill(undefined);
    this.start = 0;
    this.size = 0;
    return out;
  }

  get length(): number {
    return this.size;
  }
}
