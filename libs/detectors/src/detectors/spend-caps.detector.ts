import { RollingBucketSum, type RollingBucketSumState } from '../stats/rolling-bucket-sum';

/**
 * Hard spending caps over rolling windows: the last hour (60 one-minute slots), the last
 * day (24 one-hour slots) and the last 30 days (30 one-day slots). Rolling, not calendar:
 * a drain at 23:50 is not forgiven at midnight. Each window's resolution is one slot, so a
 * spend counts up to one slot longer than the nominal window (the conservative side).
 * Reference: budget caps as offered by API platforms (OpenAI usage limits), made rolling.
 *
 * @example
 * const caps = new SpendCaps();
 * caps.add(0, 30); caps.add(60_000, 25);
 * caps.windowSums(60_000); // => { hour: 55, day: 55, month: 55 }
 */
export class SpendCaps {
  private readonly hour: RollingBucketSum;
  private readonly day: RollingBucketSum;
  private readonly month: RollingBucketSum;
  /** Which window is currently over its cap (a breach is reported once until spend falls back under). */
  readonly breached = { hour: false, day: false, month: false };

  constructor(state?: SpendCapsState) {
    this.hour = state ? RollingBucketSum.fromState(state.hour) : new RollingBucketSum(MINUTE_MS, 60);
    this.day = state ? RollingBucketSum.fromState(state.day) : new RollingBucketSum(60 * MINUTE_MS, 24);
    this.month = state ? RollingBucketSum.fromState(state.month) : new RollingBucketSum(24 * 60 * MINUTE_MS, 30);
    if (state) Object.assign(this.breached, state.breached);
  }

  add(time: number, costUsd: number): void {
    this.hour.add(time, costUsd);
    this.day.add(time, costUsd);
    this.month.add(time, costUsd);
  }

  windowSums(time: number): { hour: number; day: number; month: number } {
    return { hour: this.hour.sumAt(time), day: this.day.sumAt(time), month: this.month.sumAt(time) };
  }

  get currentHour(): number {
    return this.hour.currentSum;
  }

  get currentDay(): number {
    return this.day.currentSum;
  }

  get currentMonth(): number {
    return this.month.currentSum;
  }

  toState(): SpendCapsState {
    return { hour: this.hour.toState(), day: this.day.toState(), month: this.month.toState(), breached: { ...this.breached } };
  }
}

const MINUTE_MS = 60_000;

export interface SpendCapsState {
  hour: RollingBucketSumState;
  day: RollingBucketSumState;
  month: RollingBucketSumState;
  breached: { hour: boolean; day: boolean; month: boolean };
}
