/**
 * Maximum of the last `capacity` values, O(1) amortised per push (monotonic deque: each
 * value enters and leaves the deque once; values dominated by a newer, larger one are dropped).
 *
 * @example
 * const m = new RollingMax(2);
 * [3, 1, 2].forEach((x) => m.push(x));
 * m.max; // => 2 (window holds 1, 2)
 */
export class RollingMax {
  private readonly indices: number[] = [];
  private readonly values: number[] = [];
  private pushed = 0;

  /** @throws {RangeError} when capacity is not a positive integer */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Maximum of the window, or −Infinity when empty. */
  get max(): number {
    return this.values.length > 0 ? this.values[0] : -Infinity;
  }

  push(value: number): void {
    while (this.values.length > 0 && this.values[this.values.length - 1] <= value) {
      this.values.pop();
      this.indices.pop();
    }
    this.values.push(value);
    this.indices.push(this.pushed);
    this.pushed++;
    if (this.indices[0] <= this.pushed - 1 - this.capacity) {
      this.indices.shift();
      this.values.shift();
    }
  }
}
