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
  /** mean, variance, count, alpha at the `EWMA_*` offsets (the layout `SeriesState` embeds in its slab). */
  private readonly m = new Float64Array(EWMA_SIZE);

  /** @throws {RangeError} when alpha is not in (0, 1] */
  constructor(alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
    this.m[EWMA_ALPHA] = alpha;
  }

  /** An EWMA that starts from a prior mean/variance weighted like `pseudoCount` observations. */
  static withPrior(alpha: number, mean: number, variance: number, pseudoCount: number): EwmaMoments {
    const e = new EwmaMoments(alpha);
    ewmaInit(e.m, 0, alpha, mean, variance, pseudoCount);
    return e;
  }

  /** Alpha as a half-life in observations: the weight of a value halves after `halfLife` updates. */
  static alphaForHalfLife(halfLife: number): number {
    return 1 - Math.pow(0.5, 1 / halfLife);
  }

  get alpha(): number {
    return this.m[EWMA_ALPHA];
  }

  get mean(): number {
    return this.m[EWMA_MEAN];
  }

  get variance(): number {
    return this.m[EWMA_VARIANCE];
  }

  get standardDeviation(): number {
    return Math.sqrt(this.m[EWMA_VARIANCE]);
  }

  /** Number of observations (plus prior pseudo-count) absorbed so far. */
  get count(): number {
    return this.m[EWMA_COUNT];
  }

  update(value: number): void {
    ewmaUpdate(this.m, 0, value);
  }

  /** Same result as `update(value)` `times` times; O(1) after warm-up. */
  updateRepeated(value: number, times: number): void {
    ewmaUpdateRepeated(this.m, 0, value, times);
  }

  toState(): EwmaMomentsState {
    return ewmaToState(this.m, 0);
  }

  static fromState(state: EwmaMomentsState): EwmaMoments {
    return EwmaMoments.withPrior(state.alpha, state.mean, state.variance, state.count);
  }
}

// The math on a Float64Array at offset `o` (layout `EWMA_*`): the class above and
// `SeriesState` (which packs its four EWMAs into one array, no object or boxed double per
// field) run the same code.
export const EWMA_MEAN = 0;
export const EWMA_VARIANCE = 1;
export const EWMA_COUNT = 2;
export const EWMA_ALPHA = 3;
export const EWMA_SIZE = 4;

export function ewmaInit(a: Float64Array, o: number, alpha: number, mean: number, variance: number, pseudoCount: number): void {
  a[o + EWMA_MEAN] = mean;
  a[o + EWMA_VARIANCE] = Math.max(0, variance);
  a[o + EWMA_COUNT] = Math.max(0, pseudoCount);
  a[o + EWMA_ALPHA] = alpha;
}

export function ewmaUpdate(a: Float64Array, o: number, value: number): void {
  const observations = a[o + EWMA_COUNT] + 1;
  a[o + EWMA_COUNT] = observations;
  const weight = Math.max(a[o + EWMA_ALPHA], 1 / observations);
  const delta = value - a[o + EWMA_MEAN];
  const increment = weight * delta;
  a[o + EWMA_MEAN] += increment;
  a[o + EWMA_VARIANCE] = (1 - weight) * (a[o + EWMA_VARIANCE] + delta * increment);
}

/**
 * `ewmaUpdate` of the value at `a[at]`. For hot callers: a double argument of a call that is
 * not inlined is boxed (a heap allocation); an index is not, and the update inlines here.
 */
export function ewmaUpdateAt(a: Float64Array, o: number, at: number): void {
  ewmaUpdate(a, o, a[at]);
}

/** `ewmaUpdate(value)` `times` times; O(1) after warm-up. */
export function ewmaUpdateRepeated(a: Float64Array, o: number, value: number, times: number): void {
  const alpha = a[o + EWMA_ALPHA];
  let remaining = Math.max(0, Math.floor(times));
  // Warm-up steps have a varying weight: apply them one by one (at most 1/alpha in a key's life).
  while (remaining > 0 && 1 / (a[o + EWMA_COUNT] + 1) > alpha) {
    ewmaUpdate(a, o, value);
    remaining--;
  }
  if (remaining === 0) return;
  const decay = remaining === 1 ? 1 - alpha : Math.pow(1 - alpha, remaining); // pow(x, 1) is x exactly
  const delta0 = a[o + EWMA_MEAN] - value;
  a[o + EWMA_VARIANCE] = decay * (a[o + EWMA_VARIANCE] + delta0 * delta0 * (1 - decay));
  a[o + EWMA_MEAN] = value + decay * delta0;
  a[o + EWMA_COUNT] += remaining;
}

export function ewmaToState(a: Float64Array, o: number): EwmaMomentsState {
  return { alpha: a[o + EWMA_ALPHA], mean: a[o + EWMA_MEAN], variance: a[o + EWMA_VARIANCE], count: a[o + EWMA_COUNT] };
}

export interface EwmaMomentsState {
  alpha: number;
  mean: number;
  variance: number;
  count: number;
}
