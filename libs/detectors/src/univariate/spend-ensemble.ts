import { EwmaMoments, MedianMadWindow } from '../stats';
import { RollingMax } from './rolling-max';
import type { StreamingAnomalyScorer } from './streaming-scorer';

/**
 * spendguard's univariate anomaly-score ensemble: the spend detectors' methods applied to one
 * numeric series, combined into one score in [0, 1]. One configuration for every series.
 *
 * For each value x, scored against the state before x and only then learnt:
 * 1. level: robust z-score |x − median| / (1.4826·MAD) over the last `levelWindow` values
 *    (Iglewicz & Hoaglin's modified z-score; robust to the outliers it is looking for);
 * 2. EWMA control limit: |x − μ_ewma| / σ_ewma with a `ewmaHalfLife`-value half-life
 *    (Roberts 1959; follows drifts the median window is slow to see).
 *    Each z is divided by its alarm limit (`levelAlarm`, `ewmaAlarm`); the surprise s is the
 *    larger of the two.
 * 3. novelty: s divided by the largest surprise of the last `noveltyWindow` values (at least
 *    `minSurprise`). A value is only alarming if it is more surprising than anything recently
 *    seen, which makes the score self-calibrating across series of very different noise; the
 *    score is novelty/(1+novelty), so 0.5 means "as surprising as the recent worst".
 * 4. hold-off: a value whose novelty reaches `holdOffNovelty` starts a quiet period of
 *    `holdOff` values during which scores are multiplied by `holdOffDamping`, so one incident
 *    alarms once (as a spend alert deduplicates) instead of at every value of it.
 * The first `warmUp` values score 0. Scales are floored at `relativeScaleFloor`·|median| (and
 * `absoluteScaleFloor`) so a flat series cannot produce an infinite z-score.
 *
 * Also tried and left out because they lowered the NAB score on the visible set: a robust
 * z-score of the first difference, a two-sided CUSUM of the level z-score and a short-EWMA
 * level shift statistic (see bench/nab/README.md).
 */
export interface SpendEnsembleOptions {
  readonly levelWindow: number;
  readonly levelAlarm: number;
  readonly ewmaHalfLife: number;
  readonly ewmaAlarm: number;
  readonly noveltyWindow: number;
  readonly minSurprise: number;
  readonly holdOff: number;
  readonly holdOffNovelty: number;
  readonly holdOffDamping: number;
  readonly warmUp: number;
  readonly relativeScaleFloor: number;
  readonly absoluteScaleFloor: number;
}

export const DEFAULT_SPEND_ENSEMBLE: SpendEnsembleOptions = {
  levelWindow: 400,
  levelAlarm: 6,
  ewmaHalfLife: 50,
  ewmaAlarm: 9,
  noveltyWindow: 500,
  minSurprise: 0.5,
  holdOff: 60,
  holdOffNovelty: 1.1,
  holdOffDamping: 0.3,
  warmUp: 30,
  relativeScaleFloor: 1e-3,
  absoluteScaleFloor: 1e-9,
};

/** σ ≈ 1.4826·MAD for normally distributed data. */
const MAD_TO_SIGMA = 1.4826;

/** Both statistics divided by their alarm limits (1 = at the limit). */
export interface EnsembleComponents {
  readonly level: number;
  readonly ewma: number;
}

export class SpendEnsembleScorer implements StreamingAnomalyScorer {
  private readonly levels: MedianMadWindow;
  private readonly ewma: EwmaMoments;
  private readonly recentSurprise: RollingMax;
  private seen = 0;
  private valuesSinceHoldOff = Infinity;

  constructor(private readonly options: SpendEnsembleOptions = DEFAULT_SPEND_ENSEMBLE) {
    this.levels = new MedianMadWindow(options.levelWindow);
    this.ewma = new EwmaMoments(EwmaMoments.alphaForHalfLife(options.ewmaHalfLife));
    this.recentSurprise = new RollingMax(options.noveltyWindow);
  }

  /** The component statistics for `value` against the current state (no state change). */
  components(value: number): EnsembleComponents {
    const median = this.levels.median();
    const floor = Math.max(this.options.relativeScaleFloor * Math.abs(median), this.options.absoluteScaleFloor);
    const robustScale = Math.max(MAD_TO_SIGMA * this.levels.medianAbsoluteDeviation(), floor);
    const ewmaScale = Math.max(this.ewma.standardDeviation, floor);
    return {
      level: Math.abs(value - median) / robustScale / this.options.levelAlarm,
      ewma: Math.abs(value - this.ewma.mean) / ewmaScale / this.options.ewmaAlarm,
    };
  }

  scoreThenLearn(value: number): number {
    const o = this.options;
    let anomalyScore = 0;
    if (this.seen >= o.warmUp) {
      const { level, ewma } = this.components(value);
      const surprise = Math.max(level, ewma);
      const novelty = surprise / Math.max(this.recentSurprise.max, o.minSurprise);
      anomalyScore = novelty / (1 + novelty);
      if (this.valuesSinceHoldOff < o.holdOff) anomalyScore *= o.holdOffDamping;
      else if (novelty >= o.holdOffNovelty) this.valuesSinceHoldOff = 0;
      this.recentSurprise.push(surprise);
    }
    this.learn(value);
    return anomalyScore;
  }

  private learn(value: number): void {
    this.levels.push(value);
    this.ewma.update(value);
    this.seen++;
    this.valuesSinceHoldOff++;
  }
}
