import type { DetectorName, MetricName, Severity } from '@spendguard/contracts/finding';
import { ewmaScore, ewmaUpperControlLimit } from '../detectors/ewma-control-limit.detector';
import { robustZscore, robustZscoreLevel } from '../detectors/robust-zscore.detector';
import { rollingZscore, rollingZscoreLevel } from '../detectors/rolling-zscore.detector';
import { NOVELTY_HOT_SIZE } from '../detectors/novelty.detector';
import { SD_ALLOWANCE, SD_EXCESS, SD_RUN_START, SD_SIZE, SD_STATISTIC, profileIndex, sdExpectedMeanAt, sdInit, sdLearnIdle, sdMatureAt, sdScoreAndLearnAt, sdToState, type SlowDrainState } from '../detectors/slow-drain.detector';
import { spikeRatio, spikeRatioLevel } from '../detectors/spike-ratio.detector';
import { SpendCaps, type SpendCapsState } from '../detectors/spend-caps.detector';
import { BLOCK_MS, WD_SIZE, wdCloseBlock, wdEvaluate, wdInit, wdTodayLevel, wdToState, type WindowDrainState, type WindowDrainVerdict } from '../detectors/window-drain.detector';
import type { EngineSettings } from '../policy/detection-policy.schema';
import type { ResolvedSettings } from '../policy/detection-policy';
import { EWMA_MEAN, EWMA_SIZE, EWMA_VARIANCE, EwmaMoments, ewmaInit, ewmaToState, ewmaUpdateAt, ewmaUpdateRepeated, type EwmaMomentsState } from '../stats/ewma-moments';
import { medianAbsoluteDeviationOfSorted, medianOfSorted } from '../stats/median-mad-window';
import { RBM_MAXIMA, rbmAdd, rbmInit, rbmMaxAt, rbmToState } from '../stats/rolling-bucket-max';
import { RW_MEAN, RW_SIZE, RW_VALUES, rwCopyValuesTo, rwPush, rwPushRepeated, rwSampleVariance, rwToArray } from '../stats/rolling-window-moments';
import { bucketLabel, describeSubject, formatNumber, formatUsd, type FindingDraft } from './finding-factory';


// Imported bindings used per event, copied into module constants: under a per-file CommonJS
// transform (tsx, ts-jest) every use of an imported binding is a getter call on the other
// module's exports, which costs inlining budget on the hot path; a bundler or tsc does not need this.
const EWMA_MEAN_ = EWMA_MEAN;
const EWMA_VARIANCE_ = EWMA_VARIANCE;
const SD_STATISTIC_ = SD_STATISTIC;
const SD_EXCESS_ = SD_EXCESS;
const SD_RUN_START_ = SD_RUN_START;
const SD_ALLOWANCE_ = SD_ALLOWANCE;
const RW_SIZE_ = RW_SIZE;
const RW_MEAN_ = RW_MEAN;
const RW_VALUES_ = RW_VALUES;
const BLOCK_MS_ = BLOCK_MS;
const L_ewmaUpdateAt = ewmaUpdateAt;
const L_ewmaUpdateRepeated = ewmaUpdateRepeated;
const L_rwPush = rwPush;
const L_rwPushRepeated = rwPushRepeated;
const L_rbmAdd = rbmAdd;
const L_sdExpectedMeanAt = sdExpectedMeanAt;
const L_sdMatureAt = sdMatureAt;
const L_sdScoreAndLearnAt = sdScoreAndLearnAt;
const L_sdLearnIdle = sdLearnIdle;
const L_wdCloseBlock = wdCloseBlock;
const L_profileIndex = profileIndex;

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
  /**
   * Every number of this series in one array at the fixed offsets below (scalars, levels,
   * the four EWMAs, weekly peak, slow drain, window drain, cost window), worked on by the
   * stats modules' array functions (the same code their classes run). Why: with 10k+ keys
   * the state does not fit in cache and nearly every event closes its key's bucket; as
   * separate objects each closed bucket walked ~25 dependent pointers (every double field a
   * boxed HeapNumber), here every address is base + constant, so the misses overlap.
   */
  private readonly s: Float64Array;
  private readonly bucketMs: number;
  private readonly windowCapacity: number;
  /** Whether this series runs the window drain test (keys only, see `windowDrain` below). */
  private readonly hasWindowDrain: boolean;
  caps: SpendCaps | null;

  constructor(
    readonly accountId: string,
    readonly keyId: string | undefined,
    public settings: ResolvedSettings,
    private readonly engine: EngineSettings,
    prior: SeriesPrior,
    state?: SeriesStateSnapshot,
  ) {
    this.bucketMs = engine.bucketMs;
    this.windowCapacity = engine.windowBuckets;
    const s = (this.s = new Float64Array(COST_WINDOW_VALUES + engine.windowBuckets));
    s[NEXT_COST] = s[NEXT_REQUESTS] = s[NEXT_TOKENS] = Infinity;
    s[NEW_ORIGIN_AT] = -Infinity;
    const alpha = EwmaMoments.alphaForHalfLife(engine.ewmaHalfLifeBuckets);
    const weight = engine.priors.weightBuckets;
    const ewma = (o: number, restored: EwmaMomentsState | undefined, mean: number, variance: number): void =>
      restored ? ewmaInit(s, o, restored.alpha, restored.mean, restored.variance, restored.count) : ewmaInit(s, o, alpha, mean, variance, weight);
    ewma(COST_EWMA, state?.costEwma, prior.cost, prior.costVariance);
    ewma(REQUESTS_EWMA, state?.requestsEwma, prior.requests, prior.requests);
    ewma(TOKENS_EWMA, state?.tokensEwma, prior.tokens, prior.tokens * prior.tokens);
    ewma(ERROR_RATE_EWMA, state?.errorRateEwma, 0.02, 0.02);
    if (state) for (const v of state.costWindow) L_rwPush(s, COST_WINDOW, COST_WINDOW_VALUES, this.windowCapacity, v);
    rbmInit(s, WEEKLY_PEAK, state?.weeklyPeak);
    const profileAlpha = EwmaMoments.alphaForHalfLife((engine.profileHalfLifeDays * DAY_MS) / (24 * engine.bucketMs));
    sdInit(s, SLOW_DRAIN, profileAlpha, settings.thresholds.cusumAllowance, state?.slowDrain);
    this.hasWindowDrain = keyId !== undefined && BLOCK_MS_ % engine.bucketMs === 0;
    if (this.hasWindowDrain && state?.windowDrain) wdInit(s, WINDOW_DRAIN, state.windowDrain);
    this.caps = state?.caps ? new SpendCaps(state.caps) : hasCaps(settings) ? new SpendCaps() : null;
    if (state) {
      s[BUCKET_START] = state.bucketStart;
      s[COST] = state.cost;
      s[REQUESTS] = state.requests;
      s[TOKENS] = state.tokens;
      s[ERRORS] = state.errors;
      s[AGE] = state.ageBuckets;
      s[CUSUM_SEVERITY] = state.cusumSeverity;
      s[SPEND_TOTAL] = state.spendTotal ?? 0;
      s[EXPECTED_TOTAL] = state.expectedTotal ?? 0;
      s[NEW_ORIGIN_AT] = state.newOriginAt ?? -Infinity;
      if (state.windowDrain) {
        s[BLOCK_COST] = state.windowDrain.blockCost;
        s[BLOCK_EXPECTED] = state.windowDrain.blockExpected;
        s[BLOCK_YOUNG] = state.windowDrain.blockYoung;
      }
      s.set(state.fired, FIRED);
      s[ANY_FIRED] = state.fired.some((f) => f !== 0) ? 1 : 0;
      s[PROFILE] = L_profileIndex(s[BUCKET_START]);
      this.resetLevels();
    }
  }

  get bucketStart(): number {
    return this.s[BUCKET_START];
  }

  get bucketEnd(): number {
    return this.s[BUCKET_START] + this.bucketMs;
  }

  get ageBuckets(): number {
    return this.s[AGE];
  }

  /** Running total of every cost added (USD): spend between two moments is a difference of two readings. */
  get spendTotal(): number {
    return this.s[SPEND_TOTAL];
  }

  /**
   * Running total of the expected cost of every closed bucket (hour-of-day baseline, see
   * `expectedBucketCost`), idle ones included: `expectedTotalAt(t1) − expectedTotalAt(t0)` is
   * what this series usually spends between t0 and t1.
   */
  get expectedTotal(): number {
    return this.s[EXPECTED_TOTAL];
  }

  /** Time a new IP or country was last first seen on this (warm) key; set by the engine. */
  get newOriginAt(): number {
    return this.s[NEW_ORIGIN_AT];
  }

  set newOriginAt(time: number) {
    this.s[NEW_ORIGIN_AT] = time;
  }

  /** Baselines per bucket (the EWMAs), read when a new key borrows its account's. */
  get costMean(): number {
    return this.s[COST_EWMA + EWMA_MEAN_];
  }

  get costVariance(): number {
    return this.s[COST_EWMA + EWMA_VARIANCE_];
  }

  get requestsMean(): number {
    return this.s[REQUESTS_EWMA + EWMA_MEAN_];
  }

  get tokensMean(): number {
    return this.s[TOKENS_EWMA + EWMA_MEAN_];
  }

  /** Less than `matureHours` of history: no weekly peak or hour profile yet, so criticals need more dollars. */
  get young(): boolean {
    return this.s[AGE] * this.bucketMs < this.engine.matureHours * 3_600_000;
  }

  /** What this series usually spends in one bucket at the hour of day of the bucket in progress (USD). */
  get expectedBucketCost(): number {
    return L_sdExpectedMeanAt(this.s, SLOW_DRAIN, this.s[PROFILE], this.s[COST_EWMA + EWMA_MEAN_]);
  }

  /** `expectedTotal` read at `time` within the bucket in progress (the open bucket counts pro rata). */
  expectedTotalAt(time: number): number {
    const fraction = Math.min(1, Math.max(0, (time - this.s[BUCKET_START]) / this.bucketMs));
    return this.s[EXPECTED_TOTAL] + fraction * this.expectedBucketCost;
  }

  /**
   * Where the engine keeps the key's novelty memories' hot numbers (`NoveltyMemory`'s
   * `hot`, `at`): in this series' array, which every event of the key reads anyway.
   */
  get noveltyNumbers(): Float64Array {
    return this.s;
  }

  /** Offset in `noveltyNumbers` of the hot numbers of novelty attribute `i` (0 … 3). */
  static noveltyAt(i: number): number {
    return NOVELTY + i * NOVELTY_HOT_SIZE;
  }

  /** Today's level of the window drain test (`WindowDrainTest.todayLevel`); 1 for a series without the test. */
  todayLevel(): number {
    return this.hasWindowDrain ? wdTodayLevel(this.s, WINDOW_DRAIN) : 1;
  }

  get warmingUp(): boolean {
    return this.s[AGE] < this.engine.warmupBuckets;
  }

  /**
   * Replaces the thresholds, caps and toggles (policy changed) keeping every baseline. Caps
   * start counting when first configured; levels of the bucket in progress are recomputed.
   */
  applySettings(settings: ResolvedSettings): void {
    this.settings = settings;
    this.s[SLOW_DRAIN + SD_ALLOWANCE_] = settings.thresholds.cusumAllowance;
    if (this.caps === null && hasCaps(settings)) this.caps = new SpendCaps();
    const wasReady = this.s[LEVELS_READY] !== 0;
    this.resetLevels();
    if (wasReady) this.computeLevels();
  }

  /** Starts the first bucket of a brand-new series. */
  open(bucketStart: number): void {
    this.s[BUCKET_START] = bucketStart;
    this.s[PROFILE] = L_profileIndex(bucketStart);
    this.resetLevels();
  }

  /**
   * Adds one event (or one rollup row) to the bucket in progress; when `judge`, pushes the
   * findings it triggers into `out`. The caller has rolled the bucket forward already.
   */
  add(time: number, cost: number, requests: number, tokens: number, errors: number, judge: boolean, out: FindingDraft[]): void {
    const s = this.s;
    s[COST] += cost;
    s[SPEND_TOTAL] += cost;
    s[REQUESTS] += requests;
    s[TOKENS] += tokens;
    s[ERRORS] += errors;
    if (this.caps !== null) {
      this.caps.add(time, cost);
      if (judge) this.judgeCaps(time, out);
    }
    if (judge && (s[COST] >= s[NEXT_COST] || s[REQUESTS] >= s[NEXT_REQUESTS] || s[TOKENS] >= s[NEXT_TOKENS])) {
      if (s[LEVELS_READY] === 0) {
        // A floor was reached: now compute the real levels and compare again.
        this.computeLevels();
        if (!(s[COST] >= s[NEXT_COST] || s[REQUESTS] >= s[NEXT_REQUESTS] || s[TOKENS] >= s[NEXT_TOKENS])) return;
      }
      this.judgeInProgress(time, out);
    }
  }

  /**
   * Closes the bucket in progress (judging what is judged at close: error rate, slow drain),
   * learns it, learns the idle buckets up to `newBucketStart` in batch, and opens that bucket.
   */
  roll(newBucketStart: number, judge: boolean, out: FindingDraft[]): void {
    this.s[ROLL_TO] = newBucketStart;
    this.rollToPending(judge, out);
  }

  /**
   * `roll` to the bucket of `event`, judging. The event is passed, not its time: a double
   * argument of a call that is not inlined is a boxed number, and this runs on most events.
   */
  rollToEvent(event: { time: number }, out: FindingDraft[]): void {
    const time = event.time;
    this.s[ROLL_TO] = time - (time % this.bucketMs);
    this.rollToPending(true, out);
  }

  /** `roll` to the bucket starting at `s[ROLL_TO]`. */
  private rollToPending(judge: boolean, out: FindingDraft[]): void {
    const s = this.s;
    const bucketMs = this.bucketMs;
    this.closeBucket(judge, out);
    const newBucketStart = s[ROLL_TO];
    const idle = Math.round((newBucketStart - s[BUCKET_START]) / bucketMs) - 1;
    if (idle > 0) this.learnIdle(idle);
    s[BUCKET_START] = newBucketStart;
    s[PROFILE] = L_profileIndex(newBucketStart);
    s[COST] = s[REQUESTS] = s[TOKENS] = s[ERRORS] = 0;
    if (s[ANY_FIRED] !== 0) {
      for (let i = FIRED; i < FIRED + LEVEL_COUNT; i++) s[i] = 0;
      s[ANY_FIRED] = 0;
    }
    this.resetLevels();
  }

  toSnapshot(): SeriesStateSnapshot {
    const s = this.s;
    return {
      bucketStart: s[BUCKET_START],
      cost: s[COST],
      requests: s[REQUESTS],
      tokens: s[TOKENS],
      errors: s[ERRORS],
      ageBuckets: s[AGE],
      costEwma: ewmaToState(s, COST_EWMA),
      requestsEwma: ewmaToState(s, REQUESTS_EWMA),
      tokensEwma: ewmaToState(s, TOKENS_EWMA),
      errorRateEwma: ewmaToState(s, ERROR_RATE_EWMA),
      costWindow: rwToArray(s, COST_WINDOW, COST_WINDOW_VALUES, this.windowCapacity),
      weeklyPeak: rbmToState(s, WEEKLY_PEAK, PEAK_SLOTS),
      slowDrain: sdToState(s, SLOW_DRAIN),
      caps: this.caps?.toState() ?? null,
      cusumSeverity: s[CUSUM_SEVERITY],
      fired: Array.from(s.subarray(FIRED, FIRED + LEVEL_COUNT)),
      spendTotal: s[SPEND_TOTAL],
      expectedTotal: s[EXPECTED_TOTAL],
      windowDrain: this.hasWindowDrain ? wdToState(s, WINDOW_DRAIN, s[BLOCK_COST], s[BLOCK_EXPECTED], s[BLOCK_YOUNG]) : null,
      newOriginAt: Number.isFinite(s[NEW_ORIGIN_AT]) ? s[NEW_ORIGIN_AT] : null,
    };
  }

  private closeBucket(judge: boolean, out: FindingDraft[]): void {
    const s = this.s;
    const t = this.settings.thresholds;
    const on = this.settings.detectors;
    const closedAt = this.bucketEnd;
    const requests = s[REQUESTS];
    // Error rate: not monotone within a bucket, so judged only at close.
    if (requests > 0) {
      const rate = s[ERRORS] / requests;
      if (judge && on.ewma && !this.warmingUp && requests >= t.errorRateMinRequests) this.judgeErrorRate(closedAt, rate, out);
      s[CLOSE_VALUE] = rate;
      L_ewmaUpdateAt(s, ERROR_RATE_EWMA, CLOSE_VALUE);
    }
    // Slow drain: CUSUM on the closed bucket's cost against the hour-of-day baseline.
    const judgeCusum = judge && on.cusum && !this.warmingUp;
    const profile = s[PROFILE];
    const cost = s[COST];
    const expected = L_sdExpectedMeanAt(s, SLOW_DRAIN, profile, s[COST_EWMA + EWMA_MEAN_]);
    s[EXPECTED_TOTAL] += expected;
    if (this.hasWindowDrain) {
      // `addToBlock`, written out: no double crosses a call on this per-close path.
      s[BLOCK_COST] += cost;
      s[BLOCK_EXPECTED] += expected;
      if (!L_sdMatureAt(s, SLOW_DRAIN, profile)) s[BLOCK_YOUNG] = 1;
      if (closedAt % BLOCK_MS_ === 0) {
        this.closeBlock();
        if (judgeCusum && !this.young) this.judgeWindow(out);
      }
    }
    L_sdScoreAndLearnAt(s, SLOW_DRAIN, profile, BUCKET_START, COST, judgeCusum);
    if (judgeCusum) {
      if (s[SLOW_DRAIN + SD_STATISTIC_] === 0) s[CUSUM_SEVERITY] = 0;
      else {
        s[CLOSE_EXPECTED] = expected;
        this.judgeCusum(out);
      }
    }
    // Learn the closed bucket.
    L_ewmaUpdateAt(s, COST_EWMA, COST);
    L_ewmaUpdateAt(s, REQUESTS_EWMA, REQUESTS);
    L_ewmaUpdateAt(s, TOKENS_EWMA, TOKENS);
    L_rwPush(s, COST_WINDOW, COST_WINDOW_VALUES, this.windowCapacity, cost);
    L_rbmAdd(s, WEEKLY_PEAK, DAY_MS, PEAK_SLOTS, s[BUCKET_START], cost);
    s[AGE]++;
  }

  private judgeErrorRate(closedAt: number, rate: number, out: FindingDraft[]): void {
    const s = this.s;
    const t = this.settings.thresholds;
    const mean = s[ERROR_RATE_EWMA + EWMA_MEAN_];
    const sd = Math.sqrt(s[ERROR_RATE_EWMA + EWMA_VARIANCE_]);
    const limit = Math.max(t.errorRateMin, ewmaUpperControlLimit(mean, sd, t.ewmaSigmas));
    if (!(rate >= limit)) return;
    out.push(
      this.draft(closedAt, 'ewma', 'error_rate', 'warning', rate, mean, ewmaScore(rate, mean, sd), t.ewmaSigmas,
        `${describeSubject(this.accountId, this.keyId)} saw ${formatNumber(rate * 100)}% of its ${s[REQUESTS]} requests fail in the ${bucketLabel(this.bucketMs)} ending ${new Date(closedAt).toISOString()}, usually ${formatNumber(mean * 100)}% (limit ${formatNumber(limit * 100)}%)`),
    );
  }

  /** The window drain test on the block just closed (the bucket in progress ended it). */
  private judgeWindow(out: FindingDraft[]): void {
    const s = this.s;
    const closedAt = this.bucketEnd;
    const t = this.settings.thresholds;
    const corroborated = closedAt - s[NEW_ORIGIN_AT] <= t.windowDrainOriginMinutes * 60_000;
    const requestsMean = s[REQUESTS_EWMA + EWMA_MEAN_];
    const verdict = wdEvaluate(s, WINDOW_DRAIN, requestsMean > 0 ? s[COST_EWMA + EWMA_MEAN_] / requestsMean : 0, t, corroborated);
    if (verdict !== null) out.push(this.windowDraft(closedAt, verdict));
  }

  /** Learns `count` idle buckets after the bucket just closed (no double argument: see `rollToEvent`). */
  private learnIdle(count: number): void {
    const s = this.s;
    if (this.hasWindowDrain) this.windowIdle(count);
    L_ewmaUpdateRepeated(s, COST_EWMA, 0, count);
    L_ewmaUpdateRepeated(s, REQUESTS_EWMA, 0, count);
    L_ewmaUpdateRepeated(s, TOKENS_EWMA, 0, count);
    L_rwPushRepeated(s, COST_WINDOW, COST_WINDOW_VALUES, this.windowCapacity, 0, count);
    L_sdLearnIdle(s, SLOW_DRAIN, BUCKET_START, count, this.bucketMs, COST_EWMA + EWMA_MEAN_, EXPECTED_TOTAL);
    if (s[SLOW_DRAIN + SD_STATISTIC_] === 0) s[CUSUM_SEVERITY] = 0;
    s[AGE] += count;
  }

  /**
   * Idle minutes into the window test, block by block (a block never spans two hours), at
   * the profile before it learns them. Of a gap longer than the test's memory only the
   * end of the block in progress and the last 7 hours are fed.
   */
  private windowIdle(count: number): void {
    const bucketMs = this.bucketMs;
    const fromBucketStart = this.s[BUCKET_START] + bucketMs;
    const fallbackMean = this.s[COST_EWMA + EWMA_MEAN_];
    const end = fromBucketStart + count * bucketMs;
    let t = fromBucketStart;
    const skipTo = end - (end % BLOCK_MS_) - WINDOW_MEMORY_MS;
    while (t < end) {
      const blockEnd = Math.min(end, t - (t % BLOCK_MS_) + BLOCK_MS_);
      const p = L_profileIndex(t);
      const minutes = Math.round((blockEnd - t) / bucketMs);
      this.addToBlock(blockEnd, 0, minutes * L_sdExpectedMeanAt(this.s, SLOW_DRAIN, p, fallbackMean), !L_sdMatureAt(this.s, SLOW_DRAIN, p));
      t = blockEnd === t - (t % BLOCK_MS_) + BLOCK_MS_ && blockEnd < skipTo ? skipTo : blockEnd;
    }
  }

  /** `WindowDrainTest.add` on the block kept in this series: sums, and pushes the block when `end` closes it. */
  private addToBlock(end: number, cost: number, expected: number, young: boolean): boolean {
    const s = this.s;
    s[BLOCK_COST] += cost;
    s[BLOCK_EXPECTED] += expected;
    if (young) s[BLOCK_YOUNG] = 1;
    if (end % BLOCK_MS_ !== 0) return false;
    this.closeBlock();
    return true;
  }

  /** Pushes the block in progress into the window drain test and starts the next one. */
  private closeBlock(): void {
    const s = this.s;
    L_wdCloseBlock(s, WINDOW_DRAIN, s[BLOCK_COST], s[BLOCK_EXPECTED], s[BLOCK_YOUNG]);
    s[BLOCK_COST] = 0;
    s[BLOCK_EXPECTED] = 0;
    s[BLOCK_YOUNG] = 0;
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

  /** Slow drain verdict on the bucket just closed, CUSUM statistic > 0 (`CLOSE_EXPECTED`: its expected cost). */
  private judgeCusum(out: FindingDraft[]): void {
    const s = this.s;
    const t = this.settings.thresholds;
    const closedAt = this.bucketEnd;
    const statistic = s[SLOW_DRAIN + SD_STATISTIC_];
    const expected = s[CLOSE_EXPECTED];
    const excess = s[SLOW_DRAIN + SD_EXCESS_];
    const level = statistic >= t.cusumCritical && excess >= t.slowDrainMinExcessUsd ? 3 : statistic >= t.cusumWarning && excess >= t.minSpendUsd ? 2 : 0;
    if (level <= s[CUSUM_SEVERITY]) return;
    s[CUSUM_SEVERITY] = level;
    const severity: Severity = level === 3 ? 'critical' : 'warning';
    const threshold = level === 3 ? t.cusumCritical : t.cusumWarning;
    const runStart = s[SLOW_DRAIN + SD_RUN_START_];
    const minutes = Math.round((closedAt - runStart) / 60_000);
    out.push({
      ...this.draft(closedAt, 'cusum', 'cost_usd', severity, s[COST], expected, statistic, threshold,
        `${describeSubject(this.accountId, this.keyId)} has spent persistently above its usual ${formatUsd(expected)} per ${bucketLabel(this.bucketMs)} for this hour of day: ${formatUsd(excess)} more than expected over the last ${minutes} minutes (CUSUM ${formatNumber(statistic)} ≥ ${threshold})`),
      episodeStart: runStart,
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
    const s = this.s;
    return Math.max(s[COST_EWMA + EWMA_MEAN_], L_sdExpectedMeanAt(s, SLOW_DRAIN, s[PROFILE], s[COST_EWMA + EWMA_MEAN_]));
  }

  /**
   * Opens the levels of a new bucket as floors: every cost level is at least `minSpendUsd`
   * or the critical spend floor, every request level at least `minRequests`, every token
   * level at least `minTokens` (see `computeLevels`), so no level can be crossed before its
   * floor is.
   */
  private resetLevels(): void {
    const s = this.s;
    const t = this.settings.thresholds;
    s[LEVELS_READY] = 0;
    s[NEXT_COST] = Math.min(t.minSpendUsd, this.young ? t.warmupCriticalMinSpendUsd : t.criticalMinSpendUsd);
    s[NEXT_REQUESTS] = t.minRequests;
    s[NEXT_TOKENS] = t.minTokens;
  }

  private computeLevels(): void {
    const s = this.s;
    s[LEVELS_READY] = 1;
    const t = this.settings.thresholds;
    const on = this.settings.detectors;
    s.fill(Infinity, LEVELS, LEVELS + LEVEL_COUNT);
    const warm = !this.warmingUp;
    const costMean = s[COST_EWMA + EWMA_MEAN_];
    if (on['spike-ratio']) {
      const baseline = this.spikeBaseline();
      s[LEVELS + LEVEL_COST_SPIKE_WARNING] = spikeRatioLevel({ baseline, ratio: t.spikeRatioWarning, floor: t.minSpendUsd });
      s[LEVELS + LEVEL_COST_SPIKE_CRITICAL] = spikeRatioLevel({
        baseline,
        ratio: t.spikeRatioCritical,
        floor: this.young ? t.warmupCriticalMinSpendUsd : t.criticalMinSpendUsd,
        recentPeak: rbmMaxAt(s, WEEKLY_PEAK, DAY_MS, PEAK_SLOTS, s[BUCKET_START]),
        peakGuardFactor: t.peakGuardFactor,
      });
      s[LEVELS + LEVEL_REQUESTS_SPIKE] = spikeRatioLevel({ baseline: s[REQUESTS_EWMA + EWMA_MEAN_], ratio: t.spikeRatioWarning, floor: t.minRequests });
      s[LEVELS + LEVEL_TOKENS_SPIKE] = spikeRatioLevel({ baseline: s[TOKENS_EWMA + EWMA_MEAN_], ratio: t.spikeRatioWarning, floor: t.minTokens });
    }
    const windowCount = s[COST_WINDOW + RW_SIZE_];
    if (warm && on.zscore && windowCount >= 2) {
      s[LEVELS + LEVEL_COST_ZSCORE] = Math.max(t.minSpendUsd, rollingZscoreLevel(s[COST_WINDOW + RW_MEAN_], Math.sqrt(rwSampleVariance(s, COST_WINDOW)), t.zscore));
    }
    if (warm && on['robust-zscore'] && windowCount > 0) {
      if (sortScratch.length < this.windowCapacity) sortScratch = new Float64Array(this.windowCapacity);
      const n = rwCopyValuesTo(s, COST_WINDOW, COST_WINDOW_VALUES, this.windowCapacity, sortScratch);
      const sorted = sortScratch.subarray(0, n).sort();
      const median = medianOfSorted(sorted, n);
      s[WINDOW_MEDIAN] = median;
      s[WINDOW_MAD] = medianAbsoluteDeviationOfSorted(sorted, n, median);
      s[LEVELS + LEVEL_COST_ROBUST] = Math.max(t.minSpendUsd, robustZscoreLevel(median, s[WINDOW_MAD], t.robustZscore));
    }
    if (warm && on.ewma) {
      s[LEVELS + LEVEL_COST_EWMA] = Math.max(t.minSpendUsd, ewmaUpperControlLimit(costMean, Math.sqrt(s[COST_EWMA + EWMA_VARIANCE_]), t.ewmaSigmas));
      s[LEVELS + LEVEL_REQUESTS_EWMA] = Math.max(t.minRequests, ewmaUpperControlLimit(s[REQUESTS_EWMA + EWMA_MEAN_], Math.sqrt(s[REQUESTS_EWMA + EWMA_VARIANCE_]), t.ewmaSigmas));
      s[LEVELS + LEVEL_TOKENS_EWMA] = Math.max(t.minTokens, ewmaUpperControlLimit(s[TOKENS_EWMA + EWMA_MEAN_], Math.sqrt(s[TOKENS_EWMA + EWMA_VARIANCE_]), t.ewmaSigmas));
    }
    this.updateNextLevels();
  }

  /** Level `i` unless it already fired (then Infinity). */
  private armed(i: number): number {
    return this.s[FIRED + i] !== 0 ? Infinity : this.s[LEVELS + i];
  }

  private updateNextLevels(): void {
    const s = this.s;
    let cost = Infinity;
    for (let i = LEVEL_COST_SPIKE_WARNING; i <= LEVEL_COST_EWMA; i++) if (s[FIRED + i] === 0 && s[LEVELS + i] < cost) cost = s[LEVELS + i];
    s[NEXT_COST] = cost;
    s[NEXT_REQUESTS] = Math.min(this.armed(LEVEL_REQUESTS_SPIKE), this.armed(LEVEL_REQUESTS_EWMA));
    s[NEXT_TOKENS] = Math.min(this.armed(LEVEL_TOKENS_SPIKE), this.armed(LEVEL_TOKENS_EWMA));
  }

  /** Whether level `i` has not fired yet and `observed` reached it (then marks it fired). */
  private crossed(i: number, observed: number): boolean {
    const s = this.s;
    if (s[FIRED + i] !== 0 || !(observed >= s[LEVELS + i])) return false;
    s[FIRED + i] = 1;
    s[ANY_FIRED] = 1;
    return true;
  }

  private judgeInProgress(time: number, out: FindingDraft[]): void {
    const s = this.s;
    const t = this.settings.thresholds;
    const who = describeSubject(this.accountId, this.keyId);
    const inBucket = `in the current ${bucketLabel(this.bucketMs)}`;
    const cost = s[COST];
    const spent = `${who} spent ${formatUsd(cost)} ${inBucket}`;
    const baseline = this.spikeBaseline();

    if (this.crossed(LEVEL_COST_SPIKE_CRITICAL, cost)) {
      s[FIRED + LEVEL_COST_SPIKE_WARNING] = 1;
      out.push(this.spikeDraft(time, 'critical', cost, baseline, t.spikeRatioCritical, spent));
    } else if (this.crossed(LEVEL_COST_SPIKE_WARNING, cost)) {
      out.push(this.spikeDraft(time, 'warning', cost, baseline, t.spikeRatioWarning, spent));
    }
    if (this.crossed(LEVEL_COST_ZSCORE, cost)) {
      const mean = s[COST_WINDOW + RW_MEAN_];
      const z = rollingZscore(cost, mean, Math.sqrt(rwSampleVariance(s, COST_WINDOW)));
      out.push(this.draft(time, 'zscore', 'cost_usd', 'warning', cost, mean, z, t.zscore,
        `${spent}, ${formatNumber(z)} standard deviations above its recent mean of ${formatUsd(mean)} (z ${formatNumber(z)} ≥ ${t.zscore})`));
    }
    if (this.crossed(LEVEL_COST_ROBUST, cost)) {
      const median = s[WINDOW_MEDIAN];
      const m = robustZscore(cost, median, s[WINDOW_MAD]);
      out.push(this.draft(time, 'robust-zscore', 'cost_usd', 'warning', cost, median, m, t.robustZscore,
        `${spent}, far above its recent median of ${formatUsd(median)} (modified z ${formatNumber(m)} ≥ ${t.robustZscore})`));
    }
    if (this.crossed(LEVEL_COST_EWMA, cost)) {
      const mean = s[COST_EWMA + EWMA_MEAN_];
      const score = ewmaScore(cost, mean, Math.sqrt(s[COST_EWMA + EWMA_VARIANCE_]));
      out.push(this.draft(time, 'ewma', 'cost_usd', 'warning', cost, mean, score, t.ewmaSigmas,
        `${spent}, above its control limit of ${formatUsd(s[LEVELS + LEVEL_COST_EWMA])} (EWMA mean ${formatUsd(mean)} + ${t.ewmaSigmas}σ)`));
    }
    this.judgeCount(time, 'requests', s[REQUESTS], REQUESTS_EWMA, LEVEL_REQUESTS_SPIKE, LEVEL_REQUESTS_EWMA, `${who} made ${formatNumber(s[REQUESTS])} requests ${inBucket}`, out);
    this.judgeCount(time, 'tokens', s[TOKENS], TOKENS_EWMA, LEVEL_TOKENS_SPIKE, LEVEL_TOKENS_EWMA, `${who} used ${formatNumber(s[TOKENS])} tokens ${inBucket}`, out);
    this.updateNextLevels();
  }

  // Requests and tokens only warn: what costs money is judged on cost.
  private judgeCount(time: number, metric: 'requests' | 'tokens', observed: number, ewma: number, spikeLevel: number, ewmaLevel: number, what: string, out: FindingDraft[]): void {
    const s = this.s;
    const t = this.settings.thresholds;
    const mean = s[ewma + EWMA_MEAN_];
    if (this.crossed(spikeLevel, observed)) {
      const ratio = spikeRatio(observed, mean);
      out.push(this.draft(time, 'spike-ratio', metric, 'warning', observed, mean, ratio, t.spikeRatioWarning,
        `${what}, ${formatNumber(ratio)}× its usual ${formatNumber(mean)} (spike ratio ${formatNumber(ratio)} ≥ ${t.spikeRatioWarning})`));
    }
    if (this.crossed(ewmaLevel, observed)) {
      const score = ewmaScore(observed, mean, Math.sqrt(s[ewma + EWMA_VARIANCE_]));
      out.push(this.draft(time, 'ewma', metric, 'warning', observed, mean, score, t.ewmaSigmas,
        `${what}, above its control limit of ${formatNumber(s[LEVELS + ewmaLevel])} (EWMA mean ${formatNumber(mean)} + ${t.ewmaSigmas}σ)`));
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
      episodeStart: this.s[BUCKET_START],
      bucketStart: this.s[BUCKET_START],
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

// Layout of `SeriesState.s`. What every event touches comes first (line 0), then what every
// closed bucket touches (lines 1–5), packed: with 10k+ keys each further cache line read per
// event is a miss. Cold numbers (levels, weekly peak, profiles, rings) follow.
// Line 0: the bucket in progress and its levels (`next*` are floors until `LEVELS_READY`, see the class comment).
const BUCKET_START = 0;
const COST = 1;
const REQUESTS = 2;
const TOKENS = 3;
const ERRORS = 4;
const NEXT_COST = 5;
const NEXT_REQUESTS = 6;
const NEXT_TOKENS = 7;
// Line 1.
const SPEND_TOTAL = 8;
const LEVELS_READY = 9;
/** 1 when a `FIRED` flag is set: rolling clears them only then (their line is not read otherwise). */
const ANY_FIRED = 10;
/** Buckets since this series first saw an event (closed ones, including idle ones). */
const AGE = 11;
/** `L_profileIndex(bucketStart)`: the hour-of-day profile of the bucket in progress. */
const PROFILE = 12;
const EXPECTED_TOTAL = 13;
/** 0 none, 2 warning, 3 critical: what was emitted for the current CUSUM run. */
const CUSUM_SEVERITY = 14;
/** Start of the bucket `roll` opens (passed to `rollToPending` here). */
const ROLL_TO = 15;
/** Line 2: per novelty attribute, the key's `NoveltyMemory` hot numbers (keys only; see `noveltyNumbers`). */
const NOVELTY = 16;
// Lines 3–4.
const COST_EWMA = NOVELTY + 4 * NOVELTY_HOT_SIZE;
const REQUESTS_EWMA = COST_EWMA + EWMA_SIZE;
const TOKENS_EWMA = REQUESTS_EWMA + EWMA_SIZE;
const ERROR_RATE_EWMA = TOKENS_EWMA + EWMA_SIZE;
/** Line 5: header of the window of the last `windowBuckets` closed bucket costs (`RollingWindowMoments` layout; its ring is last). */
const COST_WINDOW = ERROR_RATE_EWMA + EWMA_SIZE;
/** Block in progress of the window drain test (cost, expected, any young profile). */
const BLOCK_COST = COST_WINDOW + RW_VALUES_;
const BLOCK_EXPECTED = BLOCK_COST + 1;
/** Scratch: a value passed to a stats function by index (see `ewmaUpdateAt`). */
const CLOSE_VALUE = BLOCK_COST + 2;
// Cold.
const BLOCK_YOUNG = BLOCK_COST + 3;
const NEW_ORIGIN_AT = BLOCK_COST + 4;
/** Median and MAD of the cost window, valid once levels are computed with robust-zscore on. */
const WINDOW_MEDIAN = NEW_ORIGIN_AT + 1;
const WINDOW_MAD = NEW_ORIGIN_AT + 2;
/** Expected cost of the bucket being closed (passed to `judgeCusum` here: no boxed double on the call). */
const CLOSE_EXPECTED = NEW_ORIGIN_AT + 3;
/** Levels by LEVEL_* (Infinity = off), and whether each fired in this bucket (0/1). */
const LEVELS = NEW_ORIGIN_AT + 4;
const FIRED = LEVELS + LEVEL_COUNT;
/** Daily maxima of the last 8 days (`RollingBucketMax` layout). */
const WEEKLY_PEAK = FIRED + LEVEL_COUNT;
const PEAK_SLOTS = 8;
const SLOW_DRAIN = WEEKLY_PEAK + RBM_MAXIMA + PEAK_SLOTS;
/** Moving 60-minute window test of a key against its profile (keys only; unused for accounts). */
const WINDOW_DRAIN = SLOW_DRAIN + SD_SIZE;
/** The cost window's ring, last: its size is a setting. */
const COST_WINDOW_VALUES = WINDOW_DRAIN + WD_SIZE;

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
