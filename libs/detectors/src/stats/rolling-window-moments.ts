/**
 * Mean and variance of the last `capacity` values, updated in O(1) per value.
 *
 * Method: Welford's running moments with the matching removal step, so a value leaving
 * the window is "un-added" exactly as it was added (Welford 1962; the removal form is
 * in Chan, Golub & LeVeque 1983, "Algorithms for computing the sample variance").
 * Floating-point drift from add/remove pairs is bounded by recomputing the moments from
 * the window every `8 × capacity` pushes (amortised O(1)).
 *
 * @example
 * const w = new RollingWindowMoments(3);
 * [1, 2, 3, 4].forEach((x) => w.push(x));
 * w.mean; // => 3 (window holds 2, 3, 4)
 * w.sampleVariance(); // => 1
 */
export class RollingWindowMoments {
  /** Head, size, mean, M2, pushes since recompute, then the ring (layout `RW_*`, as `SeriesState` embeds it). */
  private readonly w: Float64Array;

  /** @throws {RangeError} when capacity is not a positive integer */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.w = new Float64Array(rwSize(capacity));
  }

  get count(): number {
    return this.w[RW_SIZE];
  }

  get mean(): number {
    return this.w[RW_MEAN];
  }

  /** Population variance (divides by n); 0 for an empty window. */
  populationVariance(): number {
    const n = this.w[RW_SIZE];
    return n === 0 ? 0 : Math.max(0, this.w[RW_M2] / n);
  }

  /** Sample variance (divides by n − 1), as simple-statistics' `sampleVariance`; 0 below two values. */
  sampleVariance(): number {
    return rwSampleVariance(this.w, 0);
  }

  sampleStandardDeviation(): number {
    return Math.sqrt(this.sampleVariance());
  }

  /** Adds `value`; when the window is full the oldest value leaves it. */
  push(value: number): void {
    rwPush(this.w, 0, RW_VALUES, this.capacity, value);
  }

  /** Same as calling `push(value)` `times` times, in O(min(times, capacity)). */
  pushRepeated(value: number, times: number): void {
    rwPushRepeated(this.w, 0, RW_VALUES, this.capacity, value, times);
  }

  /** Copies the values (in no particular order) into `out` (length ≥ count); returns count. No allocation. */
  copyValuesTo(out: Float64Array): number {
    return rwCopyValuesTo(this.w, 0, RW_VALUES, this.capacity, out);
  }

  /** Values oldest first (a copy). */
  toArray(): number[] {
    return rwToArray(this.w, 0, RW_VALUES, this.capacity);
  }

  toState(): RollingWindowMomentsState {
    return { capacity: this.capacity, values: this.toArray() };
  }

  static fromState(state: RollingWindowMomentsState): RollingWindowMoments {
    const window = new RollingWindowMoments(state.capacity);
    for (const v of state.values) window.push(v);
    return window;
  }
}

// The math on a Float64Array: header at offset `o` (layout `RW_*`), ring of `capacity` values at
// offset `v` (the class above keeps it right after the header, at `RW_VALUES`; `SeriesState`,
// which embeds the window in its one state array, keeps the header with its other per-bucket
// numbers and the ring at the end). Both run the same code.
export const RW_HEAD = 0; // index of the oldest value
export const RW_SIZE = 1;
export const RW_MEAN = 2;
export const RW_M2 = 3; // Welford's M2
export const RW_PUSHES = 4; // pushes since the last recompute
export const RW_VALUES = 5;

/** Doubles a window of `capacity` values takes (header and ring). */
export function rwSize(capacity: number): number {
  return RW_VALUES + capacity;
}

export function rwSampleVariance(a: Float64Array, o: number): number {
  const n = a[o + RW_SIZE];
  return n < 2 ? 0 : Math.max(0, a[o + RW_M2] / (n - 1));
}

export function rwPush(a: Float64Array, o: number, v: number, capacity: number, value: number): void {
  const values = v;
  const head = a[o + RW_HEAD];
  if (a[o + RW_SIZE] === capacity) {
    rwRemoveFromMoments(a, o, values + head);
    a[values + head] = value;
    a[o + RW_HEAD] = (head + 1) % capacity;
  } else {
    a[values + ((head + a[o + RW_SIZE]) % capacity)] = value;
  }
  const size = Math.min(a[o + RW_SIZE] + 1, capacity);
  a[o + RW_SIZE] = size;
  // Welford's add step.
  const delta = value - a[o + RW_MEAN];
  a[o + RW_MEAN] += delta / size;
  a[o + RW_M2] += delta * (value - a[o + RW_MEAN]);
  const pushes = a[o + RW_PUSHES] + 1;
  a[o + RW_PUSHES] = pushes;
  if (pushes >= 8 * capacity) rwRecompute(a, o, v, capacity);
}

export function rwPushRepeated(a: Float64Array, o: number, v: number, capacity: number, value: number, times: number): void {
  const effective = Math.min(times, capacity);
  for (let i = 0; i < effective; i++) rwPush(a, o, v, capacity, value);
}

export function rwCopyValuesTo(a: Float64Array, o: number, v: number, capacity: number, out: Float64Array): number {
  const n = a[o + RW_SIZE];
  const values = v;
  let at = a[o + RW_HEAD];
  for (let i = 0; i < n; i++) {
    out[i] = a[values + at];
    if (++at === capacity) at = 0;
  }
  return n;
}

export function rwToArray(a: Float64Array, o: number, v: number, capacity: number): number[] {
  const n = a[o + RW_SIZE];
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = a[v + ((a[o + RW_HEAD] + i) % capacity)];
  return out;
}

// The caller has not yet decremented the size: the removal sees n values, leaves n − 1.
// The value leaving is read at `a[at]` (an index crosses the call unboxed, a double would not).
function rwRemoveFromMoments(a: Float64Array, o: number, at: number): void {
  const value = a[at];
  const remaining = a[o + RW_SIZE] - 1;
  if (remaining === 0) {
    a[o + RW_MEAN] = 0;
    a[o + RW_M2] = 0;
    a[o + RW_SIZE] = 0;
    return;
  }
  const oldMean = a[o + RW_MEAN];
  const mean = oldMean - (value - oldMean) / remaining;
  a[o + RW_MEAN] = mean;
  a[o + RW_M2] -= (value - oldMean) * (value - mean);
  a[o + RW_SIZE] = remaining;
}

function rwRecompute(a: Float64Array, o: number, v: number, capacity: number): void {
  a[o + RW_PUSHES] = 0;
  const size = a[o + RW_SIZE];
  const head = a[o + RW_HEAD];
  const values = v;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += a[values + ((head + i) % capacity)];
  const mean = size === 0 ? 0 : sum / size;
  let m2 = 0;
  for (let i = 0; i < size; i++) {
    const d = a[values + ((head + i) % capacity)] - mean;
    m2 += d * d;
  }
  a[o + RW_MEAN] = mean;
  a[o + RW_M2] = m2;
}

export interface RollingWindowMomentsState {
  capacity: number;
  /** Oldest first. */
  values: number[];
}
