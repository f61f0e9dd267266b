/**
 * Maximum over a rolling window of fixed-width slots (e.g. 8 daily maxima = "the highest
 * value of the last week"). A ring of slot maxima; reading the max scans `slots` values, so
 * keep `slots` small (it is read once per closed bucket, not per event).
 *
 * @example
 * const peak = new RollingBucketMax(86_400_000, 8);
 * peak.add(0, 3); peak.add(86_400_000, 1);
 * peak.maxAt(86_400_000); // => 3
 * peak.maxAt(9 * 86_400_000); // => 0 (both days have left the window)
 */
export class RollingBucketMax {
  private readonly maxima: Float64Array;
  private latestSlot = -Infinity;

  constructor(
    readonly slotMs: number,
    readonly slots: number,
    state?: { latestSlot: number | null; maxima: number[] },
  ) {
    this.maxima = new Float64Array(slots);
    if (state) {
      this.maxima.set(state.maxima);
      this.latestSlot = state.latestSlot ?? -Infinity;
    }
  }

  add(time: number, value: number): void {
    this.advanceTo(time);
    const i = this.latestSlot % this.slots;
    if (value > this.maxima[i]) this.maxima[i] = value;
  }

  maxAt(time: number): number {
    this.advanceTo(time);
    let max = 0;
    for (let i = 0; i < this.slots; i++) if (this.maxima[i] > max) max = this.maxima[i];
    return max;
  }

  toState(): { latestSlot: number | null; maxima: number[] } {
    return { latestSlot: Number.isFinite(this.latestSlot) ? this.latestSlot : null, maxima: Array.from(this.maxima) };
  }

  private advanceTo(time: number): void {
    const slot = Math.floor(time / this.slotMs);
    if (slot <= this.latestSlot) return;
    if (slot - this.latestSlot >= this.slots) this.maxima.fill(0);
    else for (let s = this.latestSlot + 1; s <= slot; s++) this.maxima[s % this.slots] = 0;
    this.latestSlot = slot;
  }
}
