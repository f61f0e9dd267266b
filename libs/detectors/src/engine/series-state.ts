import type { DetectorName, MetricName, Severity } from '@spendguard/contracts/finding';
import { ewmaScore, ewmaUpperControlLimit } from '../detectors/ewma-control-limit.detector';
import { robustZscore, robustZscoreLevel } from '../detectors/robust-zscore.detector';
import { rollingZscore, rollingZscoreLevel } from '../detectors/rolling-zscore.detector';
import { SlowDrainDetector, profileIndex, type SlowDrainState } from '../detectors/slow-drain.detector';
import { spikeRatio, spikeRatioLevel } from '../detectors/spike-ratio.detector';
import { SpendCaps, type SpendCapsState } from '../detectors/spend-caps.detector';
import { BLOCK_MS, WindowDrainTest, type WindowDrainState, type WindowDrainVerdict } from '../detectors/window-drain.detector';
import type { EngineSettings } from '../policy/detection-policy.schema';
import type { ResolvedSettings } from '../policy/detection-policy';
import { EwmaMoments, type EwmaMomentsState } from '../stats/ewma-moments';
import { medianAbsoluteDeviationOfSorted, medianOfSorted } from '../stats/median-mad-window';
import { RollingBucketMax } from '../stats/rolling-bucket-max';
import { RollingWindowMoments } from '../stats/rolling-window-moments';
import { bucketLabel, describeSubject, formatNumber, formatUsd, type FindingDraft } from './finding-factory';

/**
 * The series of one key or one account: the bucket in progress, the baselines learned from
 * closed buckets, and the detector levels of the bucket in progress.
 *
 * Hot path: `add` sums the event into the bucket and compares three sums with three
 * levels (`next*`). Only when a level is crossed does `judgeInProgress` run the detectors.
 * Levels depend on baselines that only change when a bucket closes (score first, learn
 * after), so they are computed lazily, at most once per bucket: a bucket opens with floors
 * every level is known to be at or above (`minSpendUsd`, the critical spend floor,
 * `minRequests`, `minTokens`), and the real levels (median/MAD, weekly peak, hour profile,
 * EWMA limits) are computed only when a sum reaches its floor. Most buckets never do, so
 * closing a bucket and opening the next is O(1) (a few EWMA updates and ring-buffer pushes).
 * The findings are the same as with levels computed at bucket open.
 */
export class SeriesState {
  bucketStart = 0;
  cost = 0;
  requests = 0;
  tokens = 0;
  errors = 0;
  /** Buckets since this series first saw an event (closed ones, including idle ones). */
  ageBuckets = 0;
  /** Running total of every cost added (USD): spend between two moments is a difference of two readings. */
  spendTotal = 0;
  /**
   * Running total of the expected cost of every closed bucket (hour-of-day baseline, see
   * `expectedBucketCost`), idle ones included: `expectedTotalAt(t1) − expectedTotalAt(t0)` is
   * what this series usually spends between t0 and t1.
   */
  expectedTotal = 0;
  /** Block in progress of `windowDrain` (cost, expected, any young profile), kept here so a minute close touches no other object. */
  private blockCost = 0;
  private blockExpected = 0;
  private blockYoung = 0;
  /** Time a new IP or country was last first seen on this (warm) key; set by the engine. */
  newOriginAt = -Infinity;

  readonly costEwma: EwmaMoments;
  readonly requestsEwma: EwmaMoments;
  readonly tokensEwma: EwmaMoments;
  readonly errorRateEwma: EwmaMoments;
  /** The last `windowBuckets` closed bucket costs: rolling mean/sd, and median/MAD on demand. */
  readonly costWindow: RollingWindowMoments;
  readonly weeklyPeak: RollingBucketMax;
  readonly slowDrain: SlowDrainDetector;
  /** Moving 60-minute window test of a key against its profile (keys only; null for accounts). */
  readonly windowDrain: WindowDrainTest | null;
  caps: SpendCaps | null;

  // Levels of the bucket in progress, indexed by LEVEL_*; Infinity = off.
  private readonly levels = new Float64Array(LEVEL_COUNT);
  private readonly fired = new Uint8Array(LEVEL_COUNT);
  private nextCost = Infinity;
  private nextRequests = Infinity;
  private nextTokens = Infinity;
  /** Whether `levels` hold the real levels of the bucket in progress (else `next*` are floors). */
  private levelsReady = false;
  /** `profileIndex(bucketStart)`: the hour-of-day profile of the bucket in progress. */
  private profile = 0;
  /** Median and MAD of `costWindow`, valid once levels are computed with robust-zscore on. */
  private windowMedian = 0;
  private windowMad = 0;
  private cusumSeverity = 0; // 0 none, 2 warning, 3 critical: what was emitted for the current CUSUM run

  constructor(
    readonly accountId: string,
    readonly keyId: string | undefined,
    public settings: ResolvedSettings,
    private readonly engine: EngineSettings,
    prior: SeriesPrior,
    state?: SeriesStateSnapshot,
  ) {
    const alpha = EwmaMoments.alphaForHalfLife(engine.ewmaHalfLifeBuckets);
    const weight = engine.priors.weightBuckets;
    this.costEwma = state ? EwmaMoments.fromState(state.costEwma) : EwmaMoments.withPrior(alpha, prior.cost, prior.costVariance, weight);
    this.requestsEwma = state ? EwmaMoments.fromState(state.requestsEwma) : EwmaMoments.withPrior(alpha, prior.requests, prior.requests, weight);
    this.tokensEwma = state ? EwmaMoments.fromState(state.tokensEwma) : EwmaMoments.withPrior(alpha, prior.tokens, prior.tokens * prior.tokens, weight);
    this.errorRateEwma = state ? EwmaMoments.fromState(state.errorRateEwma) : EwmaMoments.withPrior(alpha, 0.02, 0.02, weight);
    this.costWindow = state ? RollingWindowMoments.fromState({ capacity: engine.windowBuckets, values: state.costWindow }) : new RollingWindowMoments(engine.windowBuckets);
    this.weeklyPeak = new RollingBucketMax(DAY_MS, 8, state?.weeklyPeak);
    const profileAlpha = EwmaMoments.alphaForHalfLife((engine.profileHalfLifeDays * DAY_MS) / (24 * engine.bucketMs));
    this.slowDrain = new SlowDrainDetector(profileAlpha, settings.thresholds.cusumAllowance, state?.slowDrain);
    this.windowDrain = keyId !== undefined && BLOCK_MS % engine.bucketMs === 0 ? new WindowDrainTest(state?.windowDrain ?? undefined) : null;
    this.caps = state?.caps ? new SpendCaps(state.caps) : hasCaps(settings) ? new SpendCaps() : null;
    if (state) {
      Object.assign(this, { bucketStart: state.bucketStart, cost: state.cost, requests: state.requests, tokens: state.tokens, errors: state.errors, ageBuckets: state.ageBuckets });
      this.cusumSeverity = state.cusumSeverity;
      this.spendTotal = state.spendTotal ?? 0;
      this.expectedTotal = state.expectedTotal ?? 0;
      this.newOriginAt = state.newOriginAt ?? -Infinity;
      if (state.windowDrain) {
        this.blockCost = state.windowDrain.blockCost;
        this.blockExpected = state.windowDrain.blockExpected;
        this.blockYoung = state.windowDrain.blockYoung;
      }
      this.fired.set(state.fired);
      this.profile = profileIndex(this.bucketStart);
      this.resetLevels();
    }
  }

  get bucketEnd(): number {
    return this.bucketStart + this.engine.bucketMs;
  }

  /** Less than `matureHours` of history: no weekly peak or hour profile yet, so criticals need more dollars. */
  get young(): boolean {
    return this.ageBuckets * this.engine.bucketMs < this.engine.matureHours * 3_600_000;
  }

  /** What this series usually spends in one bucket at the hour of day of the bucket in progress (USD). */
  get expectedBucketCost(): number {
    return this.slowDrain.expectedMeanAt(this.profile, this.costEwma.mean);
  }

  /** `expectedTotal` read at `time` within the bucket in progress (the open bucket counts pro rata). */
  expectedTotalAt(time: number): number {
    const fraction = Math.min(1, Math.max(0, (time - this.bucketStart) / this.engine.bucketMs));
    return this.expectedTotal + fraction * this.expectedBucketCost;
  }

  get warmingUp(): boolean {
    return this.ageBuckets < this.engine.warmupBuckets;
  }

  /**
   * Replaces the thresholds, caps and toggles (policy changed) keeping every baseline. Caps
   * start counting when first configured; levels of the bucket in progress are recomputed.
   */
  applySettings(settings: ResolvedSettings): void {
    this.settings = settings;
    this.slowDrain.setAllowance(settings.thresholds.cusumAllowance);
    if (this.caps === null && hasCaps(settings)) this.caps = new SpendCaps();
    const wasReady = this.levelsReady;
    this.resetLevels();
    if (wasReady) this.computeLevels();
  }

  /** Starts the first bucket of a brand-new series. */
  open(bucketStart: number): void {
    this.bucketStart = bucketStart;
    this.profile = profileIndex(bucketStart);
    this.resetLevels();
  }

  /**
   * Adds one event (or one rollup row) to the bucket in progress; when `judge`, pushes the
   * findings it triggers into `out`. The caller has rolled the bucket forward already.
   */
  add(time: number, cost: number, requests: number, tokens: number, errors: number, judge: boolean, out: FindingDraft[]): void {
    this.cost += cost;
    this.spendTotal += cost;
    this.requests += requests;
    this.tokens += tokens;
    this.errors += errors;
    if (this.caps !== null) {
      this.caps.add(time, cost);
      if (judge) this.judgeCaps(time, out);
    }
    if (judge && (this.cost >= this.nextCost || this.requests >= this.nextRequests || this.tokens >= this.nextTokens)) {
      if (!this.levelsReady) {
        // A floor was reached: now compute the real levels and compare again.
        this.computeLevels();
        if (!(this.cost >= this.nextCost || this.requests >= this.nextRequests || this.tokens >= this.nextTokens)) return;
      }
      this.judgeInProgress(time, out);
    }
  }

  /**
   * Closes the bucket in progress (judging what is judged at close: error rate, slow drain),
   * learns it, learns the idle buckets up to `newBucketStart` in batch, and opens that bucket.
   */
  roll(newBucketStart: number, judge: boolean, out: FindingDraft[]): void {
    const bucketMs = this.engine.bucketMs;
    this.closeBucket(judge, out);
    const idle = Math.round((newBucketStart - this.bucketStart) / bucketMs) - 1;
    if (idle > 0) this.learnIdle(this.bucketStart + bucketMs, idle);
    this.bucketStart = newBucketStart;
    this.profile = profileIndex(newBucketStart);
    this.cost = this.requests = this.tokens = this.errors = 0;
    this.fired.fill(0);
    this.resetLevels();
  }

  toSnapshot(): SeriesStateSnapshot {
    return {
      bucketStart: this.bucketStart,
      cost: this.cost,
      requests: this.requests,
      tokens: this.tokens,
      errors: this.errors,
      ageBuckets: this.ageBuckets,
      costEwma: this.costEwma.toState(),
      requestsEwma: this.requestsEwma.toState(),
      tokensEwma: this.tokensEwma.toState(),
      errorRateEwma: this.errorRateEwma.toState(),
      costWindow: this.costWindow.toArray(),
      weeklyPeak: this.weeklyPeak.toState(),
      slowDrain: this.slowDrain.toState(),
      caps: this.caps?.toState() ?? null,
      cusumSeverity: this.cusumSeverity,
      fired: Array.from(this.fired),
      spendTotal: this.spendTotal,
      expectedTotal: this.expectedTotal,
      windowDrain: this.windowDrain === null ? null : { ...this.windowDrain.toState(), blockCost: this.blockCost, blockExpected: this.blockExpected, blockYoung: this.blockYoung },
      newOriginAt: Number.isFinite(this.newOriginAt) ? this.newOriginAt : null,
    };
  }

  private closeBucket(judge: boolean, out: FindingDraft[]): void {
    const t = this.settings.thresholds;
    const on = this.settings.detectors;
    const closedAt = this.bucketEnd;
    // Error rate: not monotone within a bucket, so judged only at close.
    if (this.requests > 0) {
      const rate = this.errors / this.requests;
      if (judge && on.ewma && !this.warmingUp && this.requests >= t.errorRateMinRequests) {
        const limit = Math.max(t.errorRateMin, ewmaUpperControlLimit(this.errorRateEwma.mean, this.errorRateEwma.standardDeviation, t.ewmaSigmas));
        if (rate >= limit) {
          out.push(
            this.draft(closedAt, 'ewma', 'error_rate', 'warning', rate, this.errorRateEwma.mean, ewmaScore(rate, this.errorRateEwma.mean, this.errorRateEwma.standardDeviation), t.ewmaSigmas,
              `${describeSubject(this.accountId, this.keyId)} saw ${formatNumber(rate * 100)}% of its ${this.requests} requests fail in the ${bucketLabel(this.engine.bucketMs)} ending ${new Date(closedAt).toISOString()}, usually ${formatNumber(this.errorRateEwma.mean * 100)}% (limit ${formatNumber(limit * 100)}%)`),
          );
        }
      }
      this.errorRateEwma.update(rate);
    }
    // Slow drain: CUSUM on the closed bucket's cost against the hour-of-day baseline.
    const judgeCusum = judge && on.cusum && !this.warmingUp;
    const expected = this.slowDrain.expectedMeanAt(this.profile, this.costEwma.mean);
    this.expectedTotal += expected;
    const wd = this.windowDrain;
    if (wd !== null && this.addToBlock(closedAt, this.cost, expected, !this.slowDrain.matureAt(this.profile)) && judgeCusum && !this.young) {
      const corroborated = closedAt - this.newOriginAt <= t.windowDrainOriginMinutes * 60_000;
      const verdict = wd.evaluate(this.requestsEwma.mean > 0 ? this.costEwma.mean / this.requestsEwma.mean : 0, t, corroborated);
      if (verdict !== null) out.push(this.windowDraft(closedAt, verdict));
    }
    const statistic = this.slowDrain.scoreAndLearnAt(this.profile, this.bucketStart, this.cost, judgeCusum);
    if (judgeCusum) this.judgeCusum(closedAt, statistic, expected, out);
    // Learn the closed bucket.
    this.costEwma.update(this.cost);
    this.requestsEwma.update(this.requests);
    this.tokensEwma.update(this.tokens);
    this.costWindow.push(this.cost);
    this.weeklyPeak.add(this.bucketStart, this.cost);
    this.ageBuckets++;
  }

  private learnIdle(fromBucketStart: number, count: number): void {
    const fallbackMean = this.costEwma.mean;
    if (this.windowDrain !== null) this.windowIdle(fromBucketStart, count, fallbackMean);
    this.costEwma.updateRepeated(0, count);
    this.requestsEwma.updateRepeated(0, count);
    this.tokensEwma.updateRepeated(0, count);
    this.costWindow.pushRepeated(0, count);
    this.expectedTotal += this.slowDrain.learnIdle(fromBucketStart, count, this.engine.bucketMs, fallbackMean);
    if (this.slowDrain.statistic === 0) this.cusumSeverity = 0;
    this.ageBuckets += count;
  }

  /**
   * Idle minutes into the window test, block by block (a block never spans two hours), at
   * the profile before it learns them. Of a gap longer than the test's memory only the
   * end of the block in progress and the last 7 hours are fed.
   */
  private windowIdle(fromBucketStart: number, count: number, fallbackMean: number): void {
    const bucketMs = this.engine.bucketMs;
    const end = fromBucketStart + count * bucketMs;
    let t = fromBucketStart;
    const skipTo = end - (end % BLOCK_MS) - WINDOW_MEMORY_MS;
    while (t < end) {
      const blockEnd = Math.min(end, t - (t % BLOCK_MS) + BLOCK_MS);
      const p = profileIndex(t);
      const minutes = Math.round((blockEnd - t) / bucketMs);
      this.addToBlock(blockEnd, 0, minutes * this.slowDrain.expectedMeanAt(p, fallbackMean), !this.slowDrain.matureAt(p));
      t = blockEnd === t - (t % BLOCK_MS) + BLOCK_MS && blockEnd < skipTo ? skipTo : blockEnd;
    }
  }

  /** `WindowDrainTest.add` on the block kept in this series: sums, and pushes the block when `end` closes it. */
  private addToBlock(end: number, cost: number, expected: number, young: boolean): boolean {
    this.blockCost += cost;
    this.blockExpected += expected;
    if (young) this.blockYoung = 1;
    if (end % BLOCK_MS !== 0) return false;
    (this.windowDrain as WindowDrainTest).closeBlock(this.blockCost, this.blockExpected, this.blockYoung);
    this.blockCost = 0;
    this.blockExpected = 0;
    this.blockYoung = 0;
    return true;
  }

  /** "Key … has spent $X over the last 60 minutes, 2.4× its usual $Y for a weekday at this hour, …" */
  private windowDraft(closedAt: number, v: WindowDrainVerdict): FindingDraft {
    const t = this.settings.thresholds;
    const day = new Date(closedAt - 1).getUTCDay();
    const when = day === 0 || day === 6 ? 'weekends' : 'weekdays';
    const hour = new Date(closedAt - 1).getUTCHours();
    const today = Math.abs(v.level - 1) < 0.005 ? '' : ` (×${formatNumber(v.level)} for today's level: ${formatUsd(v.expected)})`;
    return {
      ...this.draft(closedAt, 'cusum', 'cost_usd_hour', 'critical', v.windowCost, v.expected, v.ratio, t.windowDrainRatio,
        `${describeSubject(this.accountId, this.keyId)} has spent ${formatUsd(v.windowCost)} over the last ${v.minutes} minutes, ${formatNumber(v.ratio)}× its usual ${formatUsd(v.windowExpected)} for ${when} at ${String(hour).padStart(2, '0')}:00 UTC${today}, above usual for ${v.runMinutes} minutes in a row` +
          ` (limit ${formatNumber(t.windowDrainRatio)}×, ${formatUsd(v.windowCost - v.expected)} over, z ${formatNumber(v.z)} ≥ ${v.corroborated ? `${formatNumber(t.windowDrainMinZ)} with a new IP/country in the last ${t.windowDrainOriginMinutes} minutes` : formatNumber(t.windowDrainMinZAlone)})`),
      episodeStart: closedAt - v.runMinutes * 60_000,
    };
  }

  private judgeCusum(closedAt: number, statistic: number, expected: number, out: FindingDraft[]): void {
    const t = this.settings.thresholds;
    if (statistic === 0) {
      this.cusumSeverity = 0;
      return;
    }
    const excess = this.slowDrain.excessUsd;
    const level = statistic >= t.cusumCritical && excess >= t.slowDrainMinExcessUsd ? 3 : statistic >= t.cusumWarning && excess >= t.minSpendUsd ? 2 : 0;
    if (level <= this.cusumSeverity) return;
    this.cusumSeverity = level;
    const severity: Severity = level === 3 ? 'critical' : 'warning';
    const threshold = level === 3 ? t.cusumCritical : t.cusumWarning;
    const minutes = Math.round((closedAt - this.slowDrain.runStart) / 60_000);
    out.push({
      ...this.draft(closedAt, 'cusum', 'cost_usd', severity, this.cost, expected, statistic, threshold,
        `${describeSubject(this.accountId, this.keyId)} has spent persistently above its usual ${formatUsd(expected)} per ${bucketLabel(this.engine.bucketMs)} for this hour of day: ${formatUsd(excess)} more than expected over the last ${minutes} minutes (CUSUM ${formatNumber(statistic)} ≥ ${threshold})`),
      episodeStart: this.slowDrain.runStart,
    });
  }

  private judgeCaps(time: number, out: FindingDraft[]): void {
    const caps = this.caps as SpendCaps;
    const limits = this.settings.caps;
    if (!this.settings.detectors.cap) return;
    this.judgeCap(time, 'hour', caps.currentHour, limits.hourUsd, 'cost_usd_hour', out);
    this.judgeCap(time, 'day', caps.currentDay, limits.dayUsd, 'cost_usd_day', out);
    this.judgeCap(time, 'month', caps.currentMonth, limits.monthUsd, 'cost_usd_month', out);
  }

  private judgeCap(time: number, window: 'hour' | 'day' | 'month', spent: number, cap: number | null, metric: MetricName, out: FindingDraft[]): void {
    const caps = this.caps as SpendCaps;
    if (cap === null) return;
    if (spent < cap) {
      caps.breached[window] = false;
      return;
    }
    if (caps.breached[window]) return;
    caps.breached[window] = true;
    const span = window === 'hour' ? 'last hour' : window === 'day' ? 'last 24 hours' : 'last 30 days';
    const capName = window === 'hour' ? 'hourly' : window === 'day' ? 'daily' : '30-day';
    out.push(
      this.draft(time, 'cap', metric, 'critical', spent, cap, spent / cap, 1,
        `${describeSubject(this.accountId, this.keyId)} has spent ${formatUsd(spent)} in the ${span}, over its ${capName} cap of ${formatUsd(cap)}`),
    );
  }

  /** Baseline of a full bucket: the larger of the EWMA mean and this hour-of-day's mean (fewer false spikes at busy hours). */
  private spikeBaseline(): number {
    return Math.max(this.costEwma.mean, this.slowDrain.expectedMeanAt(this.profile, this.costEwma.mean));
  }

  /**
   * Opens the levels of a new bucket as floors: every cost level is at least `minSpendUsd`
   * or the critical spend floor, every request level at least `minRequests`, every token
   * level at least `minTokens` (see `computeLevels`), so no level can be crossed before its
   * floor is.
   */
  private resetLevels(): void {
    const t = this.settings.thresholds;
    this.levelsReady = false;
    this.nextCost = Math.min(t.minSpendUsd, this.young ? t.warmupCriticalMinSpendUsd : t.criticalMinSpendUsd);
    this.nextRequests = t.minRequests;
    this.nextTokens = t.minTokens;
  }

  private computeLevels(): void {
    this.levelsReady = true;
    const t = this.settings.thresholds;
    const on = this.settings.detectors;
    const lv = this.levels;
    lv.fill(Infinity);
    const warm = !this.warmingUp;
    if (on['spike-ratio']) {
      const baseline = this.spikeBaseline();
      lv[LEVEL_COST_SPIKE_WARNING] = spikeRatioLevel({ baseline, ratio: t.spikeRatioWarning, floor: t.minSpendUsd });
      lv[LEVEL_COST_SPIKE_CRITICAL] = spikeRatioLevel({
        baseline,
        ratio: t.spikeRatioCritical,
        floor: this.young ? t.warmupCriticalMinSpendUsd : t.criticalMinSpendUsd,
        recentPeak: this.weeklyPeak.maxAt(this.bucketStart),
        peakGuardFactor: t.peakGuardFactor,
      });
      lv[LEVEL_REQUESTS_SPIKE] = spikeRatioLevel({ baseline: this.requestsEwma.mean, ratio: t.spikeRatioWarning, floor: t.minRequests });
      lv[LEVEL_TOKENS_SPIKE] = spikeRatioLevel({ baseline: this.tokensEwma.mean, ratio: t.spikeRatioWarning, floor: t.minTokens });
    }
    if (warm && on.zscore && this.costWindow.count >= 2) {
      lv[LEVEL_COST_ZSCORE] = Math.max(t.minSpendUsd, rollingZscoreLevel(this.costWindow.mean, this.costWindow.sampleStandardDeviation(), t.zscore));
    }
    if (warm && on['robust-zscore'] && this.costWindow.count > 0) {
      if (sortScratch.length < this.costWindow.capacity) sortScratch = new Float64Array(this.costWindow.capacity);
      const n = this.costWindow.copyValuesTo(sortScratch);
      const sorted = sortScratch.subarray(0, n).sort();
      this.windowMedian = medianOfSorted(sorted, n);
      this.windowMad = medianAbsoluteDeviationOfSorted(sorted, n, this.windowMedian);
      lv[LEVEL_COST_ROBUST] = Math.max(t.minSpendUsd, robustZscoreLevel(this.windowMedian, this.windowMad, t.robustZscore));
    }
    if (warm && on.ewma) {
      lv[LEVEL_COST_EWMA] = Math.max(t.minSpendUsd, ewmaUpperControlLimit(this.costEwma.mean, this.costEwma.standardDeviation, t.ewmaSigmas));
      lv[LEVEL_REQUESTS_EWMA] = Math.max(t.minRequests, ewmaUpperControlLimit(this.requestsEwma.mean, this.requestsEwma.standardDeviation, t.ewmaSigmas));
      lv[LEVEL_TOKENS_EWMA] = Math.max(t.minTokens, ewmaUpperControlLimit(this.tokensEwma.mean, this.tokensEwma.standardDeviation, t.ewmaSigmas));
    }
    this.updateNextLevels();
  }

  private updateNextLevels(): void {
    const lv = this.levels;
    const f = this.fired;
    let cost = Infinity;
    for (let i = LEVEL_COST_SPIKE_WARNING; i <= LEVEL_COST_EWMA; i++) if (!f[i] && lv[i] < cost) cost = lv[i];
    this.nextCost = cost;
    this.nextRequests = Math.min(f[LEVEL_REQUESTS_SPIKE] ? Infinity : lv[LEVEL_REQUESTS_SPIKE], f[LEVEL_REQUESTS_EWMA] ? Infinity : lv[LEVEL_REQUESTS_EWMA]);
    this.nextTokens = Math.min(f[LEVEL_TOKENS_SPIKE] ? Infinity : lv[LEVEL_TOKENS_SPIKE], f[LEVEL_TOKENS_EWMA] ? Infinity : lv[LEVEL_TOKENS_EWMA]);
  }

  private judgeInProgress(time: number, out: FindingDraft[]): void {
    const t = this.settings.thresholds;
    const lv = this.levels;
    const f = this.fired;
    const who = describeSubject(this.accountId, this.keyId);
    const inBucket = `in the current ${bucketLabel(this.engine.bucketMs)}`;
    const cost = this.cost;
    const spent = `${who} spent ${formatUsd(cost)} ${inBucket}`;
    const baseline = this.spikeBaseline();

    if (!f[LEVEL_COST_SPIKE_CRITICAL] && cost >= lv[LEVEL_COST_SPIKE_CRITICAL]) {
      f[LEVEL_COST_SPIKE_CRITICAL] = f[LEVEL_COST_SPIKE_WARNING] = 1;
      out.push(this.spikeDraft(time, 'critical', cost, baseline, t.spikeRatioCritical, spent));
    } else if (!f[LEVEL_COST_SPIKE_WARNING] && cost >= lv[LEVEL_COST_SPIKE_WARNING]) {
      f[LEVEL_COST_SPIKE_WARNING] = 1;
      out.push(this.spikeDraft(time, 'warning', cost, baseline, t.spikeRatioWarning, spent));
    }
    if (!f[LEVEL_COST_ZSCORE] && cost >= lv[LEVEL_COST_ZSCORE]) {
      f[LEVEL_COST_ZSCORE] = 1;
      const z = rollingZscore(cost, this.costWindow.mean, this.costWindow.sampleStandardDeviation());
      out.push(this.draft(time, 'zscore', 'cost_usd', 'warning', cost, this.costWindow.mean, z, t.zscore,
        `${spent}, ${formatNumber(z)} standard deviations above its recent mean of ${formatUsd(this.costWindow.mean)} (z ${formatNumber(z)} ≥ ${t.zscore})`));
    }
    if (!f[LEVEL_COST_ROBUST] && cost >= lv[LEVEL_COST_ROBUST]) {
      f[LEVEL_COST_ROBUST] = 1;
      const median = this.windowMedian;
      const m = robustZscore(cost, median, this.windowMad);
      out.push(this.draft(time, 'robust-zscore', 'cost_usd', 'warning', cost, median, m, t.robustZscore,
        `${spent}, far above its recent median of ${formatUsd(median)} (modified z ${formatNumber(m)} ≥ ${t.robustZscore})`));
    }
    if (!f[LEVEL_COST_EWMA] && cost >= lv[LEVEL_COST_EWMA]) {
      f[LEVEL_COST_EWMA] = 1;
      const s = ewmaScore(cost, this.costEwma.mean, this.costEwma.standardDeviation);
      out.push(this.draft(time, 'ewma', 'cost_usd', 'warning', cost, this.costEwma.mean, s, t.ewmaSigmas,
        `${spent}, above its control limit of ${formatUsd(lv[LEVEL_COST_EWMA])} (EWMA mean ${formatUsd(this.costEwma.mean)} + ${t.ewmaSigmas}σ)`));
    }
    this.judgeCount(time, 'requests', this.requests, this.requestsEwma, LEVEL_REQUESTS_SPIKE, LEVEL_REQUESTS_EWMA, `${who} made ${formatNumber(this.requests)} requests ${inBucket}`, out);
    this.judgeCount(time, 'tokens', this.tokens, this.tokensEwma, LEVEL_TOKENS_SPIKE, LEVEL_TOKENS_EWMA, `${who} used ${formatNumber(this.tokens)} tokens ${inBucket}`, out);
    this.updateNextLevels();
  }

  // Requests and tokens only warn: what costs money is judged on cost.
  private judgeCount(time: number, metric: 'requests' | 'tokens', observed: number, ewma: EwmaMoments, spikeLevel: number, ewmaLevel: number, what: string, out: FindingDraft[]): void {
    const t = this.settings.thresholds;
    const f = this.fired;
    if (!f[spikeLevel] && observed >= this.levels[spikeLevel]) {
      f[spikeLevel] = 1;
      const ratio = spikeRatio(observed, ewma.mean);
      out.push(this.draft(time, 'spike-ratio', metric, 'warning', observed, ewma.mean, ratio, t.spikeRatioWarning,
        `${what}, ${formatNumber(ratio)}× its usual ${formatNumber(ewma.mean)} (spike ratio ${formatNumber(ratio)} ≥ ${t.spikeRatioWarning})`));
    }
    if (!f[ewmaLevel] && observed >= this.levels[ewmaLevel]) {
      f[ewmaLevel] = 1;
      const s = ewmaScore(observed, ewma.mean, ewma.standardDeviation);
      out.push(this.draft(time, 'ewma', metric, 'warning', observed, ewma.mean, s, t.ewmaSigmas,
        `${what}, above its control limit of ${formatNumber(this.levels[ewmaLevel])} (EWMA mean ${formatNumber(ewma.mean)} + ${t.ewmaSigmas}σ)`));
    }
  }

  private spikeDraft(time: number, severity: Severity, cost: number, baseline: number, threshold: number, spent: string): FindingDraft {
    const ratio = spikeRatio(cost, baseline);
    const percentOver = formatNumber((ratio - 1) * 100);
    return this.draft(time, 'spike-ratio', 'cost_usd', severity, cost, baseline, ratio, threshold,
      `${spent}, ${percentOver}% over its usual ${formatUsd(baseline)} (spike ratio ${formatNumber(ratio)} ≥ ${threshold})`);
  }

  private draft(time: number, detector: DetectorName, metric: MetricName, severity: Severity, observed: number, expected: number, score: number, threshold: number, explanation: string): FindingDraft {
    return {
      time,
      accountId: this.accountId,
      keyId: this.keyId,
      detector,
      metric,
      observed,
      expected,
      score,
      threshold,
      severity,
      explanation,
      episodeStart: this.bucketStart,
      bucketStart: this.bucketStart,
    };
  }
}

export function hasCaps(settings: ResolvedSettings): boolean {
  return settings.caps.hourUsd !== null || settings.caps.dayUsd !== null || settings.caps.monthUsd !== null;
}

/** Baseline a new series starts from (per bucket), weighted like `priors.weightBuckets` buckets. */
export interface SeriesPrior {
  cost: number;
  costVariance: number;
  requests: number;
  tokens: number;
}

const DAY_MS = 86_400_000;
/** What the window test remembers: window + reference (7 hours). */
const WINDOW_MEMORY_MS = 7 * 3_600_000;
/** Scratch for sorting a cost window (grown to the largest window seen); single-threaded use only. */
let sortScratch = new Float64Array(64);
const LEVEL_COST_SPIKE_WARNING = 0;
const LEVEL_COST_SPIKE_CRITICAL = 1;
const LEVEL_COST_ZSCORE = 2;
const LEVEL_COST_ROBUST = 3;
const LEVEL_COST_EWMA = 4;
const LEVEL_REQUESTS_SPIKE = 5;
const LEVEL_REQUESTS_EWMA = 6;
const LEVEL_TOKENS_SPIKE = 7;
const LEVEL_TOKENS_EWMA = 8;
const LEVEL_COUNT = 9;

export interface SeriesStateSnapshot {
  bucketStart: number;
  cost: number;
  requests: number;
  tokens: number;
  errors: number;
  ageBuckets: number;
  costEwma: EwmaMomentsState;
  requestsEwma: EwmaMomentsState;
  tokensEwma: EwmaMomentsState;
  errorRateEwma: EwmaMomentsState;
  costWindow: number[];
  weeklyPeak: { latestSlot: number | null; maxima: number[] };
  slowDrain: SlowDrainState;
  caps: SpendCapsState | null;
  cusumSeverity: number;
  fired: number[];
  /** Absent in snapshots taken before origin novelty (read as 0). */
  spendTotal?: number;
  expectedTotal?: number;
  /** Absent in snapshots taken before the window drain test (starts empty). */
  windowDrain?: WindowDrainState | null;
  /** Absent before the window drain test; null = never. */
  newOriginAt?: number | null;
}
