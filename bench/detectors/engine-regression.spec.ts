/**
 * Regression guard for engine optimisations: a fixed, seeded stream (cyclic traffic of
 * 36 keys over 9 days, quiet keys with long idle gaps, keys appearing mid-stream, rollup
 * seeding, periodic `advance`, and injected attacks: burst drain, slow drain, new expensive
 * model, new IP/country, error storm, token flood, cap breaches) must yield exactly the
 * findings recorded in `engine-regression-findings.json` — every field, in order.
 *
 * The fixture was recorded with the engine before the speed work (commit 822a9a2). The policy is pinned
 * here (the defaults of that commit plus a few overrides) so tuning the shipped defaults does
 * not move this test; a deliberate change of what the engine detects re-records it with
 * `UPDATE_ENGINE_GOLDEN=1 npx jest -c jest.config.js --selectProjects unit -- bench/detectors/engine-regression`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '@spendguard/contracts/finding';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { DetectionEngine, parseDetectionPolicy, type DetectionPolicy } from '@spendguard/detectors';
import { mulberry32 } from '@spendguard/detectors/testing/seeded-random';
import { generateKeyTraffic, makeEvent, makeKeys, type SyntheticKey } from '@spendguard/detectors/testing/synthetic-traffic';

const FIXTURE = join(__dirname, 'engine-regression-findings.json');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 5); // a Monday
const END = START + 9 * DAY;

/** Defaults as of commit 822a9a2, pinned, plus overrides that switch caps and per-key settings on. */
function pinnedPolicy(): DetectionPolicy {
  const parsed = parseDetectionPolicy({
    version: 1,
    engine: {
      bucketMs: 60_000,
      windowBuckets: 60,
      ewmaHalfLifeBuckets: 360,
      profileHalfLifeDays: 7,
      warmupBuckets: 30,
      matureHours: 24,
      noveltyHorizonDays: 30,
      noveltyWarmupHours: 24,
      noveltyMaxValues: 32,
      noveltySpendWindowMinutes: 60,
      priors: { keyCostPerBucketUsd: 0.05, keyRequestsPerBucket: 2, keyTokensPerBucket: 2000, weightBuckets: 60 },
    },
    defaults: {
      thresholds: {
        minSpendUsd: 0.5,
        criticalMinSpendUsd: 2,
        warmupCriticalMinSpendUsd: 10,
        spikeRatioWarning: 5,
        spikeRatioCritical: 50,
        peakGuardFactor: 2,
        zscore: 6,
        robustZscore: 8,
        ewmaSigmas: 6,
        cusumAllowance: 0.5,
        cusumWarning: 20,
        cusumCritical: 40,
        slowDrainMinExcessUsd: 1,
        minRequests: 30,
        minTokens: 50_000,
        errorRateMin: 0.5,
        errorRateMinRequests: 20,
        noveltyCriticalSpendUsd: 5,
      },
      keyCaps: { hourUsd: null, dayUsd: null, monthUsd: null },
      accountCaps: { hourUsd: null, dayUsd: null, monthUsd: null },
      detectors: { zscore: true, 'robust-zscore': true, ewma: true, 'spike-ratio': true, cap: true, novelty: true, cusum: true },
    },
    accounts: {
      'acct-2': { caps: { hourUsd: 40, dayUsd: 300 }, keyCaps: { hourUsd: 15 } },
      'acct-3': { thresholds: { minSpendUsd: 0.1, spikeRatioWarning: 3 }, keys: { 'sk-…0301': { thresholds: { zscore: 4, robustZscore: 5 }, caps: { dayUsd: 20 } } } },
      'acct-4': { detectors: { novelty: false, 'robust-zscore': false } },
    },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

type Step = { kind: 'event'; event: UsageEvent } | { kind: 'advance'; time: number };

function regressionStream(): { rollups: Parameters<DetectionEngine['seedFromRollup']>[0][]; steps: Step[] } {
  const random = mulberry32(4242);
  const keys = makeKeys(31, 6, 5); // 30 keys in 6 accounts
  const events: UsageEvent[] = [];
  keys.forEach((key, i) => generateKeyTraffic(key, 9000 + i, START, END, (e) => events.push(e), 0.006));
  // Quiet keys: idle gaps far longer than the 60-bucket window.
  const quiet: SyntheticKey[] = [0, 1, 2].map((a) => ({ accountId: `acct-${a}`, keyId: `quiet-${a}`, requestsPerMinute: 0.01 + a * 0.01, costPerRequestUsd: 0.2, model: 'large-model', ip: `10.7.${a}.1` }));
  quiet.forEach((key, i) => generateKeyTraffic(key, 7000 + i, START, END, (e) => events.push(e), 0.1));
  // Keys appearing mid-stream (borrow the account prior), one of a brand-new account (global prior).
  const late: SyntheticKey[] = [
    { accountId: 'acct-1', keyId: 'late-1', requestsPerMinute: 3, costPerRequestUsd: 0.01, model: 'mid-model', ip: '10.8.1.1' },
    { accountId: 'acct-new', keyId: 'late-2', requestsPerMinute: 2, costPerRequestUsd: 0.03, model: 'large-model', ip: '10.8.2.1' },
  ];
  late.forEach((key, i) => generateKeyTraffic(key, 8000 + i, START + (3 + i) * DAY + 7 * HOUR, END, (e) => events.push(e)));

  // Burst drain: 10 minutes at $12/min on a frontier model from a new IP and country.
  const burstKey = keys[3];
  const burstStart = START + 7 * DAY + 3 * HOUR + 17_000;
  for (let s = 0; s < 600; s++) {
    for (let i = 0; i < 8; i++) events.push(makeEvent(burstKey, burstStart + s * 1000 + i * 120, 12 / 60 / 8, `burst-${s}-${i}`, { model: 'frontier-model', ip: '203.0.113.9', country: 'KP' }));
  }
  // Slow drain: 1.5× the key's average load, steadily, for two days.
  const slowKey = keys[7];
  const slowPerTen = (slowKey.requestsPerMinute * slowKey.costPerRequestUsd * 1.5) / 6;
  for (let t = START + 6 * DAY + 2 * HOUR; t < START + 8 * DAY; t += 10_000) events.push(makeEvent(slowKey, t, slowPerTen, `slow-${t}`));
  // A never-used expensive model with real spend, on an otherwise normal key.
  const modelKey = keys[12];
  for (let i = 0; i < 40; i++) events.push(makeEvent(modelKey, START + 5 * DAY + 14 * HOUR + i * 30_000, 0.4 + random() * 0.2, `model-${i}`, { model: 'frontier-model' }));
  // New IP / country / user agent, no extra spend.
  const travelKey = keys[16];
  for (let i = 0; i < 5; i++) events.push(makeEvent(travelKey, START + 4 * DAY + 9 * HOUR + i * 600_000, 0.002, `travel-${i}`, { ip: `198.51.100.${i}`, country: i < 3 ? 'BR' : 'US', userAgent: 'curl/8.0' }));
  // Error storm: many failing requests in a few minutes.
  const errorKey = keys[20];
  for (let i = 0; i < 300; i++) events.push(makeEvent(errorKey, START + 6 * DAY + 11 * HOUR + i * 1000, 0.0001, `err-${i}`, { status: 500 }));
  // Token flood: cheap model, huge token counts.
  const tokenKey = keys[24];
  for (let i = 0; i < 90; i++) events.push(makeEvent(tokenKey, START + 5 * DAY + 20 * HOUR + i * 2000, 0.01, `tok-${i}`, { inputTokens: 20_000, outputTokens: 4_000 }));
  // Cap breach on acct-2 (key hour cap $15, account hour cap $40, account day cap $300).
  const capKey = keys[11];
  for (let i = 0; i < 120; i++) events.push(makeEvent(capKey, START + 2 * DAY + 15 * HOUR + i * 20_000, 0.35, `cap-${i}`));
  // A key of acct-3 (lower thresholds, per-key caps) with a moderate bump.
  const bumpKey = keys.find((k) => k.keyId === 'sk-…0301') as SyntheticKey;
  for (let i = 0; i < 200; i++) events.push(makeEvent(bumpKey, START + 3 * DAY + 10 * HOUR + i * 3000, 0.06, `bump-${i}`));

  events.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // The worker calls `advance` when traffic is idle; here every 7 minutes of event time.
  const steps: Step[] = [];
  let nextAdvance = START + 7 * 60_000;
  for (const event of events) {
    while (event.time >= nextAdvance) {
      steps.push({ kind: 'advance', time: nextAdvance });
      nextAdvance += 7 * 60_000;
    }
    steps.push({ kind: 'event', event });
  }
  steps.push({ kind: 'advance', time: END + 5 * 60_000 });

  // One day of per-minute rollups seeds two keys before the stream starts.
  const rollups: Parameters<DetectionEngine['seedFromRollup']>[0][] = [];
  for (let m = 0; m < 24 * 60; m++) {
    const minuteStart = START - DAY + m * 60_000;
    for (const key of [keys[0], keys[5]]) {
      const requests = Math.round(key.requestsPerMinute * (1 + random()));
      rollups.push({ accountId: key.accountId, keyId: key.keyId, minuteStart, costUsd: requests * key.costPerRequestUsd, requests, tokens: requests * 700, errors: random() < 0.02 ? 1 : 0 });
    }
  }
  return { rollups, steps };
}

function runStream(restoreAt?: number): Finding[] {
  const policy = pinnedPolicy();
  const { rollups, steps } = regressionStream();
  let engine = new DetectionEngine(policy);
  for (const row of rollups) engine.seedFromRollup(row);
  const out: Finding[] = [];
  let restored = restoreAt === undefined;
  for (const step of steps) {
    const time = step.kind === 'event' ? step.event.time : step.time;
    if (!restored && time >= (restoreAt as number)) {
      engine = DetectionEngine.restore(JSON.parse(JSON.stringify(engine.snapshot())), policy);
      restored = true;
    }
    const found = step.kind === 'event' ? engine.observe(step.event) : engine.advance(step.time);
    for (const f of found) out.push(f);
  }
  return out;
}

interface Fixture {
  count: number;
  /** sha256 of the JSON of the full findings (every field, in order). */
  sha256: string;
  byDetector: Record<string, number>;
  /** `id severity time` per finding, in emission order. */
  findings: string[];
}

function compact(f: Finding): string {
  return `${f.id} ${f.severity} ${f.time}`;
}

function countByDetector(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) {
    const k = `${f.detector}/${f.metric}/${f.severity}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

function digest(findings: Finding[]): string {
  return createHash('sha256').update(JSON.stringify(findings)).digest('hex');
}

describe('DetectionEngine regression (recorded findings)', () => {
  const findings = runStream();

  if (process.env.UPDATE_ENGINE_GOLDEN === '1') {
    it('re-records the fixture', () => {
      const fixture: Fixture = { count: findings.length, sha256: digest(findings), byDetector: countByDetector(findings), findings: findings.map(compact) };
      writeFileSync(FIXTURE, JSON.stringify(fixture, null, 1) + '\n');
    });
    return;
  }

  const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

  it('covers every detector, severity and attack', () => {
    expect(Object.keys(recorded.byDetector).map((k) => k.split('/')[0])).toEqual(expect.arrayContaining(['spike-ratio', 'zscore', 'robust-zscore', 'ewma', 'cusum', 'novelty', 'cap']));
    expect(new Set(recorded.findings.map((f) => f.split(' ')[1]))).toEqual(new Set(['info', 'warning', 'critical']));
    for (const metric of ['cost_usd', 'requests', 'tokens', 'error_rate', 'cost_usd_hour', 'cost_usd_day', 'model', 'ip', 'country', 'user_agent']) {
      expect(Object.keys(recorded.byDetector).some((k) => k.split('/')[1] === metric)).toBe(true);
    }
  });

  it('yields exactly the recorded findings (ids, severities, times; then every field and the order via a digest)', () => {
    expect(countByDetector(findings)).toEqual(recorded.byDetector);
    expect(findings.map(compact)).toEqual(recorded.findings);
    expect(digest(findings)).toBe(recorded.sha256);
  });

  it('yields the same findings when the engine is snapshotted and restored mid-stream', () => {
    const restored = runStream(START + 4 * DAY + 13 * HOUR + 1234);
    expect(restored.map(compact)).toEqual(recorded.findings);
    expect(digest(restored)).toBe(recorded.sha256);
  });
});
