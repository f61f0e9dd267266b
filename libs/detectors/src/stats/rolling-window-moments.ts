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
  private readonly values: Float64Array;
  private head = 0; // index of the oldest value
  private size = 0;
  private runningMean = 0;
  private sumSquaredDeviations = 0; // Welford's M2
  private pushesSinceRecompute = 0;

  /** @throws {RangeError} when capacity is not a positive integer */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.values = new Float64Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  get mean(): number {
    return this.runningMean;
  }

  /** Population variance (divides by n); 0 for an empty window. */
  populationVariance(): number {
    return this.size === 0 ? 0 : Math.max(0, this.sumSquaredDeviations / this.size);
  }

  /** Sample variance (divides by n − 1), as simple-statistics' `sampleVariance`; 0 below two values. */
  sampleVariance(): number {
    return this.size < 2 ? 0 : Math.max(0, this.sumSquaredDeviations / (this.size - 1));
  }

  sampleStandardDeviation(): number {
    return Math.sqrt(this.sampleVariance());
  }

  /** Adds `value`; when the window is full the oldest value leaves it. */
  push(value: number): void {
    if (this.size === this.capacity) {
      this.removeFromMoments(this.values[this.head]);
      this.values[this.head] = value;
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.values[(this.head + this.size) % this.capacity] = value;
    }
    this.size = Math.min(this.size + 1, this.capacity);
    this.addToMoments(value);
    if (++this.pushesSinceRecompute >= 8 * this.capacity) this.recompute();
  }

  /** Same as calling `push(value)` `times` times, in O(min(times, capacity)). */
  pushRepeated(value: number, times: number): void {
    const effective = Math.min(times, this.capacity);
    for (let i = 0; i < effective; i++) this.push(value);
  }

  /** Copies the values (in no particular order) into `out` (length ≥ count); returns count. No allocation. */
  copyValuesTo(out: Float64Array): number {
    const n = this.size;
    let at = this.head;
    for (let i = 0; i < n; i++) {
      out[i] = this.values[at];
      if (++at === this.capacity) at = 0;
    }
    return n;
  }

  /** Values oldest first (a copy). */
  toArray(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.values[(this.head + i) % this.capacity];
    return out;
  }

  toState(): RollingWindowMomentsState {
    return { capacity: this.capacity, values: this.toArray() };
  }

  static fromState(state: RollingWindowMomentsState): RollingWindowMoments {
    const window = new RollingWindowMoments(state.capacity);
    for (const v of state.values) window.push(v);
    return window;
  }

  private addToMoments(value: number): void {
    const delta = value - this.runningMean;
    this.runningMean += delta / this.size;
    this.sumSquaredDeviations += delta * (value - this.runningMean);
  }

  // The caller has not yet decremented `size`: the removal sees n values, leaves n − 1.
  private removeFromMoments(value: number): void {
    const remaining = this.size - 1;
    if (remaining === 0) {
      this.runningMean = 0;
      this.sumSquaredDeviations = 0;
      this.size = 0;
      return;
    }
    const oldMean = this.runningMean;
    this.runningMean = oldMean - (value - oldMean) / remaining;
    this.sumSquaredDeviations -= (value - oldMean) * (value - this.runningMean);
    this.size = remaining;
  }

  private recompute(): void {
    this.pushesSinceRecompute = 0;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += this.values[(this.head + i) % this.capacity];
    const mean = this.size === 0 ? 0 : sum / this.size;
    let m2 = 0;
    for (let i = 0; i < this.size; i++) {
      const d = this.values[(this.head + i) % this.capacity] - mean;
      m2 += d * d;
    }
    this.runningMean = mean;
    this.sumSquaredDeviations = m2;
  }
}

export interface RollingWindowMomentsState {
  capacity: number;
  /** Oldest first. */
  values: number[];
}
