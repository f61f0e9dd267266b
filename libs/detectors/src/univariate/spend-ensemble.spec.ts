import { scoreSeries } from './streaming-scorer';
import { DEFAULT_SPEND_ENSEMBLE, SpendEnsembleScorer } from './spend-ensemble';

/** Deterministic noise in [−1, 1) (Park–Miller, fixed seed). */
function noise(count: number, seed = 11): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 48271) % 2147483647;
    return (state / 2147483647) * 2 - 1;
  });
}

describe('SpendEnsembleScorer', () => {
  const baseline = noise(600).map((e) => 100 + e);

  it('scores within [0, 1] and 0 during warm-up', () => {
    const scores = scoreSeries(() => new SpendEnsembleScorer(), baseline);
    expect(scores.slice(0, DEFAULT_SPEND_ENSEMBLE.warmUp).every((s) => s === 0)).toBe(true);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it('ranks a spike far above every score of the noise before it', () => {
    const values = [...baseline, 140, ...baseline.slice(0, 50)];
    const scores = scoreSeries(() => new SpendEnsembleScorer(), values);
    const before = Math.max(...scores.slice(200, 600));
    expect(scores[600]).toBeGreaterThan(0.9);
    expect(before).toBeLessThan(0.7);
  });

  it('alarms once per incident: a second spike right after is damped by the hold-off', () => {
    const values = [...baseline, 140, 100, 100, 180, ...baseline.slice(0, 50)];
    const scores = scoreSeries(() => new SpendEnsembleScorer(), values);
    expect(scores[603]).toBeLessThan(DEFAULT_SPEND_ENSEMBLE.holdOffDamping);
  });

  it('scores a value before learning it: scoring does not change the components', () => {
    const scorer = new SpendEnsembleScorer();
    baseline.forEach((v) => scorer.scoreThenLearn(v));
    expect(scorer.components(140)).toEqual(scorer.components(140));
  });

  it('does not divide by zero on a flat series', () => {
    const scores = scoreSeries(() => new SpendEnsembleScorer(), [...Array(200).fill(5), 5.5, ...Array(10).fill(5)]);
    expect(scores.every((s) => Number.isFinite(s) && s >= 0 && s <= 1)).toBe(true);
    expect(scores[200]).toBeGreaterThan(0.9);
  });
});
