/**
 * Rolling z-score: how many standard deviations a bucket lies above the mean of the last
 * `windowBuckets` closed buckets, z = (x − mean) / s (s = sample standard deviation).
 * Reference: any SPC text, e.g. NIST/SEMATECH e-Handbook §6.3.2 (Shewhart chart); river's
 * `anomaly.GaussianScorer` for the streaming "score then learn" form.
 *
 * The engine asks for the level (the smallest bucket value that reaches the threshold) once
 * per bucket, so judging the bucket in progress is one comparison per event.
 *
 * @example
 * rollingZscore(16, 10, 2); // => 3
 * rollingZscoreLevel(10, 2, 3); // => 16
 */
export function rollingZscore(observed: number, mean: number, standardDeviation: number): number {
  return (observed - mean) / Math.max(standardDeviation, MIN_SCALE);
}

export function rollingZscoreLevel(mean: number, standardDeviation: number, threshold: number): number {
  return mean + threshold * Math.max(standardDeviation, MIN_SCALE);
}

/** Guards against a zero spread (a series of identical buckets) turning any value into z = ∞. */
export const MIN_SCALE = 1e-9;
