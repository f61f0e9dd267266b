/**
 * One-sided upper CUSUM on standardised values: detects a sustained upward shift of the
 * mean that each single value is too small to reveal.
 *
 * Method: Page 1954, "Continuous inspection schemes"; tabular form as in Montgomery,
 * "Introduction to Statistical Quality Control", §9.1:  S ← max(0, S + z − k),  alarm when
 * S ≥ h, where z = (x − μ0) / σ, k is the allowance (half the shift to detect, in σ) and h
 * the decision interval. Inputs are clipped to `maxStep` so one outlier (a batch job) cannot
 * push S over h by itself: only a run of elevated values can.
 *
 * @example
 * const c = new UpperCusum({ allowance: 0.5, maxStep: 3 });
 * [1, 1, 1].forEach((z) => c.update(z));
 * c.statistic; // => 1.5
 */
export class UpperCusum {
  private sum = 0;
  /** k; may change when the policy is replaced (the statistic is kept). */
  allowance: number;
  readonly maxStep: number;

  constructor(options: { allowance: number; maxStep?: number; statistic?: number }) {
    this.allowance = options.allowance;
    this.maxStep = options.maxStep ?? Infinity;
    this.sum = options.statistic ?? 0;
  }

  get statistic(): number {
    return this.sum;
  }

  /** Absorbs one standardised value and returns the new statistic. */
  update(standardizedValue: number): number {
    this.sum = cusumStep(this.sum, standardizedValue, this.maxStep, this.allowance);
    return this.sum;
  }

  /**
   * Absorbs `times` values known to be ≤ 0 (idle buckets: zero spend is never above a
   * non-negative baseline). Each lowers S by at least k; using exactly k is conservative
   * (S stays at or above the exact value) and O(1).
   */
  decayIdle(times: number): number {
    this.sum = cusumDecayIdle(this.sum, times, this.allowance);
    return this.sum;
  }

  reset(): void {
    this.sum = 0;
  }
}

/** `UpperCusum.update` on a statistic kept elsewhere (`SlowDrainDetector` keeps it in its state array): the new statistic. */
export function cusumStep(sum: number, standardizedValue: number, maxStep: number, allowance: number): number {
  const step = Math.min(standardizedValue, maxStep) - allowance;
  return Math.max(0, sum + step);
}

/** `UpperCusum.decayIdle` on a statistic kept elsewhere: the new statistic. */
export function cusumDecayIdle(sum: number, times: number, allowance: number): number {
  return Math.max(0, sum - times * allowance);
}
