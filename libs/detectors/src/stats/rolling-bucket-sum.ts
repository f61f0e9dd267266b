/**
 * Sum over a rolling time window made of fixed-width slots (e.g. 60 one-minute slots for
 * "the last hour", 24 one-hour slots for "the last day", 30 one-day slots for "the last
 * 30 days"). Rolling, not calendar: the window always ends at the latest time seen.
 *
 * Method: a ring of slot sums indexed by `floor(time / slotMs) mod slots` with a running
 * total. Advancing time zeroes the slots that fell out; each slot is zeroed at most once
 * per pass, so adds are amortised O(1), and a gap longer than the window clears it in
 * O(slots). The window resolution is one slot: a value counts until its slot leaves.
 *
 * @example
 * const hour = new RollingBucketSum(60_000, 60);
 * hour.add(0, 2); hour.add(30 * 60_000, 3);
 * hour.sumAt(30 * 60_000); // => 5
 * hour.sumAt(61 * 60_000); // => 3 (the slot of minute 0 has left the window)
 */
export class RollingBucketSum {
  private readonly sums: Float64Array;
  private total = 0;
  private latestSlot = -Infinity;

  /** @throws {RangeError} when slotMs or slots is not a positive integer */
  constructor(
    readonly slotMs: number,
    readonly slots: number,
  ) {
    if (!Number.isInteger(slotMs) || slotMs < 1) throw new RangeError(`slotMs must be a positive integer, got ${slotMs}`);
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
    this.sums = new Float64Array(slots);
  }

  /** Adds `amount` at `time` (epoch ms). A time older than the latest is counted in the latest slot. */
  add(time: number, amount: number): number {
    this.advanceTo(time);
    const index = modulo(this.latestSlot, this.slots);
    this.sums[index] += amount;
    this.total += amount;
    return this.total;
  }

  /** Sum of the window ending at `time` (advances the window; never goes back). */
  sumAt(time: number): number {
    this.advanceTo(time);
    return this.total;
  }

  /** Sum of the window as of the latest time seen, without advancing. */
  get currentSum(): number {
    return this.total;
  }

  toState(): RollingBucketSumState {
    return { slotMs: this.slotMs, slots: this.slots, latestSlot: Number.isFinite(this.latestSlot) ? this.latestSlot : null, sums: Array.from(this.sums) };
  }

  static fromState(state: RollingBucketSumState): RollingBucketSum {
    const r = new RollingBucketSum(state.slotMs, state.slots);
    r.sums.set(state.sums);
    r.latestSlot = state.latestSlot ?? -Infinity;
    r.total = state.sums.reduce((a, b) => a + b, 0);
    return r;
  }

  private advanceTo(time: number): void {
    const slot = Math.floor(time / this.slotMs);
    if (slot <= this.latestSlot) return;
    if (slot - this.latestSlot >= this.slots) {
      this.sums.fill(0);
      this.total = 0;
    } else {
      for (let s = this.latestSlot + 1; s <= slot; s++) {
        const index = modulo(s, this.slots);
        this.total -= this.sums[index];
        this.sums[index] = 0;
      }
      // Subtracting what was added leaves rounding dust; recompute once per full rotation.
      if (modulo(slot, this.slots) === 0) this.total = this.sums.reduce((a, b) => a + b, 0);
    }
    this.latestSlot = slot;
  }
}

function modulo(value: number, divisor: number): number {
  const r = value % divisor;
  return r < 0 ? r + divisor : r;
}

export interface RollingBucketSumState {
  slotMs: number;
  slots: number;
  latestSlot: number | null;
  sums: number[];
}
