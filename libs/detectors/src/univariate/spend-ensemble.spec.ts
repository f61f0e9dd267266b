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

  describe('seasonal baseline', () => {
    const step = 5 * 60 * 1000;
    const perDay = 288;
    /** Days of a daily pattern: low at night, high from 09:00 to 18:00, with small noise. */
    function days(count: number): number[] {
      const e = noise(count * perDay, 7);
      return e.map((n, i) => ((i % perDay) >= 108 && (i % perDay) < 216 ? 80 : 20) + n);
    }
    const times = (count: number): number[] => Array.from({ length: count }, (_, i) => i * step);
    const scoreWithTimes = (values: number[]): number[] => {
      const scorer = new SpendEnsembleScorer();
      const t = times(values.length);
      return values.map((v, i) => scorer.scoreThenLearn(v, t[i]));
    };

    it('alarms when the daily peak does not come, although every value is in the usual range', () => {
      const values = days(5);
      for (let i = 4 * perDay + 108; i < 4 * perDay + 216; i++) values[i] = 20 + (values[i] - 80);
      const scores = scoreWithTimes(values);
      expect(Math.max(...scores.slice(4 * perDay + 108, 4 * perDay + 120))).toBeGreaterThan(0.6);
      expect(Math.max(...scores.slice(3 * perDay, 4 * perDay))).toBeLessThan(0.6);
      // Without timestamps the seasonal detector is off and the missing peak goes unnoticed.
      const blind = scoreSeries(() => new SpendEnsembleScorer(), values);
      expect(Math.max(...blind.slice(4 * perDay + 108, 4 * perDay + 120))).toBeLessThan(0.5);
    });

    it('takes the median of past days as baseline, so a one-off spike does not echo a day later', () => {
      const scorer = new SpendEnsembleScorer();
      const values = days(4);
      values[3 * perDay + 50] = 60;
      values.forEach((v, i) => scorer.scoreThenLearn(v, i * step));
      // The day after the spike, the baseline at the same time is the median of ≈20, ≈20 and 60,
      // so the next day's normal value does not look like a drop.
      const [a, b] = [values[perDay + 50], values[2 * perDay + 50]].sort((x, y) => x - y);
      expect(scorer.seasonalBaseline((4 * perDay + 50) * step)).toBe(b < 60 ? b : a);
      expect(scorer.components(20, (4 * perDay + 50) * step).seasonal).toBeLessThan(1);
    });

    it('is off for times with no value one season earlier', () => {
      const scorer = new SpendEnsembleScorer();
      days(2).forEach((v, i) => scorer.scoreThenLearn(v, i * step));
      expect(scorer.seasonalBaseline(2 * perDay * step + 1)).toBeUndefined();
      expect(scorer.components(20, 2 * perDay * step + 1).seasonal).toBe(0);
    });
  });
});
