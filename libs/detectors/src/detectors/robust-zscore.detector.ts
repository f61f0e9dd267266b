import { MIN_SCALE } from './rolling-zscore.detector';

/**
 * Robust (modified) z-score over the window: M = 0.6745 (x − median) / MAD.
 * Median and MAD are barely moved by the outliers (batch jobs, past drains) that inflate
 * the plain z-score's standard deviation. Reference: Iglewicz & Hoaglin (1993), "How to
 * Detect and Handle Outliers", who recommend |M| > 3.5 for a single outlier; spend series
 * are heavy-tailed, hence a higher default threshold.
 *
 * @example
 * robustZscore(12, 2, 1); // => 6.745
 * robustZscoreLevel(2, 1, 6.745); // => 12
 */
export function robustZscore(observed: number, median: number, medianAbsoluteDeviation: number): number {
  return (MAD_TO_Z * (observed - median)) / Math.max(medianAbsoluteDeviation, MIN_SCALE);
}

export function robustZscoreLevel(median: number, medianAbsoluteDeviation: number, threshold: number): number {
  return median + (threshold * Math.max(medianAbsoluteDeviation, MIN_SCALE)) / MAD_TO_Z;
}

/** 0.6745 = Φ⁻¹(0.75): makes MAD/0.6745 estimate σ for normal data. */
export const MAD_TO_Z = 0.6745;
