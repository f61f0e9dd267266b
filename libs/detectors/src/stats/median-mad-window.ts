/**
 * Median and median absolute deviation (MAD) of the last `capacity` values.
 *
 * Method: a ring buffer (arrival order) plus a sorted copy kept by binary-search insertion
 * and removal, O(capacity) memory moves per push (a `copyWithin`, fast for the ≤ a few
 * hundred values a bucket window holds). The median is read in O(1). The MAD is found in
 * O(capacity) without sorting: deviations from the median grow monotonically when walking
 * outwards from the median in the sorted array, so a two-pointer merge yields them in order
 * and stops at the middle one. Definition as simple-statistics' `medianAbsoluteDeviation`
 * (median of |x − median(x)|, averaging the two middle values for even counts); for a normal
 * distribution σ ≈ 1.4826 × MAD (Rousseeuw & Croux 1993; Iglewicz & Hoaglin 1993 for the
 * modified z-score 0.6745 (x − median) / MAD).
 *
 * @example
 * const w = new MedianMadWindow(7);
 * [1, 1, 2, 2, 4, 6, 9].forEach((x) => w.push(x));
 * w.median(); // => 2
 * w.medianAbsoluteDeviation(); // => 1
 */
export class MedianMadWindow {
  private readonly arrival: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private size = 0;

  /** @throws {RangeError} when capacity is not a positive integer */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.arrival = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.capacity) {
      const leaving = this.arrival[this.head];
      this.arrival[this.head] = value;
      this.head = (this.head + 1) % this.capacity;
      this.removeSorted(leaving);
    } else {
      this.arrival[(this.head + this.size) % this.capacity] = value;
    }
    this.insertSorted(value);
  }

  /** Same as `push(value)` `times` times, in O(min(times, capacity) × capacity). */
  pushRepeated(value: number, times: number): void {
    const effective = Math.min(times, this.capacity);
    for (let i = 0; i < effective; i++) this.push(value);
  }

  /** @throws {RangeError} on an empty window */
  median(): number {
    if (this.size === 0) throw new RangeError('median of an empty window');
    return medianOfSorted(this.sorted, this.size);
  }

  /** @throws {RangeError} on an empty window */
  medianAbsoluteDeviation(): number {
    return medianAbsoluteDeviationOfSorted(this.sorted, this.size, this.median());
  }

  /** Values oldest first (a copy). */
  toArray(): number[] {
    const out = new Array<number>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.arrival[(this.head + i) % this.capacity];
    return out;
  }

  toState(): MedianMadWindowState {
    return { capacity: this.capacity, values: this.toArray() };
  }

  static fromState(state: MedianMadWindowState): MedianMadWindow {
    const window = new MedianMadWindow(state.capacity);
    for (const v of state.values) window.push(v);
    return window;
  }

  private insertSorted(value: number): void {
    const at = lowerBound(this.sorted, this.size, value);
    this.sorted.copyWithin(at + 1, at, this.size);
    this.sorted[at] = value;
    this.size++;
  }

  private removeSorted(value: number): void {
    const at = lowerBound(this.sorted, this.size, value);
    this.sorted.copyWithin(at, at + 1, this.size);
    this.size--;
  }
}

/** Median of sorted[0..n) (n ≥ 1): the middle value, or the mean of the two middle values. */
export function medianOfSorted(sorted: Float64Array, n: number): number {
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * MAD of sorted[0..n) (n ≥ 1) around `center` (its median) in O(n) without sorting:
 * deviations from the median grow monotonically when walking outwards from it in the
 * sorted array, so a two-pointer merge yields them in order and stops at the middle one.
 */
export function medianAbsoluteDeviationOfSorted(sorted: Float64Array, n: number, center: number): number {
  // Deviations in increasing order: walk left from `lo` and right from `hi`.
  let hi = lowerBound(sorted, n, center);
  let lo = hi - 1;
  const wanted = n >> 1; // index (0-based) of the upper middle deviation
  let previous = 0;
  let current = 0;
  for (let i = 0; i <= wanted; i++) {
    const left = lo >= 0 ? center - sorted[lo] : Infinity;
    const right = hi < n ? sorted[hi] - center : Infinity;
    previous = current;
    if (left <= right) {
      current = left;
      lo--;
    } else {
      current = right;
      hi++;
    }
  }
  return n % 2 === 1 ? current : (previous + current) / 2;
}

/** First index in sorted[0..length) whose value is ≥ value. */
function lowerBound(sorted: Float64Array, length: number, value: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface MedianMadWindowState {
  capacity: number;
  /** Oldest first. */
  values: number[];
}
