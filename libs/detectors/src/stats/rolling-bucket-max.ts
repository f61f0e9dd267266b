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
  /** Latest slot, then the ring of slot maxima (layout `RBM_*`, as `SeriesState` embeds it). */
  private readonly m: Float64Array;

  constructor(
    readonly slotMs: number,
    readonly slots: number,
    state?: { latestSlot: number | null; maxima: number[] },
  ) {
    this.m = new Float64Array(RBM_MAXIMA + slots);
    rbmInit(this.m, 0, state);
  }

  add(time: number, value: number): void {
    rbmAdd(this.m, 0, this.slotMs, this.slots, time, value);
  }

  maxAt(time: number): number {
    return rbmMaxAt(this.m, 0, this.slotMs, this.slots, time);
  }

  toState(): { latestSlot: number | null; maxima: number[] } {
    return rbmToState(this.m, 0, this.slots);
  }
}

// The math on a Float64Array at offset `o` (layout `RBM_*`): the class above and `SeriesState`
// (which embeds the maxima in its one state array) run the same code.
export const RBM_LATEST = 0;
export const RBM_MAXIMA = 1;

export function rbmInit(a: Float64Array, o: number, state?: { latestSlot: number | null; maxima: number[] }): void {
  a[o + RBM_LATEST] = -Infinity;
  if (state) {
    a.set(state.maxima, o + RBM_MAXIMA);
    a[o + RBM_LATEST] = state.latestSlot ?? -Infinity;
  }
}

export function rbmAdd(a: Float64Array, o: number, slotMs: number, slots: number, time: number, value: number): void {
  rbmAdvanceTo(a, o, slots, Math.floor(time / slotMs));
  const i = o + RBM_MAXIMA + (a[o + RBM_LATEST] % slots);
  if (value > a[i]) a[i] = value;
}

export function rbmMaxAt(a: Float64Array, o: number, slotMs: number, slots: number, time: number): number {
  rbmAdvanceTo(a, o, slots, Math.floor(time / slotMs));
  let max = 0;
  for (let i = o + RBM_MAXIMA; i < o + RBM_MAXIMA + slots; i++) if (a[i] > max) max = a[i];
  return max;
}

export function rbmToState(a: Float64Array, o: number, slots: number): { latestSlot: number | null; maxima: number[] } {
  const latest = a[o + RBM_LATEST];
  return { latestSlot: Number.isFinite(latest) ? latest : null, maxima: Array.from(a.subarray(o + RBM_MAXIMA, o + RBM_MAXIMA + slots)) };
}

// Takes the slot index, not the time: a small integer crosses the call unboxed.
function rbmAdvanceTo(a: Float64Array, o: number, slots: number, slot: number): void {
  const latest = a[o + RBM_LATEST];
  if (slot <= latest) return;
  const maxima = o + RBM_MAXIMA;
  if (slot - latest >= slots) a.fill(0, maxima, maxima + slots);
  else for (let s = latest + 1; s <= slot; s++) a[maxima + (s % slots)] = 0;
  a[o + RBM_LATEST] = slot;
}
