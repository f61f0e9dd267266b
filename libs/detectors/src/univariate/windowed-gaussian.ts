import { normalUpperTail } from './erfc';
import { pairwiseSum } from './pairwise-sum';
import type { StreamingAnomalyScorer } from './streaming-scorer';

/**
 * NAB's "windowed Gaussian" baseline, reproduced bit for bit.
 *
 * Method (NAB `nab/detectors/gaussian/windowedGaussian_detector.py`):
 * - keep up to `windowSize` past values; while the window fills, recompute its mean and
 *   population standard deviation (ddof = 0) after every value; once full, collect values in
 *   a buffer and slide the window by `stepSize` values at a time;
 * - a standard deviation of exactly 0 is replaced by 1e-6;
 * - score x against the statistics from before it arrived: 1 − Q(|x − μ| / σ) with
 *   Q(z) = ½·erfc(z/√2); values below the mean are reflected to 2μ − x first, as NAB does;
 * - the very first value scores 0.
 *
 * Mean and deviation are recomputed with NumPy's summation order so that the scores which
 * round to exactly 1.0 (NAB's published threshold) are the same rows NAB finds.
 * Cost: O(window) per value while the window fills, which is fine for a benchmark baseline.
 */
export interface WindowedGaussianOptions {
  /** Maximum number of past values in the window (NAB: 6400). */
  readonly windowSize: number;
  /** Number of values the window moves by once it is full (NAB: 100). */
  readonly stepSize: number;
}

export const NAB_WINDOWED_GAUSSIAN: WindowedGaussianOptions = { windowSize: 6400, stepSize: 100 };
/** Replacement for a zero standard deviation (NAB's value). */
const MIN_STANDARD_DEVIATION = 0.000001;

export class WindowedGaussianScorer implements StreamingAnomalyScorer {
  private window: number[] = [];
  private buffer: number[] = [];
  private mean = 0;
  private standardDeviation = 1;

  constructor(private readonly options: WindowedGaussianOptions = NAB_WINDOWED_GAUSSIAN) {}

  /** 1 − Q(|x − μ|/σ) against the current window; 0 before any value was learnt. */
  score(value: number): number {
    if (this.window.length === 0) return 0;
    const reflected = value < this.mean ? 2 * this.mean - value : value;
    const z = (reflected - this.mean) / this.standardDeviation;
    return 1 - normalUpperTail(z);
  }

  learn(value: number): void {
    if (this.window.length < this.options.windowSize) {
      this.window.push(value);
      this.recompute();
      return;
    }
    this.buffer.push(value);
    if (this.buffer.length === this.options.stepSize) {
      this.window = this.window.slice(this.options.stepSize).concat(this.buffer);
      this.buffer = [];
      this.recompute();
    }
  }

  scoreThenLearn(value: number): number {
    const anomalyScore = this.score(value);
    this.learn(value);
    return anomalyScore;
  }

  private recompute(): void {
    const n = this.window.length;
    const mean = pairwiseSum(this.window) / n;
    const squaredDeviations = this.window.map((v) => (v - mean) * (v - mean));
    const standardDeviation = Math.sqrt(pairwiseSum(squaredDeviations) / n);
    this.mean = mean;
    this.standardDeviation = standardDeviation === 0 ? MIN_STANDARD_DEVIATION : standardDeviation;
  }
}
