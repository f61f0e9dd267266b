import { DetectionEngine, DetectionPolicy, type RollupRow } from '@spendguard/detectors';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { seedEngine, seedUntil } from './rollup-seed';

const MINUTE = 60_000;
const START = Date.parse('2026-01-05T00:00:00Z');

async function* rows(list: RollupRow[]): AsyncGenerator<RollupRow> {
  yield* list;
}

/** Two days of $0.02 a minute for one key. */
const history = (minutes = 2 * 24 * 60): RollupRow[] =>
  Array.from({ length: minutes }, (_, m) => ({ accountId: 'acme', keyId: 'k1', minuteStart: START + m * MINUTE, costUsd: 0.02, requests: 1, tokens: 200, errors: 0 }));

function event(time: number, costUsd: number, n: number): UsageEvent {
  return { id: `e${n}`, time, accountId: 'acme', keyId: 'k1', model: 'gpt-4o-mini', provider: 'openai', inputTokens: 100, outputTokens: 50, costUsd, status: 200, latencyMs: 300, ip: '198.51.100.7', country: 'US', userAgent: 'app/1', gatewayId: 'gw' } as UsageEvent;
}

describe('seedUntil', () => {
  it('cuts at the start of the first replayed event minute', () => {
    expect(seedUntil(START + 7 * MINUTE + 42_123)).toBe(START + 7 * MINUTE);
    expect(seedUntil(START + 7 * MINUTE)).toBe(START + 7 * MINUTE);
  });
});

describe('seedEngine', () => {
  const until = START + 2 * 24 * 60 * MINUTE;

  it('learns every row once and counts them', async () => {
    const result = await seedEngine(DetectionPolicy.defaults(), rows(history()), until);
    expect(result).toMatchObject({ rows: 2 * 24 * 60, keys: 1 });
    const key = result.engine.snapshot().accounts[0].keys[0];
    expect(key.series.spendTotal).toBeCloseTo(0.02 * 2 * 24 * 60, 6);
  });

  it('refuses a row at or after the cut-over (it would be learned twice)', async () => {
    await expect(seedEngine(DetectionPolicy.defaults(), rows(history(10)), START + 9 * MINUTE)).rejects.toThrow(/not before the cut-over/);
  });

  it('judges a moderate spike against the seeded history, unlike a fresh engine', async () => {
    const seeded = (await seedEngine(DetectionPolicy.defaults(), rows(history()), until)).engine;
    const spike = Array.from({ length: 40 }, (_, i) => event(until + 5 * MINUTE + i * 1000, 0.1, i));
    const critical = (engine: DetectionEngine) => spike.flatMap((e) => engine.observe(e)).filter((f) => f.severity === 'critical' && f.detector !== 'novelty');
    expect(critical(seeded).length).toBeGreaterThan(0);
    expect(critical(new DetectionEngine())).toEqual([]);
  });

  it('restarts novelty warm-up at the cut-over: the key\'s everyday model and IP are not "new"', async () => {
    const result = await seedEngine(DetectionPolicy.defaults(), rows(history()), until);
    const engine = DetectionEngine.restore(result.engine.snapshot());
    // $6 on the usual model within the hour: a "never used model" critical if novelty thought the key warm.
    const findings = Array.from({ length: 60 }, (_, i) => event(until + i * MINUTE, 0.1, i)).flatMap((e) => engine.observe(e));
    expect(findings.filter((f) => f.detector === 'novelty')).toEqual([]);
  });
});
