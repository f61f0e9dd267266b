import { mean, standardDeviation } from 'simple-statistics';
import { normalUpperTail } from './erfc';
import { scoreSeries } from './streaming-scorer';
import { WindowedGaussianScorer } from './windowed-gaussian';

/** Deterministic pseudo-random values (LCG, fixed seed). */
function seededValues(count: number, seed = 42): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 10;
  });
}

describe('WindowedGaussianScorer', () => {
  it('scores the first value 0 and a repeat of a constant 0.5', () => {
    expect(scoreSeries(() => new WindowedGaussianScorer(), [3, 3, 3])).toEqual([0, 0.5, 0.5]);
  });

  it('uses σ = 1e-6 for a constant window, so any change scores ≈ 1', () => {
    const [, , third] = scoreSeries(() => new WindowedGaussianScorer(), [3, 3, 3.001]);
    expect(third).toBe(1);
  });

  it('scores each value against the population mean and deviation of the values before it', () => {
    const values = seededValues(300);
    const scores = scoreSeries(() => new WindowedGaussianScorer(), values);
    for (let i = 2; i < values.length; i++) {
      const past = values.slice(0, i);
      const z = Math.abs(values[i] - mean(past)) / standardDeviation(past);
      expect(scores[i]).toBeCloseTo(1 - normalUpperTail(z), 12);
    }
  });

  it('slides by whole steps once the window is full', () => {
    const scorer = new WindowedGaussianScorer({ windowSize: 4, stepSize: 2 });
    for (const v of [0, 0, 0, 0]) scorer.learn(v);
    // Full window [0,0,0,0]; one buffered value does not move it yet.
    scorer.learn(10);
    expect(scorer.score(0)).toBe(0.5);
    // The second buffered value slides it to [0,0,10,10]: μ = 5, σ = 5, so x = 5 is at the mean.
    scorer.learn(10);
    expect(scorer.score(5)).toBe(0.5);
    expect(scorer.score(10)).toBeCloseTo(1 - normalUpperTail(1), 15);
  });
});
