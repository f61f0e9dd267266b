/**
 * The last `capacity` event ids written to ClickHouse by this process, oldest
 * forgotten first. A gateway that resends an event (same id) while it is
 * remembered is dropped before the insert, so rollups do not count it twice.
 */
export class RecentEventIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity === 0 || this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
