/**
 * Window drain: a key spending a sustained multiple of what it usually spends over the last
 * 30–60 minutes (a leaked key used at 2–3× its normal rate around the clock), judged every
 * block (10 minutes). The per-minute CUSUM of `SlowDrainDetector` is weak for keys whose
 * minutes are mostly empty; summing blocks of minutes makes 2× of a key at 0.3 requests a
 * minute visible within the hour.
 *
 * Method: a moving-sum scan test (Naus 1965; Glaz, Naus & Wallenstein, "Scan Statistics",
 * 2001) over the windows of the last L = 3 … 6 blocks ending now (the start of a drain is
 * unknown; the largest z that passes every gate is the verdict), with the excess
 * standardised by a quasi-Poisson dispersion learned from the key's own windows
 * (McCullagh & Nelder, "Generalized Linear Models", §4.5; as in Kulldorff's space-time
 * scan with over-dispersion):
 *  - per closed minute the caller adds the cost and the expected cost (the key's hour-of-day
 *    × weekday/weekend profile, before it learns the minute) into 10-minute blocks; the last
 *    6 blocks are the 60-minute window W, the 36 blocks (6 h) before it the reference.
 *  - today's level ℓ = (X_ref + E_W) / (E_ref + E_W), clamped to [0.5, 1.5]: what the key
 *    spends today relative to its profile (a busy day, account growth), shrunk toward 1 by
 *    one window of pseudo-data. The day-to-day factor persists within a day, so comparing the
 *    last hour with the hours before removes it; a drain is a step, so the reference is still
 *    clean in the first hour of a drain, which is when it must page.
 *  - dispersion φ = EWMA((X_W − ℓE_W)²) / EWMA(ℓE_W) over every judged 60-minute window
 *    (half-life 3 days, score first, then learn), floored at 2c̄ (compound Poisson with
 *    c̄ = mean cost per request, E[c²]/E[c] ≈ 2c̄ for log-normal request costs). It holds the
 *    key's own hour-to-hour noise, its request-size spread and its batch jobs.
 *  - a window of L blocks with cost X and profile E is critical when
 *      X ≥ `windowDrainRatio` × ℓE                                      the step is of drain size,
 *      X ≥ `windowDrainProfileRatio` × E                                also above the profile itself (a day that was idle does not make normal traffic a drain),
 *      z = (X − ℓE) / √(φ · ℓE) ≥ `windowDrainMinZ`, or `windowDrainMinZAlone` without a new IP/country on the key within `windowDrainOriginMinutes`,
 *      X − ℓE ≥ `windowDrainMinExcessUsd` ($), or `windowDrainAloneMinExcessUsd` without a new IP/country: pennies never page,
 *      the last 3 blocks (30 min) above ℓ × expected, at most one block in three of the window
 *      below, and the window without its two largest blocks still at the ratio with (L − 2)/L
 *      of the dollar floor over and z ≥ √((L − 2)/L) × the bar: sustained and still going, every block carrying its share,
 *      not a burst of up to 20 minutes (two blocks) with noise around it. A batch job of up to 20 minutes cannot page; longer nightly
 *      jobs recur at the same hour, so the hour profile and the dispersion carry them.
 *    A new IP or country is the attacker's footprint (the owner's traffic continues from the
 *    known IPs, see `DetectionEngine.judgeOrigin`): with it a 1.5σ hour of excess is enough;
 *    a drain from the key's own IPs needs 6.5σ and $1.
 *  - one page per episode: after a page the test is quiet until a block closes with the
 *    60-minute window below 1.2 × ℓE (negative evidence resets it).
 * Not judged while any minute of the window or reference fell in a profile that is still
 * young (the fallback baseline has no daily cycle), nor before 144 windows (a day) have
 * taught it the dispersion.
 *
 * Cost: O(1) per closed minute (block sums), O(42) per block close.
 */
export class WindowDrainTest {
  /** The test's state (layout `WD_*`, as `SeriesState` embeds it in its one state array). */
  private readonly d = new Float64Array(WD_SIZE);
  private blockCost = 0;
  private blockExpected = 0;
  private blockYoung = 0;

  constructor(state?: WindowDrainState) {
    if (state) {
      wdInit(this.d, 0, state);
      this.blockCost = state.blockCost;
      this.blockExpected = state.blockExpected;
      this.blockYoung = state.blockYoung;
    }
  }

  /** Whether the current episode already paged (cleared by a block with R < RESET_RATIO). */
  get paged(): boolean {
    return this.d[WD_PAGED] !== 0;
  }

  /** EWMA of the squared window residual (X_W − ℓE_W)², over judged windows (one per block). */
  get residualSquares(): number {
    return this.d[WD_RESIDUAL_SQUARES];
  }

  /** EWMA of ℓE_W over the same windows: dispersion φ = residualSquares / expectedMean. */
  get expectedMean(): number {
    return this.d[WD_EXPECTED_MEAN];
  }

  /** Windows learned (saturates; warm-up weight 1/n). */
  get learned(): number {
    return this.d[WD_LEARNED];
  }

  /**
   * Adds `minutes` closed minutes ending at `end` (epoch ms, all within one block) that cost
   * `cost` and were expected to cost `expected`. Returns true when this closed a block (then
   * `evaluate` judges the window).
   */
  add(end: number, cost: number, expected: number, young: boolean): boolean {
    this.blockCost += cost;
    this.blockExpected += expected;
    if (young) this.blockYoung = 1;
    if (end % BLOCK_MS !== 0) return false;
    this.closeBlock(this.blockCost, this.blockExpected, this.blockYoung);
    this.blockCost = 0;
    this.blockExpected = 0;
    this.blockYoung = 0;
    return true;
  }

  /** Pushes a closed block summed by the caller (the engine keeps the block in progress in its series, see `SeriesState`). */
  closeBlock(cost: number, expected: number, young: number): void {
    wdCloseBlock(this.d, 0, cost, expected, young);
  }

  /**
   * Today's level ℓ as `evaluate` computes it for the window ending with the last closed
   * block; 1 while the ring is not full or holds a young profile (no day level known yet).
   */
  todayLevel(): number {
    return wdTodayLevel(this.d, 0);
  }

  /** Dispersion φ: variance of the 60-minute spend per dollar expected, learned from this key's own windows. */
  get dispersion(): number {
    return wdDispersion(this.d, 0);
  }

  /**
   * Judges the window that ends with the block just closed (score first), then learns its
   * residual into the dispersion. `meanCostPerRequest` (c̄) floors the dispersion at
   * the compound-Poisson 2c̄ of a key with few windows learned.
   */
  evaluate(meanCostPerRequest: number, t: WindowDrainThresholds, corroborated = false): WindowDrainVerdict | null {
    return wdEvaluate(this.d, 0, meanCostPerRequest, t, corroborated);
  }

  toState(): WindowDrainState {
    return wdToState(this.d, 0, this.blockCost, this.blockExpected, this.blockYoung);
  }
}

// The math on a Float64Array at offset `o` (layout `WD_*`): the class above and `SeriesState`
// (which embeds the test in its one state array and keeps the block in progress itself) run the same code.
export const WD_SLOT = 0; // ring slot of the block in progress
export const WD_FILLED = 1; // blocks closed since the start (saturates at RING)
export const WD_PAGED = 2;
export const WD_RESIDUAL_SQUARES = 3;
export const WD_EXPECTED_MEAN = 4;
export const WD_LEARNED = 5;
const WD_COST = 6;
const WD_EXPECTED = WD_COST + 42;
const WD_YOUNG = WD_EXPECTED + 42;
export const WD_SIZE = WD_YOUNG + 42;

/** Restores a test (the block in progress is the caller's). */
export function wdInit(a: Float64Array, o: number, state: WindowDrainState): void {
  a.set(state.cost, o + WD_COST);
  a.set(state.expected, o + WD_EXPECTED);
  a.set(state.young, o + WD_YOUNG);
  a[o + WD_SLOT] = state.slot;
  a[o + WD_FILLED] = state.filled;
  a[o + WD_PAGED] = state.paged ? 1 : 0;
  a[o + WD_RESIDUAL_SQUARES] = state.residualSquares;
  a[o + WD_EXPECTED_MEAN] = state.expectedMean;
  a[o + WD_LEARNED] = state.learned;
}

export function wdCloseBlock(a: Float64Array, o: number, cost: number, expected: number, young: number): void {
  const s = a[o + WD_SLOT];
  a[o + WD_COST + s] = cost;
  a[o + WD_EXPECTED + s] = expected;
  a[o + WD_YOUNG + s] = young;
  a[o + WD_SLOT] = s + 1 === RING ? 0 : s + 1;
  if (a[o + WD_FILLED] < RING) a[o + WD_FILLED]++;
}

export function wdTodayLevel(a: Float64Array, o: number): number {
  if (a[o + WD_FILLED] < RING) return 1;
  const slot = a[o + WD_SLOT];
  let windowExpected = 0;
  let refCost = 0;
  let refExpected = 0;
  for (let i = 0; i < RING; i++) {
    const j = (slot + i) % RING;
    if (a[o + WD_YOUNG + j] !== 0) return 1;
    if (i < REFERENCE_BLOCKS) {
      refCost += a[o + WD_COST + j];
      refExpected += a[o + WD_EXPECTED + j];
    } else windowExpected += a[o + WD_EXPECTED + j];
  }
  return clampLevel(refCost, refExpected, windowExpected);
}

export function wdDispersion(a: Float64Array, o: number): number {
  return a[o + WD_EXPECTED_MEAN] > 0 ? a[o + WD_RESIDUAL_SQUARES] / a[o + WD_EXPECTED_MEAN] : 0;
}

/** See `WindowDrainTest.evaluate`. */
export function wdEvaluate(a: Float64Array, o: number, meanCostPerRequest: number, t: WindowDrainThresholds, corroborated: boolean): WindowDrainVerdict | null {
  if (a[o + WD_FILLED] < RING) return null;
  const slot = a[o + WD_SLOT];
  const costAt = o + WD_COST;
  const expectedAt = o + WD_EXPECTED;
  let windowCost = 0;
  let windowExpected = 0;
  let refCost = 0;
  let refExpected = 0;
  let young = 0;
  // Slots from the oldest (slot) to the newest (slot − 1).
  for (let i = 0; i < RING; i++) {
    const j = (slot + i) % RING;
    young |= a[o + WD_YOUNG + j];
    if (i < REFERENCE_BLOCKS) {
      refCost += a[costAt + j];
      refExpected += a[expectedAt + j];
    } else {
      windowCost += a[costAt + j];
      windowExpected += a[expectedAt + j];
    }
  }
  if (young !== 0 || windowExpected <= 0) return null;
  const level = clampLevel(refCost, refExpected, windowExpected);
  const expected = level * windowExpected;
  const excess = windowCost - expected;
  const dispersion = Math.max(wdDispersion(a, o), 2 * Math.max(meanCostPerRequest, 0));
  const ready = a[o + WD_LEARNED] >= MIN_LEARNED_WINDOWS;
  wdLearnResidual(a, o, excess, expected);
  if (windowCost < RESET_RATIO * expected) a[o + WD_PAGED] = 0;
  if (a[o + WD_PAGED] !== 0 || !ready) return null;
  // Scan the windows of the last 3 … 6 blocks ending now (the start of a drain is unknown):
  // the one with the largest z that passes every gate is the verdict.
  const minZ = corroborated ? t.windowDrainMinZ : t.windowDrainMinZAlone;
  const minExcess = corroborated ? t.windowDrainMinExcessUsd : t.windowDrainAloneMinExcessUsd;
  let best: WindowDrainVerdict | null = null;
  let cost = 0;
  let exp = 0;
  let above = 0;
  let run = 0;
  let inRun = true;
  // The two blocks of the window with the largest excess (cost and expected of each).
  let top1 = -Infinity;
  let top1Cost = 0;
  let top1Expected = 0;
  let top2 = -Infinity;
  let top2Cost = 0;
  let top2Expected = 0;
  for (let i = 1; i <= WINDOW_BLOCKS; i++) {
    const j = (slot - i + RING) % RING;
    const blockCost = a[costAt + j];
    const blockExpected = a[expectedAt + j];
    cost += blockCost;
    exp += blockExpected;
    const blockExcess = blockCost - level * blockExpected;
    if (blockExcess > top1) {
      top2 = top1;
      top2Cost = top1Cost;
      top2Expected = top1Expected;
      top1 = blockExcess;
      top1Cost = blockCost;
      top1Expected = blockExpected;
    } else if (blockExcess > top2) {
      top2 = blockExcess;
      top2Cost = blockCost;
      top2Expected = blockExpected;
    }
    const up = blockCost > level * blockExpected;
    if (up) above++;
    if (inRun && up) run++;
    else inRun = false;
    // Sustained: the last 3 blocks (30 min) above today's expectation, and at most one in three of the window below.
    if (run < MIN_RUN_BLOCKS || above < i - Math.floor(i / 3)) continue;
    const e = level * exp;
    const x = cost - e;
    if (cost < t.windowDrainRatio * e || cost < t.windowDrainProfileRatio * exp || x < minExcess) continue;
    // Not a burst: without its two largest blocks the window is still at the ratio (a job of up to
    // 20 minutes straddles at most two blocks; for 30 minutes this is every block at the ratio).
    // The trimmed window must also carry its share of the evidence: (L − 2)/L of the dollar floor, √((L − 2)/L) of the z bar.
    const trimmedCost = cost - top1Cost - top2Cost;
    const trimmedExpected = level * (exp - top1Expected - top2Expected);
    const share = (i - 2) / i;
    if (trimmedCost < t.windowDrainRatio * trimmedExpected || trimmedCost - trimmedExpected < minExcess * share) continue;
    if (!((trimmedCost - trimmedExpected) / Math.sqrt(dispersion * trimmedExpected) >= minZ * Math.sqrt(share))) continue;
    const zi = x / Math.sqrt(dispersion * e);
    if (!(zi >= minZ) || (best !== null && zi <= best.z)) continue;
    best = { minutes: i * BLOCK_MINUTES, windowCost: cost, windowExpected: exp, level, expected: e, ratio: cost / e, z: zi, runMinutes: run * BLOCK_MINUTES, blocksAbove: above, corroborated };
  }
  if (best !== null) a[o + WD_PAGED] = 1;
  return best;
}

export function wdToState(a: Float64Array, o: number, blockCost: number, blockExpected: number, blockYoung: number): WindowDrainState {
  return {
    cost: Array.from(a.subarray(o + WD_COST, o + WD_COST + RING)),
    expected: Array.from(a.subarray(o + WD_EXPECTED, o + WD_EXPECTED + RING)),
    young: Array.from(a.subarray(o + WD_YOUNG, o + WD_YOUNG + RING)),
    slot: a[o + WD_SLOT],
    filled: a[o + WD_FILLED],
    blockCost,
    blockExpected,
    blockYoung,
    paged: a[o + WD_PAGED] !== 0,
    residualSquares: a[o + WD_RESIDUAL_SQUARES],
    expectedMean: a[o + WD_EXPECTED_MEAN],
    learned: a[o + WD_LEARNED],
  };
}

// EWMA with warm-up weight max(α, 1/n) (see EwmaMoments).
function wdLearnResidual(a: Float64Array, o: number, excess: number, expected: number): void {
  if (a[o + WD_LEARNED] < MAX_LEARNED) a[o + WD_LEARNED]++;
  const w = Math.max(DISPERSION_ALPHA, 1 / a[o + WD_LEARNED]);
  a[o + WD_RESIDUAL_SQUARES] += w * (excess * excess - a[o + WD_RESIDUAL_SQUARES]);
  a[o + WD_EXPECTED_MEAN] += w * (expected - a[o + WD_EXPECTED_MEAN]);
}

export interface WindowDrainThresholds {
  windowDrainRatio: number;
  windowDrainProfileRatio: number;
  windowDrainMinZ: number;
  windowDrainMinZAlone: number;
  windowDrainAloneMinExcessUsd: number;
  windowDrainMinExcessUsd: number;
}

export interface WindowDrainVerdict {
  /** Length of the window judged (30 … 60 minutes). */
  minutes: number;
  /** A new IP or country appeared on the key shortly before (the lower z bar applied). */
  corroborated: boolean;
  /** Spend over the window (USD). */
  windowCost: number;
  /** The profile's expectation for those minutes (USD). */
  windowExpected: number;
  /** Today's level ℓ (reference spend / reference expectation, shrunk and clamped). */
  level: number;
  /** ℓ × windowExpected. */
  expected: number;
  ratio: number;
  z: number;
  /** Minutes in a row (whole blocks, counted back from the newest) above ℓ × expected. */
  runMinutes: number;
  blocksAbove: number;
}

export interface WindowDrainState {
  cost: number[];
  expected: number[];
  young: number[];
  slot: number;
  filled: number;
  blockCost: number;
  blockExpected: number;
  blockYoung: number;
  paged: boolean;
  residualSquares: number;
  expectedMean: number;
  learned: number;
}

export const BLOCK_MINUTES = 10;
export const BLOCK_MS = BLOCK_MINUTES * 60_000;
export const WINDOW_BLOCKS = 6;
export const REFERENCE_BLOCKS = 36;
const RING = WINDOW_BLOCKS + REFERENCE_BLOCKS;
const MIN_RUN_BLOCKS = 3;
/** Dispersion EWMA half-life: 3 days of blocks (432), α = 1 − 2^(−1/432). */
const DISPERSION_ALPHA = 1 - Math.pow(2, -1 / 432);
/** Judged only after a day of windows (144) has been learned. */
const MIN_LEARNED_WINDOWS = 144;
const MAX_LEARNED = 1 << 20;
const RESET_RATIO = 1.2;
const MIN_LEVEL = 0.5;
const MAX_LEVEL = 1.5;

/** ℓ = (X_ref + E_W) / (E_ref + E_W) clamped to [MIN_LEVEL, MAX_LEVEL] (see the class comment); 1 with nothing expected. */
function clampLevel(refCost: number, refExpected: number, windowExpected: number): number {
  const denominator = refExpected + windowExpected;
  if (denominator <= 0) return 1;
  return Math.min(MAX_LEVEL, Math.max(MIN_LEVEL, (refCost + windowExpected) / denominator));
}
