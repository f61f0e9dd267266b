import type { Finding } from '@spendguard/contracts/finding';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { makeEvent, type SyntheticKey } from '../testing/synthetic-traffic';
import { DetectionPolicy } from '../policy/detection-policy';
import { DetectionEngine } from './detection-engine';

// Hand-computed origin-novelty verdicts. Amounts are binary fractions ($1/64, $1/32) so
// every sum below is exact in floating point.
const START = Date.UTC(2026, 0, 5); // Monday 00:00 UTC
const MINUTE = 60_000;
const OWNER_USD = 1 / 64; // the key's usual spend: $0.015625 every minute, around the clock
const key: SyntheticKey = { accountId: 'acct', keyId: 'sk-…0r1g', requestsPerMinute: 1, costPerRequestUsd: OWNER_USD, model: 'mid-model', ip: '10.0.0.1' };
// Two weekdays of history: every weekday hour profile has 120 buckets at exactly $1/64.
// While a profile has fewer than 1/α buckets its mean is the plain running mean (EWMA
// warm-up weight 1/n), and it keeps learning during the attack (score first, then learn):
// after m attacked minutes at $3/64 the Wednesday-00h profile expects
// e(m) = (120 · 1 + m · 3) / (64 · (120 + m)) a minute.
const HISTORY_MINUTES = 2 * 24 * 60;
const T0 = START + HISTORY_MINUTES * MINUTE; // Wednesday 00:00

function history(): UsageEvent[] {
  return Array.from({ length: HISTORY_MINUTES }, (_, m) => makeEvent(key, START + m * MINUTE, OWNER_USD, `h${m}`));
}

function run(engine: DetectionEngine, events: UsageEvent[]): Finding[] {
  const out: Finding[] = [];
  for (const e of events.sort((a, b) => a.time - b.time)) out.push(...engine.observe(e));
  return out;
}

/** The owner at minute start on its known IP, plus `extra(m)` events in the same minute (at +30 s). */
function minutes(count: number, owner: (m: number) => Partial<UsageEvent> | null, extra: (m: number) => Array<{ cost: number; overrides: Partial<UsageEvent> }>): UsageEvent[] {
  const events: UsageEvent[] = [];
  for (let m = 0; m < count; m++) {
    const o = owner(m);
    if (o !== null) events.push(makeEvent(key, T0 + m * MINUTE, OWNER_USD, `o${m}`, o));
    extra(m).forEach((x, i) => events.push(makeEvent(key, T0 + m * MINUTE + 30_000, x.cost, `x${m}-${i}`, x.overrides)));
  }
  return events;
}

const criticals = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity === 'critical');

/**
 * Hand computation of the k-th attacker event's verdict: the owner spends `owner` every minute
 * on its known IP, the attacker `attacker` (at +30 s) from the new one; today's level ℓ is 1
 * (two flat days of history). The attacked hour profile learns each closed minute (owner +
 * attacker): after m minutes it expects e(m) = (120 · $1/64 + m · (owner + attacker)) / (120 + m).
 * `fullKnown: false` is the rule without the full-known path (bar 0.5 × the hourly spend only).
 */
function verdict(k: number, attacker = 1 / 32, owner = OWNER_USD, fullKnown = true): { spent: number; total: number; expected: number; known: number; bar: number; fullKnownBar: number; pages: boolean } {
  const e = (m: number): number => (120 * OWNER_USD + m * (owner + attacker)) / (120 + m);
  const spent = k * attacker;
  const known = (k - 1) * owner; // the owner's minutes 1 … k−1
  const total = spent + known;
  // From +30 s of minute 0 to +30 s of minute k−1: half of bucket 0, buckets 1 … k−2, half of bucket k−1.
  let expected = k === 1 ? 0 : 0.5 * e(0) + 0.5 * e(k - 1);
  for (let m = 1; m <= k - 2; m++) expected += e(m);
  const bar = Math.max(0.15, 0.5 * 60 * e(k - 1));
  const fullKnownBar = Math.max(0.15, 0.25 * 60 * e(k - 1));
  const partial = spent >= bar && total - expected >= bar;
  const full = fullKnown && known >= 0.8 * expected && spent >= fullKnownBar && total - expected >= fullKnownBar;
  return { spent, total, expected, known, bar, fullKnownBar, pages: known >= 0.5 * expected && (partial || full) };
}

/** The rule without the full-known path: its lower bar equal to the usual one. */
const withoutFullKnown = (): DetectionEngine => new DetectionEngine(DetectionPolicy.fromValidated({ defaults: { thresholds: { originFullKnownHourShare: 0.5 } } }));

const firstPage = (count: number, v: (k: number) => { pages: boolean }): number => {
  for (let k = 1; k <= count; k++) if (v(k).pages) return k;
  return 0;
};

describe('origin novelty (a new IP or country adding spend on top of the key’s usual traffic)', () => {
  let engine: DetectionEngine;
  beforeEach(() => {
    engine = new DetectionEngine();
    expect(criticals(run(engine, history()))).toEqual([]);
  });

  it('without the full-known path: pages when a new IP adds $1/32 a minute while the owner keeps spending $1/64, at the 21st attacker request', () => {
    // Hand values: k = 20 → N $0.625 < bar $0.5969; k = 21 → N $0.65625, T $0.96875,
    // E $0.35943, T − E $0.60932 ≥ bar $0.60268 and T − N = $0.3125 ≥ 0.5 · E.
    expect(verdict(20, 1 / 32, OWNER_USD, false).pages).toBe(false);
    const v = verdict(21, 1 / 32, OWNER_USD, false);
    expect(v.pages).toBe(true);
    expect(v.expected).toBeCloseTo(0.35943, 5);
    expect(v.bar).toBeCloseTo(0.60268, 5);
    engine = withoutFullKnown();
    expect(criticals(run(engine, history()))).toEqual([]);
    const findings = run(engine, minutes(30, () => ({}), () => [{ cost: 1 / 32, overrides: { ip: '203.0.113.7' } }]));
    const pages = criticals(findings);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ time: new Date(T0 + 20 * MINUTE + 30_000).toISOString(), detector: 'novelty', metric: 'ip', value: '203.0.113.7', observed: 0.65625 });
    expect(pages[0].expected).toBeCloseTo(v.expected, 6);
    expect(pages[0].score).toBeCloseTo(Math.min(v.spent, v.total - v.expected), 6);
    expect(pages[0].threshold).toBeCloseTo(v.bar, 12);
    expect(pages[0].explanation).toBe(
      'Key sk-…0r1g of account acct spent $0.66 from IP 203.0.113.7, first used 20 minutes ago, on top of its usual traffic: ' +
        '$0.97 in total since then where it usually spends $0.36 (limit $0.60 from the new IP and above usual)',
    );
  });

  it('the owner’s whole traffic continued from its known IP: the lower bar (0.25 × the hourly spend) pages the same drain at the 9th attacker request', () => {
    // Hand values: k = 8 → N $0.25 < bar $0.26021 (15 · e(7), e(7) = 141/(64·127)); k = 9 → N $0.28125,
    // K $0.125 ≥ 0.8 · E ($0.13298 · 0.8), T $0.40625, T − E $0.27327 ≥ bar $0.26367 (15 · e(8), e(8) = 144/(64·128)).
    expect(verdict(8).pages).toBe(false);
    const v = verdict(9);
    expect(v.pages).toBe(true);
    expect(v.expected).toBeCloseTo(0.13298, 5);
    expect(v.fullKnownBar).toBeCloseTo(0.26367, 5);
    expect(v.known / v.expected).toBeGreaterThan(0.8);
    const pages = criticals(run(engine, minutes(30, () => ({}), () => [{ cost: 1 / 32, overrides: { ip: '203.0.113.7' } }])));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ time: new Date(T0 + 8 * MINUTE + 30_000).toISOString(), detector: 'novelty', metric: 'ip', value: '203.0.113.7', observed: 0.28125 });
    expect(pages[0].expected).toBeCloseTo(v.expected, 6);
    expect(pages[0].threshold).toBeCloseTo(v.fullKnownBar, 12);
    expect(pages[0].explanation).toBe(
      'Key sk-…0r1g of account acct spent $0.28 from IP 203.0.113.7, first used 8 minutes ago, on top of its usual traffic: ' +
        '$0.41 in total since then where it usually spends $0.13 (limit $0.26 from the new IP and above usual; its known IPs kept their usual traffic)',
    );
  });

  it('a drain of +50 % (a new IP adding $1/128 a minute) pages only because the known IP kept its traffic: at the 39th attacker request, never without the full-known path', () => {
    // Without it: N reaches $0.46875 after 60 minutes, under the bar 0.5 × 60 · e(59) = $0.546.
    expect(firstPage(60, (k) => verdict(k, 1 / 128, OWNER_USD, false))).toBe(0);
    const k = firstPage(60, (j) => verdict(j, 1 / 128));
    expect(k).toBe(39);
    // k = 39: N $0.30469 ≥ bar $0.26256 and T − E $0.26572 ≥ $0.26256, K $0.59375 ≥ 0.8 · E $0.63271 (k = 38: T − E $0.25977 < $0.26199).
    const v = verdict(39, 1 / 128);
    expect(v.total - v.expected).toBeCloseTo(0.26572, 5);
    expect(v.fullKnownBar).toBeCloseTo(0.26256, 5);
    const drain = (): UsageEvent[] => minutes(60, () => ({}), () => [{ cost: 1 / 128, overrides: { ip: '203.0.113.8' } }]);
    const pages = criticals(run(engine, drain()));
    expect(pages.map((f) => f.time)).toEqual([new Date(T0 + 38 * MINUTE + 30_000).toISOString()]);
    const old = withoutFullKnown();
    run(old, history());
    expect(criticals(run(old, drain()))).toEqual([]);
  });

  it('does not page a new server taking a quarter of the traffic while the key grows 19 %: the known IP kept 87.5 % of usual, but the excess stays under 0.25 × the hourly spend', () => {
    // Known IP $7/512 a minute, new IP $5/1024 (26 % of the key's $19/1024): over 60 minutes
    // N = $0.293 passes the lower bar ($0.249 after 60 minutes) and K = 0.85 · E, but T − E = $0.145 does not.
    const known = 7 / 512;
    const added = 5 / 1024;
    expect(firstPage(60, (k) => verdict(k, added, known))).toBe(0);
    expect(verdict(60, added, known).known / verdict(60, added, known).expected).toBeGreaterThan(0.8);
    expect(verdict(60, added, known).spent).toBeGreaterThan(verdict(60, added, known).fullKnownBar);
    const events = minutes(60, () => null, () => [
      { cost: known, overrides: {} },
      { cost: added, overrides: { ip: '10.0.0.3' } },
    ]);
    expect(criticals(run(engine, events))).toEqual([]);
  });

  it('a new IP in a new country pages once, naming both', () => {
    const findings = run(engine, minutes(30, () => ({}), () => [{ cost: 1 / 32, overrides: { ip: '203.0.113.7', country: 'KP' } }]));
    const pages = criticals(findings);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ metric: 'ip', value: '203.0.113.7' });
    expect(pages[0].explanation).toContain('from IP 203.0.113.7 (country KP, also new), first used 8 minutes ago');
  });

  it('does not page when the owner moves to a new IP (redeploy), even with twice the traffic: known IPs went silent', () => {
    const findings = run(engine, minutes(60, () => null, () => [{ cost: 1 / 32, overrides: { ip: '10.0.0.2' } }]));
    expect(criticals(findings)).toEqual([]);
    expect(findings.filter((f) => f.detector === 'novelty').map((f) => f.severity)).toEqual(['info']);
  });

  it('does not page when the owner moves to two new IPs with more traffic: neither counts as the other’s known origin', () => {
    // Each new IP spends $1/32 a minute (4× the key in total): for either, T − E and N are far above
    // the bar, but the known origins (IPs not new) spent $0. (The slow-drain CUSUM does page for 4× the spend.)
    const events = minutes(60, () => null, () => [
      { cost: 1 / 32, overrides: { ip: '10.0.0.4' } },
      { cost: 1 / 32, overrides: { ip: '10.0.0.5' } },
    ]);
    expect(criticals(run(engine, events)).filter((f) => f.detector === 'novelty')).toEqual([]);
  });

  it('does not page when a new server takes half of the traffic (scale-out): nothing above usual', () => {
    // Owner $1/128 at the known IP and $1/128 at the new one each minute: T − E = 0 < bar.
    const half = 1 / 128;
    const events = minutes(60, () => null, () => [
      { cost: half, overrides: {} },
      { cost: half, overrides: { ip: '10.0.0.3' } },
    ]);
    expect(criticals(run(engine, events))).toEqual([]);
  });

  it('does not page for spend under the dollar floor, however large relative to the key', () => {
    const quiet = new DetectionEngine();
    const tiny = { ...key, keyId: 'sk-…t1ny' };
    run(quiet, Array.from({ length: HISTORY_MINUTES }, (_, m) => makeEvent(tiny, START + m * MINUTE, 1 / 4096, `t${m}`)));
    // $1/512 a minute from a new IP (8× the key) for an hour: $0.117 < $0.15.
    const attack = Array.from({ length: 60 }, (_, m) => makeEvent(tiny, T0 + m * MINUTE + 30_000, 1 / 512, `a${m}`, { ip: '203.0.113.9' }));
    const owner = Array.from({ length: 60 }, (_, m) => makeEvent(tiny, T0 + m * MINUTE, 1 / 4096, `o${m}`));
    expect(criticals(run(quiet, [...attack, ...owner]))).toEqual([]);
  });

  it('on a busy day the full-known path expects the owner at today’s level: a new server taking a quarter of a 1.5× day does not page', () => {
    const k = { ...key, keyId: 'sk-…bu5y' };
    const e = new DetectionEngine();
    // The last 7 hours before T0 at 1.5× (today's level ℓ ≈ 1.4), then the same 1.5× split 3:1 between the known IP and a new one.
    const busyFrom = HISTORY_MINUTES - 7 * 60;
    run(e, Array.from({ length: HISTORY_MINUTES }, (_, m) => makeEvent(k, START + m * MINUTE, m >= busyFrom ? 1.5 * OWNER_USD : OWNER_USD, `h${m}`)));
    const events: UsageEvent[] = [];
    for (let m = 0; m < 60; m++) {
      events.push(makeEvent(k, T0 + m * MINUTE, 1.125 * OWNER_USD, `o${m}`));
      events.push(makeEvent(k, T0 + m * MINUTE + 30_000, 0.375 * OWNER_USD, `n${m}`, { ip: '10.0.0.6' }));
    }
    // Against the profile alone (ℓ capped at 1, as the usual bar reads it) the key is $0.47 an hour above usual and the known IP at
    // 1.125× usual: the lower bar would page. At today's level the known IP is at 0.8 × ℓ at most and the excess is ≈ 0.
    expect(criticals(run(e, events))).toEqual([]);
  });

  it('snapshot → restore keeps the origin tallies', () => {
    const events = minutes(30, () => ({}), () => [{ cost: 1 / 32, overrides: { ip: '203.0.113.7' } }]).sort((a, b) => a.time - b.time);
    const cut = events.findIndex((e) => e.time >= T0 + 5 * MINUTE);
    run(engine, events.slice(0, cut));
    const restored = DetectionEngine.restore(JSON.parse(JSON.stringify(engine.snapshot())), engine.policy);
    const pages = criticals(run(restored, events.slice(cut)));
    expect(pages.map((f) => f.time)).toEqual([new Date(T0 + 8 * MINUTE + 30_000).toISOString()]);
  });

  it('on a slow day the owner is expected at today’s level: a drain with the owner at 40 % of usual pages; a move on such a day does not', () => {
    const SLOW = 0.4;
    const slowDay = (keyId: string): { engine: DetectionEngine; k: SyntheticKey } => {
      const k = { ...key, keyId };
      const e = new DetectionEngine();
      // Usual traffic, except the last 7 hours before T0 at 40 %: today's level ℓ = (0.4·6 + 1) / 7 → clamped to 0.5.
      const slowFrom = HISTORY_MINUTES - 7 * 60;
      run(e, Array.from({ length: HISTORY_MINUTES }, (_, m) => makeEvent(k, START + m * MINUTE, m >= slowFrom ? SLOW * OWNER_USD : OWNER_USD, `h${m}`)));
      return { engine: e, k };
    };
    const drained = slowDay('sk-…s10w');
    const drain: UsageEvent[] = [];
    for (let m = 0; m < 60; m++) {
      drain.push(makeEvent(drained.k, T0 + m * MINUTE, SLOW * OWNER_USD, `o${m}`));
      drain.push(makeEvent(drained.k, T0 + m * MINUTE + 30_000, 1 / 32, `x${m}`, { ip: '203.0.113.9' }));
    }
    const pages = criticals(run(drained.engine, drain)).filter((f) => Date.parse(f.time) < T0 + 30 * MINUTE);
    // Without today's level the owner's 40 % is below the known-origin share (50 % of usual) and nothing pages within 30 minutes.
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ detector: 'novelty', metric: 'ip', value: '203.0.113.9' });
    const minute = Math.floor((Date.parse(pages[0].time) - T0) / MINUTE);
    expect(minute).toBeGreaterThanOrEqual(15); // $1/32 a minute reaches the bar (0.5 × $0.9375 an hour) after 15 minutes
    expect(minute).toBeLessThanOrEqual(20);
    // The profile's minutes × ℓ = 0.5 (the profile also learns the attacked minutes, so a little more than half of $1/64 a minute).
    expect(pages[0].expected).toBeGreaterThan(0.5 * minute * OWNER_USD);
    expect(pages[0].expected).toBeLessThan(0.7 * minute * OWNER_USD);

    const moved = slowDay('sk-…m0ve');
    const move = Array.from({ length: 60 }, (_, m) => makeEvent(moved.k, T0 + m * MINUTE + 30_000, 1 / 32, `v${m}`, { ip: '198.51.100.4' }));
    expect(criticals(run(moved.engine, move)).filter((f) => f.detector === 'novelty')).toEqual([]);
  });
});
