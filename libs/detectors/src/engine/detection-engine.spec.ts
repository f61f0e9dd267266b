import type { Finding } from '@spendguard/contracts/finding';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { parseDetectionPolicy } from '../policy/detection-policy';
import { generateKeyTraffic, makeEvent, makeKeys, type SyntheticKey } from '../testing/synthetic-traffic';
import { DetectionEngine } from './detection-engine';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5); // a Monday

function trafficOf(keys: SyntheticKey[], start: number, end: number, seed: number): UsageEvent[] {
  const events: UsageEvent[] = [];
  keys.forEach((key, i) => generateKeyTraffic(key, seed * 1000 + i, start, end, (e) => events.push(e)));
  return events.sort((a, b) => a.time - b.time);
}

function run(engine: DetectionEngine, events: UsageEvent[]): Finding[] {
  const out: Finding[] = [];
  for (const e of events) out.push(...engine.observe(e));
  return out;
}

/** A leaked key drained by many parallel requests on an expensive model: $`perMinute` per minute. */
function burstDrain(key: SyntheticKey, start: number, minutes: number, perMinute: number): UsageEvent[] {
  const events: UsageEvent[] = [];
  const perSecond = 10;
  for (let s = 0; s < minutes * 60; s++) {
    for (let i = 0; i < perSecond; i++) {
      events.push(makeEvent(key, start + s * 1000 + i * 100, perMinute / 60 / perSecond, `drain-${s}-${i}`, { model: 'frontier-model', ip: '203.0.113.9', country: 'KP' }));
    }
  }
  return events;
}

function merge(a: UsageEvent[], b: UsageEvent[]): UsageEvent[] {
  return [...a, ...b].sort((x, y) => x.time - y.time);
}

describe('DetectionEngine', () => {
  const keys = makeKeys(1, 5, 4); // 20 keys in 5 accounts

  it('normal cyclic, bursty traffic over many key-days yields no critical finding', () => {
    const engine = new DetectionEngine();
    const days = 14;
    const findings = run(engine, trafficOf(keys, START, START + days * DAY, 2));
    const critical = findings.filter((f) => f.severity === 'critical');
    expect(critical).toEqual([]);
    expect(engine.trackedKeys).toBe(keys.length);
  });

  it('catches a burst drain as critical within 60 s of event time, once per bucket', () => {
    const engine = new DetectionEngine();
    const victim = keys[3];
    const attackStart = START + 7 * DAY + 3 * 3_600_000 + 17_000; // 03:00:17 on day 8
    const events = merge(trafficOf(keys, START, START + 8 * DAY, 3), burstDrain(victim, attackStart, 10, 10));
    const findings = run(engine, events);
    const critical = findings.filter((f) => f.severity === 'critical' && f.keyId === victim.keyId);
    expect(critical.length).toBeGreaterThan(0);
    const first = Date.parse(critical[0].time);
    expect(first - attackStart).toBeLessThanOrEqual(60_000);
    expect(critical[0].explanation).toMatch(/^Key sk-…\S+ of account acct-0 spent \$\d+\.\d\d in the current minute, [\d,]+% over its usual \$/);
    // Dedupe: at most one finding per (key, detector, metric, bucket, severity).
    const seen = new Set(findings.map((f) => [f.accountId, f.keyId, f.detector, f.metric, f.bucketStart, f.severity, f.value].join('|')));
    expect(seen.size).toBe(findings.length);
    const spikeCriticalPerBucket = critical.filter((f) => f.detector === 'spike-ratio');
    expect(spikeCriticalPerBucket.length).toBeLessThanOrEqual(11);
  });

  it('catches a slow drain (2.5× around the clock) as critical within an hour', () => {
    const steady: SyntheticKey = { accountId: 'steady', keyId: 'sk-…5eed', requestsPerMinute: 6, costPerRequestUsd: 0.02, model: 'mid-model', ip: '10.9.9.9' };
    const engine = new DetectionEngine();
    const attackStart = START + 8 * DAY + 2 * 3_600_000;
    const normal: UsageEvent[] = [];
    generateKeyTraffic(steady, 77, START, START + 9 * DAY, (e) => normal.push(e), 0);
    // The attacker adds 1.5× the key's own average load, steadily, from the same model/IP.
    const attack: UsageEvent[] = [];
    for (let t = attackStart; t < START + 9 * DAY; t += 10_000) attack.push(makeEvent(steady, t, (6 * 0.02 * 1.5) / 6, `slow-${t}`));
    const findings = run(engine, merge(normal, attack));
    const critical = findings.filter((f) => f.severity === 'critical');
    expect(critical.length).toBeGreaterThan(0);
    expect(critical.every((f) => Date.parse(f.time) >= attackStart)).toBe(true);
    expect(Date.parse(critical[0].time) - attackStart).toBeLessThanOrEqual(3_600_000);
  });

  it('a new key borrows its account prior (and a new account the global prior)', () => {
    const engine = new DetectionEngine();
    const big: SyntheticKey = { accountId: 'big', keyId: 'sk-…b1', requestsPerMinute: 20, costPerRequestUsd: 0.05, model: 'large-model', ip: '10.1.1.1' };
    const events: UsageEvent[] = [];
    generateKeyTraffic(big, 5, START, START + 2 * DAY, (e) => events.push(e), 0);
    run(engine, events);
    // A new key of this account spending $3 in a minute is normal for this account (about $1/min per key at busy hours).
    const newKey = { ...big, keyId: 'sk-…b2' };
    const t = START + 2 * DAY + 12 * 3_600_000;
    const burst = Array.from({ length: 60 }, (_, i) => makeEvent(newKey, t + i * 1000, 0.05, `n-${i}`));
    const borrowed = run(engine, burst).filter((f) => f.keyId === newKey.keyId && f.detector === 'spike-ratio');
    expect(borrowed).toEqual([]);
    // The same minute on a brand-new account (global prior $0.05/min) is a spike.
    const stranger = { ...newKey, accountId: 'new-account' };
    const fresh = run(engine, burst.map((e) => ({ ...e, accountId: stranger.accountId })));
    expect(fresh.some((f) => f.keyId === newKey.keyId && f.detector === 'spike-ratio' && f.severity === 'warning')).toBe(true);
  });

  it('snapshot → restore gives the same subsequent findings as an uninterrupted engine', () => {
    const victim = keys[5];
    const events = merge(trafficOf(keys, START, START + 3 * DAY, 9), burstDrain(victim, START + 2 * DAY + 5 * 3_600_000, 3, 20));
    const cut = events.findIndex((e) => e.time >= START + 2 * DAY);
    const uninterrupted = new DetectionEngine();
    const all = run(uninterrupted, events).filter((f) => Date.parse(f.time) >= events[cut].time);
    const first = new DetectionEngine();
    run(first, events.slice(0, cut));
    const restored = DetectionEngine.restore(JSON.parse(JSON.stringify(first.snapshot())), first.policy);
    const after = run(restored, events.slice(cut));
    expect(after.length).toBeGreaterThan(0);
    expect(after).toEqual(all);
  });

  it('seedFromRollup learns baselines without findings', () => {
    const engine = new DetectionEngine();
    for (let m = 0; m < 24 * 60; m++) {
      expect(() => engine.seedFromRollup({ accountId: 'a', keyId: 'k', minuteStart: START + m * 60_000, costUsd: 5, requests: 100, tokens: 1e5, errors: 1 })).not.toThrow();
    }
    // $5/min is this key's normal: the same minute once more yields no cost spike.
    const key: SyntheticKey = { accountId: 'a', keyId: 'k', requestsPerMinute: 1, costPerRequestUsd: 1, model: 'm', ip: '1.1.1.1' };
    const findings = run(engine, Array.from({ length: 5 }, (_, i) => makeEvent(key, START + DAY + i * 1000, 1, `e${i}`)));
    expect(findings.filter((f) => f.metric === 'cost_usd')).toEqual([]);
  });

  it('seedFromRollup: a key known only from rollups warms up novelty from its first event (its usual model is not "never used")', () => {
    const engine = new DetectionEngine();
    for (let m = 0; m < 2 * 24 * 60; m++) engine.seedFromRollup({ accountId: 'a', keyId: 'k', minuteStart: START + m * 60_000, costUsd: 0.5, requests: 1, tokens: 1000, errors: 0 });
    const key: SyntheticKey = { accountId: 'a', keyId: 'k', requestsPerMinute: 1, costPerRequestUsd: 0.5, model: 'usual-model', ip: '10.0.0.1' };
    // Through a snapshot, as the worker does: the marker must survive JSON.
    const restored = DetectionEngine.restore(JSON.parse(JSON.stringify(engine.snapshot())), engine.policy);
    const t = START + 2 * DAY;
    const firstHour = run(restored, Array.from({ length: 60 }, (_, i) => makeEvent(key, t + i * 60_000, 0.5, `u${i}`)));
    expect(firstHour.filter((f) => f.detector === 'novelty')).toEqual([]);
    // After the warm-up (24 h from the first event) a new model is novel again.
    const later = t + 25 * 3_600_000;
    const fresh = run(restored, [makeEvent(key, later, 0.5, 'n1', { model: 'frontier-model' })]);
    expect(fresh.find((f) => f.detector === 'novelty')).toMatchObject({ metric: 'model', value: 'frontier-model', severity: 'warning' });
  });

  it('caps: a rolling-hour breach is critical once, and ids are deterministic', () => {
    const parsed = parseDetectionPolicy({ accounts: { capped: { keyCaps: { hourUsd: 10 } } } });
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const key: SyntheticKey = { accountId: 'capped', keyId: 'k1', requestsPerMinute: 1, costPerRequestUsd: 1, model: 'm', ip: '1.1.1.1' };
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(key, START + i * 60_000, 0.5, `c${i}`));
    const a = run(new DetectionEngine(parsed.policy), events).filter((f) => f.detector === 'cap');
    const b = run(new DetectionEngine(parsed.policy), events).filter((f) => f.detector === 'cap');
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ severity: 'critical', metric: 'cost_usd_hour', observed: 10, expected: 10, keyId: 'k1' });
    expect(a[0].time).toBe(new Date(START + 19 * 60_000).toISOString());
    expect(a.map((f) => f.id)).toEqual(b.map((f) => f.id));
  });

  it('novelty: a new model is a warning; spend on it above the floor is critical; IP alone is info', () => {
    const engine = new DetectionEngine();
    const key: SyntheticKey = { accountId: 'n', keyId: 'k', requestsPerMinute: 1, costPerRequestUsd: 0.01, model: 'small', ip: '1.1.1.1' };
    const warmup = Array.from({ length: 26 * 60 }, (_, i) => makeEvent(key, START + i * 60_000, 0.01, `w${i}`));
    expect(run(engine, warmup).filter((f) => f.detector === 'novelty')).toEqual([]);
    const t = START + 26 * 3_600_000;
    const newIp = run(engine, [makeEvent(key, t, 0.01, 'ip', { ip: '9.9.9.9' })]);
    expect(newIp.find((f) => f.detector === 'novelty')).toMatchObject({ severity: 'info', metric: 'ip', value: '9.9.9.9' });
    const onNewModel = Array.from({ length: 12 }, (_, i) => makeEvent(key, t + 120_000 + i * 20_000, 0.5, `m${i}`, { model: 'frontier' }));
    const novelty = run(engine, onNewModel).filter((f) => f.detector === 'novelty');
    expect(novelty.map((f) => f.severity)).toEqual(['warning', 'critical']);
    expect(novelty[1].explanation).toContain('on model frontier');
  });

  it('applyPolicy: a cap set on a running engine applies at once, baselines are kept; engine settings cannot change', () => {
    const key: SyntheticKey = { accountId: 'live', keyId: 'k1', requestsPerMinute: 1, costPerRequestUsd: 1, model: 'm', ip: '1.1.1.1' };
    const engine = new DetectionEngine();
    expect(run(engine, Array.from({ length: 10 }, (_, i) => makeEvent(key, START + i * 60_000, 0.5, `a${i}`))).filter((f) => f.detector === 'cap')).toEqual([]);
    const before = engine.snapshot().accounts[0].keys[0].series.costEwma;
    const capped = parseDetectionPolicy({ accounts: { live: { keyCaps: { hourUsd: 10 } } } });
    if (!capped.ok) throw new Error(capped.errors.join());
    engine.applyPolicy(capped.policy);
    expect(engine.snapshot().accounts[0].keys[0].series.costEwma).toEqual(before);
    const caps = run(engine, Array.from({ length: 30 }, (_, i) => makeEvent(key, START + (10 + i) * 60_000, 0.5, `b${i}`))).filter((f) => f.detector === 'cap');
    expect(caps).toHaveLength(1);
    // Caps count from the moment they are configured: 20 events × $0.50 after the change.
    expect(caps[0].time).toBe(new Date(START + 29 * 60_000).toISOString());
    const otherBuckets = parseDetectionPolicy({ engine: { bucketMs: 30_000 } });
    if (!otherBuckets.ok) throw new Error(otherBuckets.errors.join());
    expect(() => engine.applyPolicy(otherBuckets.policy)).toThrow(/engine settings changed/);
  });
});
