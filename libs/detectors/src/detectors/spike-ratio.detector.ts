import type { Severity } from '@spendguard/contracts/finding';

/**
 * Spike ratio: bucket value ÷ baseline ("3100% over its usual $13.05"). The ratio alone
 * would page on a key going from $0.001 to $0.05, so each severity also needs an absolute
 * floor, and a critical needs the bucket to beat the key's recent peak by a margin
 * (bursty batch jobs that happened before are normal). The bucket in progress is judged
 * against the baseline of a full bucket: it only grows, so crossing the level early is a
 * lower bound of the closed bucket's verdict, and a 30× drain crosses it within seconds.
 * Reference: ratio-to-baseline alerting as in AWS Cost Anomaly Detection's "impact %" with a
 * minimum impact in dollars; the peak guard is our own.
 *
 * @example
 * spikeRatio(412.3, 12.65); // => 32.59...
 * spikeRatioLevel({ baseline: 0.05, ratio: 20, floor: 2, recentPeak: 0.4, peakGuardFactor: 1.5 }); // => 2
 */
export function spikeRatio(observed: number, baseline: number): number {
  return observed / Math.max(baseline, MIN_BASELINE);
}

/** Smallest bucket value that reaches `ratio` and both floors. */
export function spikeRatioLevel(options: { baseline: number; ratio: number; floor: number; recentPeak?: number; peakGuardFactor?: number }): number {
  const byRatio = options.ratio * Math.max(options.baseline, MIN_BASELINE);
  const byPeak = (options.peakGuardFactor ?? 0) * (options.recentPeak ?? 0);
  return Math.max(byRatio, options.floor, byPeak);
}

/** Severity of a cost spike given the levels computed with `spikeRatioLevel`. */
export function spikeSeverity(observed: number, warningLevel: number, criticalLevel: number): Severity | null {
  if (observed >= criticalLevel) return 'critical';
  if (observed >= warningLevel) return 'warning';
  return null;
}

/** Baselines below a hundredth of a cent per bucket are treated as that. */
export const MIN_BASELINE = 1e-4;
