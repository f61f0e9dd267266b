import { mean, variance } from 'simple-statistics';
import { mulberry32 } from '../testing/seeded-random';
import { EwmaMoments } from './ewma-moments';

describe('EwmaMoments', () => {
  it('matches the documented example', () => {
    const e = new EwmaMoments(0.5);
    e.update(1);
    e.update(3);
    expect(e.mean).toBe(2);
    expect(e.variance).toBe(1);
  });

  it('during warm-up equals the cumulative mean and population variance', () => {
    const random = mulberry32(3);
    const xs: number[] = [];
    const e = new EwmaMoments(0.001);
    for (let i = 0; i < 500; i++) {
      const x = random() * 10;
      xs.push(x);
      e.update(x);
      expect(e.mean).toBeCloseTo(mean(xs), 9);
      expect(e.variance).toBeCloseTo(variance(xs), 9);
    }
  });

  it('after warm-up equals the batch exponentially weighted mean and variance', () => {
    const alpha = 0.1;
    const random = mulberry32(11);
    const xs = Array.from({ length: 200 }, () => random() * 5);
    const e = new EwmaMoments(alpha);
    xs.forEach((x) => e.update(x));
    // Batch: weights of the warm-up phase (1/n for n < 1/alpha) then alpha; computed directly.
    const weights = new Array<number>(xs.length).fill(0);
    let remaining = 1;
    for (let i = xs.length - 1; i >= 0; i--) {
      const w = Math.max(alpha, 1 / (i + 1));
      weights[i] = remaining * w;
      remaining *= 1 - w;
    }
    const batchMean = xs.reduce((s, x, i) => s + weights[i] * x, 0);
    expect(e.mean).toBeCloseTo(batchMean, 9);
  });

  it('updateRepeated (closed form) equals repeated updates', () => {
    const a = new EwmaMoments(0.05);
    const b = new EwmaMoments(0.05);
    [3, 8, 1, 9, 4].forEach((x) => (a.update(x), b.update(x)));
    a.updateRepeated(0, 777);
    for (let i = 0; i < 777; i++) b.update(0);
    expect(a.mean).toBeCloseTo(b.mean, 12);
    expect(a.variance).toBeCloseTo(b.variance, 12);
    expect(a.count).toBe(b.count);
  });

  it('a prior weighs like its pseudo-count', () => {
    const e = EwmaMoments.withPrior(0.0001, 10, 4, 9);
    e.update(20);
    expect(e.mean).toBeCloseTo(11, 12); // (9 × 10 + 20) / 10
  });

  it('alphaForHalfLife halves the weight after halfLife updates', () => {
    const alpha = EwmaMoments.alphaForHalfLife(60);
    expect(Math.pow(1 - alpha, 60)).toBeCloseTo(0.5, 12);
  });
});
