import type { Finding } from '@spendguard/contracts/finding';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { DetectionEngine } from '../engine/detection-engine';
import { makeEvent, type SyntheticKey } from '../testing/synthetic-traffic';
import { BLOCK_MS, WindowDrainTest, type WindowDrainThresholds, type WindowDrainVerdict } from './window-drain.detector';

// Hand-computed verdicts of the window test. A block is 10 minutes; the window scans the
// last 3 … 6 blocks, the reference is the 36 blocks before the last 6. Costs are fed a block
// at a time (one `add` ending on the block boundary), expected $0.10 a block unless said
// otherwise. Before each case 42 + 144 normal blocks fill the ring and the dispersion's
// warm-up; their residuals are exactly 0, so the dispersion is the compound-Poisson floor
// 2c̄ (c̄ = mean cost per request, $0.01 unless said otherwise) in every case below.
const T: WindowDrainThresholds = {
  windowDrainRatio: 1.8,
  windowDrainProfileRatio: 1.3,
  windowDrainMinZ: 3,
  windowDrainMinZAlone: 6,
  windowDrainMinExcessUsd: 0.25,
  windowDrainAloneMinExcessUsd: 1,
};
const E = 0.1;

class Feed {
  readonly test = new WindowDrainTest();
  private end = Date.UTC(2026, 0, 7); // a block boundary
  /** Adds one block; returns the verdict of its close (with a new IP/country seen, unless `corroborated` is false). */
  block(cost: number, expected = E, meanCostPerRequest = 0.01, young = false, corroborated = true): WindowDrainVerdict | null {
    this.end += BLOCK_MS;
    expect(this.test.add(this.end, cost, expected, young)).toBe(true);
    return this.test.evaluate(meanCostPerRequest, T, corroborated);
  }
  blocks(n: number, cost: number, expected = E, meanCostPerRequest = 0.01, young = false, corroborated = true): Array<WindowDrainVerdict | null> {
    return Array.from({ length: n }, () => this.block(cost, expected, meanCostPerRequest, young, corroborated));
  }
  /** The ring (42 blocks) and the dispersion warm-up (144 windows) at `cost` a block. */
  warm(cost = E, expected = E, meanCostPerRequest = 0.01): this {
    expect(this.blocks(42 + 144, cost, expected, meanCostPerRequest).every((v) => v === null)).toBe(true);
    return this;
  }
}

describe('WindowDrainTest (30–60-minute windows against the profile × today’s level)', () => {
  it('only closes a block on a block boundary', () => {
    const test = new WindowDrainTest();
    const start = Date.UTC(2026, 0, 7);
    expect(test.add(start + 60_000, 1, 1, false)).toBe(false);
    expect(test.add(start + 9 * 60_000, 1, 1, false)).toBe(false);
    expect(test.add(start + BLOCK_MS, 1, 1, false)).toBe(true);
  });

  it('is quiet until a day of windows has taught it the key’s dispersion', () => {
    const f = new Feed();
    f.blocks(42 + 100, E);
    expect(f.blocks(6, 0.3).every((v) => v === null)).toBe(true);
  });

  it('pages a 2.5× drain on the 3rd drained block (30 minutes), once', () => {
    const f = new Feed().warm();
    expect(f.blocks(2, 0.25)).toEqual([null, null]); // fewer than 3 blocks in a row
    // k = 3, ℓ = 1: 30-min window 0.75 vs 0.30 (ratio 2.5, z = 0.45 / √(0.02 · 0.3) = 5.809);
    // 40 min 0.85 vs 0.40 (z 5.03), 50 min 0.95 vs 0.5 (z 4.5), 60 min 1.05 vs 0.6 (ratio 1.75 < 1.8): the 30-min window has the largest z.
    const v = f.block(0.25) as WindowDrainVerdict;
    expect(v.minutes).toBe(30);
    expect(v.windowCost).toBeCloseTo(0.75, 12);
    expect(v.windowExpected).toBeCloseTo(0.3, 12);
    expect(v.level).toBe(1);
    expect(v.ratio).toBeCloseTo(2.5, 12);
    expect(v.z).toBeCloseTo(0.45 / Math.sqrt(0.006), 10);
    expect(v.z).toBeCloseTo(5.8095, 4);
    expect(v.runMinutes).toBe(30);
    expect(v.corroborated).toBe(true);
    // The drain goes on for 3 more hours: the episode paged already.
    expect(f.blocks(18, 0.25).every((x) => x === null)).toBe(true);
  });

  it('measures against today’s level: on a busy day (1.2× all day) ℓ = 4.92 / 4.2', () => {
    const f = new Feed().warm(0.12);
    // ℓ = (36 · 0.12 + 0.6) / (3.6 + 0.6) = 1.171428…; a normal block ($0.12) is above ℓ · $0.10 = $0.117 too, so
    // after k = 2 blocks at $0.30 the last 3 blocks are above, but without its two largest blocks the 30-min window is
    // $0.12 vs $0.117 (1.02× < 1.8): not sustained yet. k = 3: 30 min 0.9 vs ℓ · 0.3 = 0.351428… (ratio 2.561, z 6.54;
    // trimmed: one block 0.3 vs 0.117, 2.56×, $0.183 ≥ $0.25 / 3 over, z 3.78 ≥ 3 / √3).
    expect(f.blocks(2, 0.3)).toEqual([null, null]);
    const v = f.block(0.3) as WindowDrainVerdict;
    const level = 4.92 / 4.2;
    expect(v.level).toBeCloseTo(level, 12);
    expect(v.minutes).toBe(30);
    expect(v.expected).toBeCloseTo(level * 0.3, 12);
    expect(v.ratio).toBeCloseTo(0.9 / (level * 0.3), 12);
    expect(v.z).toBeCloseTo((0.9 - level * 0.3) / Math.sqrt(0.02 * level * 0.3), 10);
  });

  it('a 20-minute batch job at 20× does not page (the window without its two largest blocks is normal), nor does the hour after it', () => {
    const f = new Feed().warm();
    expect(f.blocks(2, 2)).toEqual([null, null]);
    expect(f.blocks(6, E).every((v) => v === null)).toBe(true);
  });

  it('pennies never page: 3× of $0.006 a block is at most $0.072 over in an hour (< $0.25)', () => {
    const f = new Feed().warm(0.006, 0.006, 0.0001);
    expect(f.blocks(12, 0.018, 0.006, 0.0001).every((v) => v === null)).toBe(true);
  });

  it('few, expensive requests need more evidence: at $0.04 a request the 2.5× drain pages on the 4th block', () => {
    const f = new Feed().warm(E, E, 0.04);
    // k = 3: z = 0.45 / √(0.08 · 0.3) = 2.905 (30 min), 2.516 (40), 2.25 (50): none ≥ 3.
    expect(f.blocks(3, 0.25, E, 0.04)).toEqual([null, null, null]);
    // k = 4: 40 min 1.0 vs 0.4, z = 0.6 / √(0.08 · 0.4) = 3.354 (30 min 2.905, 50 min 3.0, 60 min 2.739).
    const v = f.block(0.25, E, 0.04) as WindowDrainVerdict;
    expect(v.minutes).toBe(40);
    expect(v.z).toBeCloseTo(0.6 / Math.sqrt(0.032), 10);
    expect(v.ratio).toBeCloseTo(2.5, 12);
    expect(v.runMinutes).toBe(40);
  });

  it('without a new IP or country it needs z ≥ 6 and $1 over: a 4× drain pages on the 4th block', () => {
    const f = new Feed().warm();
    // 2.5×: at most $0.90 over in an hour (< $1).
    expect(f.blocks(6, 0.25, E, 0.01, false, false).every((v) => v === null)).toBe(true);
    const g = new Feed().warm();
    // 4× ($0.40 a block): k = 3: $0.90 over (< $1); k = 4: 40 min 1.6 vs 0.4, $1.20 over, z = 1.2 / √(0.02 · 0.4) = 13.42.
    expect(g.blocks(3, 0.4, E, 0.01, false, false)).toEqual([null, null, null]);
    const v = g.block(0.4, E, 0.01, false, false) as WindowDrainVerdict;
    expect(v.minutes).toBe(40);
    expect(v.corroborated).toBe(false);
    expect(v.z).toBeCloseTo(1.2 / Math.sqrt(0.008), 10);
  });

  it('normal traffic after an idle stretch is not a drain (ℓ clamps at 0.5, but the window is 1.0× its profile < 1.3)', () => {
    const f = new Feed().warm();
    f.blocks(36, 0);
    // ℓ ≥ 0.5: ratio up to 2, but every window costs exactly its profile (1.0 < 1.3).
    expect(f.blocks(12, E).every((v) => v === null)).toBe(true);
  });

  it('is not judged while a young profile is in the window or reference', () => {
    const f = new Feed().warm();
    f.block(E, E, 0.01, true);
    expect(f.blocks(6, 0.3).every((v) => v === null)).toBe(true);
  });

  it('pages again after negative evidence (a 60-minute window below 1.2×) resets the episode', () => {
    const f = new Feed().warm();
    expect(f.blocks(3, 0.25)[2]).not.toBeNull();
    f.blocks(3, 0.25);
    // 8 normal blocks: the last 60 minutes cost 0.6 against ℓ · 0.6 with ℓ ≥ 1 → ratio ≤ 1 < 1.2: reset.
    expect(f.blocks(8, E).every((v) => v === null)).toBe(true);
    const again = f.blocks(3, 0.3);
    expect(again.slice(0, 2)).toEqual([null, null]);
    expect(again[2]).not.toBeNull();
  });

  it('snapshot and restore keep the blocks, the dispersion and the episode', () => {
    const f = new Feed().warm();
    f.blocks(3, 0.25);
    const restored = new WindowDrainTest(f.test.toState());
    expect(restored.toState()).toEqual(f.test.toState());
    expect(restored.paged).toBe(true);
    expect(restored.dispersion).toBe(f.test.dispersion);
  });
});

// The engine end to end: one event a minute at $1/64 for three weekdays (every weekday hour
// profile has 180 buckets at exactly $1/64; the test learns its dispersion from a day of
// windows once the profiles are a day old), then from Thursday 00:00 an attacker adds
// $1.5/64 a minute (2.5× in total) from a new IP. The Thursday-00h profile keeps learning
// (score first, then learn; warm-up weight 1/n below 1/α ≈ 606 buckets), so minute m of the
// drain expects e(m) = (180 + 2.5m) / (64 (180 + m)). The reference hours cost exactly their
// profile, so ℓ = 1.
describe('window drain in the engine', () => {
  const START = Date.UTC(2026, 0, 5); // Monday
  const MINUTE = 60_000;
  const OWNER = 1 / 64;
  const key: SyntheticKey = { accountId: 'acct', keyId: 'sk-…w1nd', requestsPerMinute: 1, costPerRequestUsd: OWNER, model: 'mid-model', ip: '10.0.0.1' };
  const T0 = START + 3 * 24 * 60 * MINUTE;

  it('pages at the close of the 3rd drained block with the hand-computed ratio', () => {
    const engine = new DetectionEngine();
    const events: UsageEvent[] = [];
    for (let m = 0; m < 3 * 24 * 60; m++) events.push(makeEvent(key, START + m * MINUTE, OWNER, `h${m}`));
    for (let m = 0; m < 90; m++) {
      events.push(makeEvent(key, T0 + m * MINUTE, OWNER, `o${m}`));
      events.push(makeEvent(key, T0 + m * MINUTE + 30_000, 1.5 * OWNER, `x${m}`, { ip: '198.51.100.7' }));
    }
    const findings: Finding[] = [];
    for (const e of events) findings.push(...engine.observe(e));
    const window = findings.filter((x) => x.metric === 'cost_usd_hour');
    expect(window).toHaveLength(1);
    const [w] = window;
    // Block 3 closes at T0 + 30 min (judged when that minute closes, at the first event after it).
    // 30-min window: cost 30 · 2.5 / 64, expected Σ_{m<30} e(m). Findings round numbers to 6 decimals.
    const e = (m: number): number => (180 + 2.5 * m) / (64 * (180 + m));
    const expected = Array.from({ length: 30 }, (_, m) => e(m)).reduce((a, b) => a + b, 0);
    const cost = (30 * 2.5) / 64;
    expect(w.time).toBe(new Date(T0 + 30 * MINUTE).toISOString());
    expect(w.severity).toBe('critical');
    expect(w.detector).toBe('cusum');
    expect(w.observed).toBeCloseTo(cost, 5);
    expect(w.expected).toBeCloseTo(expected, 5);
    expect(w.score).toBeCloseTo(cost / expected, 5);
    const oneDecimal = (x: number): number => Math.round(x * 10) / 10;
    expect(w.explanation).toMatch(
      new RegExp(
        `^Key sk-…w1nd of account acct has spent \\$${cost.toFixed(2)} over the last 30 minutes, ${oneDecimal(cost / expected)}× its usual \\$${expected.toFixed(2)} ` +
          `for weekdays at 00:00 UTC, above usual for 30 minutes in a row \\(limit [\\d.]+×, \\$${(cost - expected).toFixed(2)} over, z [\\d.]+ ≥ [\\d.]+ with a new IP/country in the last 120 minutes\\)$`,
      ),
    );
  });
});
