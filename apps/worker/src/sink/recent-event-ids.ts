/**
 * The last `capacity` event ids written to ClickHouse by this process, oldest
 * forgotten first. A gateway that resends an event (same id) while it is
 * remembered is dropped before the insert, so rollups do not count it twice.
 */
export class RecentEventIds {
  private readonly ids = new Set<string>();
  /**
   * Insertion order, as a ring: the oldest id is found in O(1). (Taking it from
   * `ids.values().next()` walks over the holes deletions leave at the front of
   * the Set's table, which made every add at capacity O(n) and stalled the sink.)
   */
  private readonly order: string[] = [];
  private oldest = 0;

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity === 0 || this.ids.has(id)) return;
    this.ids.add(id);
    if (this.order.length < this.capacity) {
      this.order.push(id);
      return;
    }
    this.ids.delete(this.order[this.oldest]);
    this.order[this.oldest] = id;
    this.oldest = (this.oldest + 1) % this.capacity;
  }

  get size(): number {
    return this.ids.size;
  }
}
