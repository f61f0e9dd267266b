/**
 * Exponentially weighted mean and variance with a warm-up that behaves like a plain mean.
 *
 * Method: the incremental EWMA/EWMVar of Finch 2009, "Incremental calculation of weighted
 * mean and variance" (§9):  δ = x − μ;  μ ← μ + αδ;  σ² ← (1 − α)(σ² + αδ²).
 * The effective weight is `max(alpha, 1 / (n + 1))`: while fewer than 1/α values have been
 * seen the result equals the cumulative mean and population variance (Welford), so the first
 * values are not drowned by an arbitrary start value (the same idea as river's warm-up).
 * A prior can be given as a pseudo-count: `EwmaMoments.withPrior(α, μ0, σ²0, n0)` weighs the
 * prior like n0 observations, which is how a new key borrows its account's baseline.
 *
 * Repeated values (idle buckets of zero spend) are applied in closed form once the warm-up
 * is over:  μ_n = x + (1 − α)^n (μ0 − x),  σ²_n = (1 − α)^n [σ²0 + (μ0 − x)² (1 − (1 − α)^n)],
 * so a key idle for a week costs O(1), not 10,080 updates.
 *
 * @example
 * const e = new EwmaMoments(0.5);
 * e.update(1); e.update(3); // warm-up: plain mean of 1 and 3
 * e.mean; // => 2
 * e.variance; // => 1
 */
export class EwmaMoments {
  private weightedMean = 0;
  private weightedVariance = 0;
  private observations = 0;

  /** @throws {RangeError} when alpha is not in (0, 1] */
  constructor(readonly alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  }

  /** An EWMA that starts from a prior mean/variance weighted like `pseudoCount` observations. */
  static withPrior(alpha: number, mean: number, variance: number, pseudoCount: number): EwmaMoments {
    const e = new EwmaMoments(alpha);
    e.weightedMean = mean;
    e.weightedVariance = Math.max(0, variance);
    e.observations = Math.max(0, pseudoCount);
    return e;
  }

  /** Alpha as a half-life in observations: the weight of a value halves after `halfLife` updates. */
  static alphaForHalfLife(halfLife: number): number {
    return 1 - Math.pow(0.5, 1 / halfLife);
  }

  get mean(): number {
    return this.weightedMean;
  }

  get variance(): number {
    return this.weightedVariance;
  }

  get standardDeviation(): number {
    return Math.sqrt(this.weightedVariance);
  }

  /** Number of observations (plus prior pseudo-count) absorbed so far. */
  get count(): number {
    return this.observations;
  }

  update(value: number): void {
    this.observations += 1;
    const weight = Math.max(this.alpha, 1 / this.observations);
    const delta = value - this.weightedMean;
    const increment = weight * delta;
    this.weightedMean += increment;
    this.weightedVariance = (1 - weight) * (this.weightedVariance + delta * increment);
  }

  /** Same result as `update(value)` `times` times; O(1) after warm-up. */
  updateRepeated(value: number, times: number): void {
    let remaining = Math.max(0, Math.floor(times));
    // Warm-up steps have a varying weight: apply them one by one (at most 1/alpha in a key's life).
    while (remaining > 0 && 1 / (this.observations + 1) > this.alpha) {
      this.update(value);
      remaining--;
    }
    if (remaining === 0) return;
    const decay = remaining === 1 ? 1 - this.alpha : Math.pow(1 - this.alpha, remaining); // pow(x, 1) is x exactly
    const delta0 = this.weightedMean - value;
    this.weightedVariance = decay * (this.weightedVariance + delta0 * delta0 * (1 - decay));
    this.weightedMean = value + decay * delta0;
    this.observations += remaining;
  }

  toState(): EwmaMomentsState {
    return { alpha: this.alpha, mean: this.weightedMean, variance: this.weightedVariance, count: this.observations };
  }

  static fromState(state: EwmaMomentsState): EwmaMoments {
    return EwmaMoments.withPrior(state.alpha, state.mean, state.variance, state.count);
  }
}

export interface EwmaMomentsState {
  alpha: number;
  mean: number;
  variance: number;
  count: number;
}
