import { EwmaMoments, MedianMadWindow } from '../stats';
import { RollingMax } from './rolling-max';
import type { StreamingAnomalyScorer } from './streaming-scorer';

/**
 * spendguard's univariate anomaly-score ensemble: the spend detectors' methods applied to one
 * numeric series, combined into one score in [0, 1]. One configuration for every series.
 *
 * For each value x (at time t), scored against the state before x and only then learnt:
 * 1. level: robust z-score |x − median| / (1.4826·MAD) over the last `levelWindow` values
 *    (Iglewicz & Hoaglin's modified z-score; robust to the outliers it is looking for);
 * 2. EWMA control limit: |x − μ_ewma| / σ_ewma with a `ewmaHalfLife`-value half-life
 *    (Roberts 1959; follows drifts the median window is slow to see);
 * 3. seasonal baseline: the seasonal residual r = x − b, where b is the median of the values
 *    seen at exactly t − k·`seasonMs` for k = 1..`seasons` (the same time on the previous
 *    days), scored as a robust z-score against the last `levelWindow` residuals. It sees a
 *    value that is normal for the series but not for the time of day (a missing daily peak,
 *    a flat day), which the level cannot; the median of several past seasons keeps a one-off
 *    spike from echoing a season later. Off until a value at t − `seasonMs` was seen (and
 *    when no timestamps are given).
 *    Each z is divided by its alarm limit (`levelAlarm` for level and seasonal, `ewmaAlarm`).
 * 4. novelty, per detector family: the point surprise max(level, ewma) and the seasonal
 *    surprise are each divided by their own largest value over the last `noveltyWindow`
 *    values (at least `minSurprise`); the novelty is the larger quotient. A value is only
 *    alarming if it is more surprising than anything recently seen by the same detector,
 *    which makes the score self-calibrating across series of very different noise; the
 *    score is novelty/(1+novelty), so 0.5 means "as surprising as the recent worst".
 * 5. hold-off: a value whose novelty reaches `holdOffNovelty` starts a quiet period of
 *    `holdOff` values during which scores are multiplied by `holdOffDamping`, so one incident
 *    alarms once (as a spend alert deduplicates) instead of at every value of it.
 * The first `warmUp` values score 0 (and the seasonal detector needs `warmUp` residuals).
 * Scales are floored at `relativeScaleFloor`·|median| (and `absoluteScaleFloor`) so a flat
 * series cannot produce an infinite z-score.
 *
 * Also tried and left out because they lowered the NAB score on the visible set: a robust
 * z-score of the first difference, a two-sided CUSUM of the level z-score, a short-EWMA level
 * shift statistic and a short-window mean (12 values) against its own history (see
 * bench/nab/README.md).
 */
export interface SpendEnsembleOptions {
  readonly levelWindow: number;
  readonly levelAlarm: number;
  readonly ewmaHalfLife: number;
  readonly ewmaAlarm: number;
  /** Season length in milliseconds of event time (0 turns the seasonal detector off). */
  readonly seasonMs: number;
  /** Number of past seasons whose values at the same time form the seasonal baseline. */
  readonly seasons: number;
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
  seasonMs: 24 * 60 * 60 * 1000,
  seasons: 3,
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

/** The component statistics divided by their alarm limits (1 = at the limit; seasonal 0 while off). */
export interface EnsembleComponents {
  readonly level: number;
  readonly ewma: number;
  readonly seasonal: number;
}

/** Robust z-score of `value` against a median/MAD window, the scale floored at `floor`. */
function robustZ(window: MedianMadWindow, value: number, floor: number): number {
  const median = window.median();
  return Math.abs(value - median) / Math.max(MAD_TO_SIGMA * window.medianAbsoluteDeviation(), floor);
}

export class SpendEnsembleScorer implements StreamingAnomalyScorer {
  private readonly levels: MedianMadWindow;
  private readonly ewma: EwmaMoments;
  /** Seasonal residuals x − baseline of the last `levelWindow` values that had a baseline. */
  private readonly seasonalResiduals: MedianMadWindow;
  /** Recent point (level/EWMA) and seasonal surprises, for the novelty. */
  private readonly recentPointSurprise: RollingMax;
  private readonly recentSeasonalSurprise: RollingMax;
  /** Values by event time for the last `seasons` seasons (first value of a repeated time). */
  private readonly history = new Map<number, number>();
  private historyTimes: number[] = [];
  private historyHead = 0;
  private seen = 0;
  private valuesSinceHoldOff = Infinity;

  constructor(private readonly options: SpendEnsembleOptions = DEFAULT_SPEND_ENSEMBLE) {
    this.levels = new MedianMadWindow(options.levelWindow);
    this.ewma = new EwmaMoments(EwmaMoments.alphaForHalfLife(options.ewmaHalfLife));
    this.seasonalResiduals = new MedianMadWindow(options.levelWindow);
    this.recentPointSurprise = new RollingMax(options.noveltyWindow);
    this.recentSeasonalSurprise = new RollingMax(options.noveltyWindow);
  }

  /** Median of the values seen at `time` − k·season, k = 1..seasons; undefined if none. */
  seasonalBaseline(time: number | undefined): number | undefined {
    const { seasonMs, seasons } = this.options;
    if (time === undefined || seasonMs <= 0) return undefined;
    const past: number[] = [];
    for (let k = 1; k <= seasons; k++) {
      const value = this.history.get(time - k * seasonMs);
      if (value !== undefined) past.push(value);
    }
    if (past.length === 0) return undefined;
    past.sort((a, b) => a - b);
    const mid = past.length >> 1;
    return past.length % 2 === 1 ? past[mid] : (past[mid - 1] + past[mid]) / 2;
  }

  /** The component statistics for `value` at `time` (ms) against the current state (no state change). */
  components(value: number, time?: number): EnsembleComponents {
    const o = this.options;
    const median = this.levels.median();
    const floor = Math.max(o.relativeScaleFloor * Math.abs(median), o.absoluteScaleFloor);
    const baseline = this.seasonalBaseline(time);
    const seasonalReady = baseline !== undefined && this.seasonalResiduals.count >= o.warmUp;
    return {
      level: robustZ(this.levels, value, floor) / o.levelAlarm,
      ewma: Math.abs(value - this.ewma.mean) / Math.max(this.ewma.standardDeviation, floor) / o.ewmaAlarm,
      seasonal: seasonalReady ? robustZ(this.seasonalResiduals, value - baseline, floor) / o.levelAlarm : 0,
    };
  }

  /** Scores `value` observed at `time` (ms since the epoch, optional) and then learns it. */
  scoreThenLearn(value: number, time?: number): number {
    const o = this.options;
    let anomalyScore = 0;
    if (this.seen >= o.warmUp) {
      const { level, ewma, seasonal } = this.components(value, time);
      const point = Math.max(level, ewma);
      const novelty = Math.max(
        point / Math.max(this.recentPointSurprise.max, o.minSurprise),
        seasonal / Math.max(this.recentSeasonalSurprise.max, o.minSurprise),
      );
      anomalyScore = novelty / (1 + novelty);
      if (this.valuesSinceHoldOff < o.holdOff) anomalyScore *= o.holdOffDamping;
      else if (novelty >= o.holdOffNovelty) this.valuesSinceHoldOff = 0;
      this.recentPointSurprise.push(point);
      this.recentSeasonalSurprise.push(seasonal);
    }
    this.learn(value, time);
    return anomalyScore;
  }

  private learn(value: number, time: number | undefined): void {
    const baseline = this.seasonalBaseline(time);
    if (baseline !== undefined) this.seasonalResiduals.push(value - baseline);
    if (time !== undefined && this.options.seasonMs > 0) this.remember(value, time);
    this.levels.push(value);
    this.ewma.update(value);
    this.seen++;
    this.valuesSinceHoldOff++;
  }

  /** Keeps `value` by its time and forgets times older than `seasons` seasons. */
  private remember(value: number, time: number): void {
    if (this.history.has(time)) return;
    this.history.set(time, value);
    this.historyTimes.push(time);
    const horizon = time - this.options.seasons * this.options.seasonMs;
    while (this.historyTimes[this.historyHead] < horizon) this.history.delete(this.historyTimes[this.historyHead++]);
    if (this.historyHead > this.historyTimes.length / 2) {
      this.historyTimes = this.historyTimes.slice(this.historyHead);
      this.historyHead = 0;
    }
  }
}
