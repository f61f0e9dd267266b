import { MIN_SCALE } from './rolling-zscore.detector';

/**
 * EWMA control limit: a bucket is out of control when it exceeds μ̂ + L·σ̂, where μ̂ and σ̂²
 * are the exponentially weighted mean and variance of past buckets (see `EwmaMoments`).
 * Unlike the rolling window it remembers hours of history in O(1) state and adapts to
 * slow growth. Reference: Roberts (1959), "Control chart tests based on geometric moving
 * averages"; the EW variance form as in Finch (2009) and river's `stats.EWVar`.
 *
 * @example
 * ewmaScore(14, 2, 2); // => 6 (σ units above the EWMA mean)
 * ewmaUpperControlLimit(2, 2, 6); // => 14
 */
export function ewmaScore(observed: number, ewmaMean: number, ewmaStandardDeviation: number): number {
  return (observed - ewmaMean) / Math.max(ewmaStandardDeviation, MIN_SCALE);
}

export function ewmaUpperControlLimit(ewmaMean: number, ewmaStandardDeviation: number, sigmas: number): number {
  return ewmaMean + sigmas * Math.max(ewmaStandardDeviation, MIN_SCALE);
}
