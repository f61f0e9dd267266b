import { cusumDecayIdle, cusumStep } from '../stats/cusum';


// Imported functions used per closed bucket, copied into module constants: under a per-file
// CommonJS transform (tsx, ts-jest) each use of an imported binding is a getter call (see `SeriesState`).
const L_cusumStep = cusumStep;
const L_cusumDecayIdle = cusumDecayIdle;

/**
 * Slow drain: spend persistently above what this key usually spends at this hour of the
 * day, too small per bucket for any spike rule (a leaked key used at 2–3× normal, around
 * the clock). Method: an upper CUSUM (Page 1954) over standardised residuals
 * z = (x − μ_h) / s_h, where μ_h, σ²_h are exponentially weighted mean and variance of the
 * buckets in the same UTC hour of day, split weekday/weekend (48 profiles), so daily and
 * weekly cycles do not look like drift. s_h = max(σ_h, ½·μ_h): a very steady key still needs
 * a relative shift, not a cent, to move the statistic. z is clipped at 1.5 so a bucket adds at most
 * 1.5 − k to the statistic: with k = 0.5 the critical level 40 needs 40 consecutive elevated
 * minutes, longer than the batch jobs of normal traffic; only a sustained drain reaches it. The dollars above the baseline since the statistic left zero are summed so a
 * slow drain of pennies does not page.
 * Reference: Montgomery, "Introduction to Statistical Quality Control", §9.1 (tabular CUSUM);
 * seasonal baselines as in Hochenbaum et al. 2017 (Twitter's S-H-ESD), simplified.
 *
 * Learning: every closed bucket updates its hour profile (score first, then learn). Until
 * a profile has seen 60 buckets it is not judged (and `expectedMean` falls back to the
 * caller's overall baseline).
 */
export class SlowDrainDetector {
  /** The detector's state (layout `SD_*`, as `SeriesState` embeds it in its one state array). */
  private readonly d = new Float64Array(SD_SIZE + 3); // + scratch for the inputs and output of `sdScoreAndLearnAt` / `sdLearnIdle`

  constructor(alpha: number, allowance: number, state?: SlowDrainState) {
    sdInit(this.d, 0, alpha, allowance, state);
  }

  get statistic(): number {
    return this.d[SD_STATISTIC];
  }

  /** Dollars above the baseline since the statistic last left zero. */
  get excessUsd(): number {
    return this.d[SD_EXCESS];
  }

  /** Bucket start (ms) at which the statistic last left zero. */
  get runStart(): number {
    return this.d[SD_RUN_START];
  }

  /** New CUSUM allowance k (policy replaced); the statistic and profiles are kept. */
  setAllowance(allowance: number): void {
    this.d[SD_ALLOWANCE] = allowance;
  }

  /** Baseline for the bucket starting at `bucketStart`, falling back to `fallback` while the profile is young. */
  expectedMean(bucketStart: number, fallbackMean: number): number {
    return sdExpectedMeanAt(this.d, 0, profileIndex(bucketStart), fallbackMean);
  }

  /** `expectedMean` for a precomputed `profileIndex(bucketStart)`. */
  expectedMeanAt(profile: number, fallbackMean: number): number {
    return sdExpectedMeanAt(this.d, 0, profile, fallbackMean);
  }

  /** Whether profile `profile` has seen enough buckets to be judged (else `expectedMeanAt` is the fallback). */
  matureAt(profile: number): boolean {
    return sdMatureAt(this.d, 0, profile);
  }

  /** Scores the closed bucket (returns the CUSUM statistic), then learns it. */
  scoreAndLearn(bucketStart: number, value: number, judge: boolean): number {
    return this.scoreAndLearnAt(profileIndex(bucketStart), bucketStart, value, judge);
  }

  /** `scoreAndLearn` for a precomputed `profileIndex(bucketStart)`. */
  scoreAndLearnAt(p: number, bucketStart: number, value: number, judge: boolean): number {
    this.d[SD_SIZE] = bucketStart;
    this.d[SD_SIZE + 1] = value;
    sdScoreAndLearnAt(this.d, 0, p, SD_SIZE, SD_SIZE + 1, judge);
    return this.d[SD_STATISTIC];
  }

  /** See `sdLearnIdle`. */
  learnIdle(fromBucketStart: number, count: number, bucketMs: number, fallbackMean = 0): number {
    // Scratch after the state: the bucket before the gap, the fallback, the expected sum.
    this.d[SD_SIZE] = fromBucketStart - bucketMs;
    this.d[SD_SIZE + 1] = fallbackMean;
    this.d[SD_SIZE + 2] = 0;
    sdLearnIdle(this.d, 0, SD_SIZE, count, bucketMs, SD_SIZE + 1, SD_SIZE + 2);
    return this.d[SD_SIZE + 2];
  }

  toState(): SlowDrainState {
    return sdToState(this.d, 0);
  }
}

// The math on a Float64Array at offset `o` (layout `SD_*`): the class above and `SeriesState`
// (which embeds the detector in its one state array) run the same code.
export const SD_STATISTIC = 0; // CUSUM statistic S
export const SD_ALLOWANCE = 1; // CUSUM allowance k
export const SD_EXCESS = 2;
export const SD_RUN_START = 3;
export const SD_ALPHA = 4;
/** Per profile p: mean at 3p, variance at 3p + 1, count at 3p + 2 (one cache line per bucket's profile). */
export const SD_PROFILES = 5;
export const SD_SIZE = SD_PROFILES + 3 * 48;

export function sdInit(a: Float64Array, o: number, alpha: number, allowance: number, state?: SlowDrainState): void {
  a[o + SD_ALPHA] = alpha;
  a[o + SD_ALLOWANCE] = allowance;
  if (state) {
    for (let p = 0; p < PROFILES; p++) {
      a[o + SD_PROFILES + 3 * p] = state.mean[p];
      a[o + SD_PROFILES + 3 * p + 1] = state.variance[p];
      a[o + SD_PROFILES + 3 * p + 2] = state.count[p];
    }
  }
  a[o + SD_STATISTIC] = state?.statistic ?? 0;
  a[o + SD_EXCESS] = state?.excessUsd ?? 0;
  a[o + SD_RUN_START] = state?.runStart ?? 0;
}

export function sdExpectedMeanAt(a: Float64Array, o: number, profile: number, fallbackMean: number): number {
  const m = o + SD_PROFILES + 3 * profile;
  return a[m + 2] < MIN_PROFILE_COUNT ? fallbackMean : a[m];
}

export function sdMatureAt(a: Float64Array, o: number, profile: number): boolean {
  return a[o + SD_PROFILES + 3 * profile + 2] >= MIN_PROFILE_COUNT;
}

/**
 * Scores the closed bucket at profile `p` (the new CUSUM statistic is `a[o + SD_STATISTIC]`),
 * then learns it. Its start and value are read from `a[startAt]` and `a[valueAt]`: called
 * once per closed bucket and too big to inline, it takes no double argument and returns
 * none, so the call allocates no boxed number.
 */
export function sdScoreAndLearnAt(a: Float64Array, o: number, p: number, startAt: number, valueAt: number, judge: boolean): void {
  const m = o + SD_PROFILES + 3 * p;
  const value = a[valueAt];
  // A young profile (first day of a key, first weekend) has no hour-of-day baseline yet:
  // judging against the overall mean would read the daily cycle as drift.
  if (judge && a[m + 2] >= MIN_PROFILE_COUNT) {
    const mean = a[m];
    const scale = Math.max(Math.sqrt(a[m + 1]), 0.5 * mean, MIN_SCALE_USD);
    const before = a[o + SD_STATISTIC];
    const after = L_cusumStep(before, (value - mean) / scale, MAX_STEP, a[o + SD_ALLOWANCE]);
    a[o + SD_STATISTIC] = after;
    if (after === 0) a[o + SD_EXCESS] = 0;
    else {
      if (before === 0) a[o + SD_RUN_START] = a[startAt];
      a[o + SD_EXCESS] += value - mean;
    }
  }
  sdLearn(a, o, p, value, 1);
}

/**
 * `count` idle buckets (zero spend) following the bucket that starts at `a[bucketStartAt]`:
 * the statistic decays, and each hour profile the gap crosses learns its zeros in closed
 * form. Gaps longer than 8 days only replay their last 8 days (older zeros are outweighed
 * anyway). Adds what those buckets were expected to cost (each at its hour profile before
 * learning it, `a[fallbackMeanAt]` for a young profile; last 8 days of a longer gap only:
 * callers compare this sum over the last hour) to `a[expectedTotalAt]`.
 * Indices, not doubles, cross this call: a double argument or result of a call that is not
 * inlined is boxed (a heap allocation per idle gap).
 */
export function sdLearnIdle(a: Float64Array, o: number, bucketStartAt: number, count: number, bucketMs: number, fallbackMeanAt: number, expectedTotalAt: number): void {
  if (count <= 0) return;
  const fromBucketStart = a[bucketStartAt] + bucketMs;
  const fallbackMean = a[fallbackMeanAt];
  const statistic = L_cusumDecayIdle(a[o + SD_STATISTIC], count, a[o + SD_ALLOWANCE]);
  a[o + SD_STATISTIC] = statistic;
  if (statistic === 0) a[o + SD_EXCESS] = 0;
  const end = fromBucketStart + count * bucketMs;
  let t = Math.max(fromBucketStart, end - MAX_IDLE_REPLAY_MS);
  let expected = 0;
  while (t < end) {
    const hourEnd = Math.min(end, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS);
    const buckets = Math.ceil((hourEnd - t) / bucketMs);
    const p = profileIndex(t);
    expected += buckets * sdExpectedMeanAt(a, o, p, fallbackMean);
    sdLearn(a, o, p, 0, buckets);
    t += buckets * bucketMs;
  }
  a[expectedTotalAt] += expected;
}

export function sdToState(a: Float64Array, o: number): SlowDrainState {
  const at = (p: number, field: number): number => a[o + SD_PROFILES + 3 * p + field];
  return {
    mean: Array.from({ length: PROFILES }, (_, p) => at(p, 0)),
    variance: Array.from({ length: PROFILES }, (_, p) => at(p, 1)),
    count: Array.from({ length: PROFILES }, (_, p) => at(p, 2)),
    statistic: a[o + SD_STATISTIC],
    excessUsd: a[o + SD_EXCESS],
    runStart: a[o + SD_RUN_START],
  };
}

// EWMA with warm-up weight max(alpha, 1/n) per profile, repeated values in closed form (see EwmaMoments).
function sdLearn(a: Float64Array, o: number, p: number, value: number, times: number): void {
  const alpha = a[o + SD_ALPHA];
  const m = o + SD_PROFILES + 3 * p;
  let remaining = times;
  while (remaining > 0 && 1 / (a[m + 2] + 1) > alpha) {
    a[m + 2] += 1;
    const w = 1 / a[m + 2];
    const delta = value - a[m];
    a[m] += w * delta;
    a[m + 1] = (1 - w) * (a[m + 1] + w * delta * delta);
    remaining--;
  }
  if (remaining === 0) return;
  const decay = remaining === 1 ? 1 - alpha : Math.pow(1 - alpha, remaining); // pow(x, 1) is x exactly
  const delta0 = a[m] - value;
  a[m + 1] = decay * (a[m + 1] + delta0 * delta0 * (1 - decay));
  a[m] = value + decay * delta0;
  a[m + 2] += remaining;
}

/** Hour of day (UTC) × weekday/weekend. */
export function profileIndex(time: number): number {
  const hour = Math.floor(time / HOUR_MS) % 24;
  const dayOfWeek = (Math.floor(time / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday (4)
  const weekend = dayOfWeek === 0 || dayOfWeek === 6 ? 1 : 0;
  return weekend * 24 + hour;
}

const PROFILES = 48;
const MAX_STEP = 1.5;
const MIN_PROFILE_COUNT = 60;
const MIN_SCALE_USD = 1e-4;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MAX_IDLE_REPLAY_MS = 8 * DAY_MS;

export interface SlowDrainState {
  mean: number[];
  variance: number[];
  count: number[];
  statistic: number;
  excessUsd: number;
  runStart: number;
}
