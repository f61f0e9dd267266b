import { mean, sampleVariance, variance } from 'simple-statistics';
import { mulberry32 } from '../testing/seeded-random';
import { RollingWindowMoments } from './rolling-window-moments';

describe('RollingWindowMoments', () => {
  it('matches the documented example', () => {
    const w = new RollingWindowMoments(3);
    [1, 2, 3, 4].forEach((x) => w.push(x));
    expect(w.mean).toBe(3);
    expect(w.sampleVariance()).toBe(1);
  });

  it('equals the batch mean and variance of the last values (simple-statistics reference)', () => {
    const random = mulberry32(7);
    const all: number[] = [];
    const w = new RollingWindowMoments(25);
    for (let i = 0; i < 2000; i++) {
      const x = random() * 100 + (i % 300 === 0 ? 1e4 : 0);
      all.push(x);
      w.push(x);
      const tail = all.slice(-25);
      expect(w.count).toBe(tail.length);
      expect(w.mean).toBeCloseTo(mean(tail), 8);
      if (tail.length >= 2) expect(w.sampleVariance()).toBeCloseTo(sampleVariance(tail), 6);
      expect(w.populationVariance()).toBeCloseTo(variance(tail), 6);
    }
  });

  it('pushRepeated equals repeated pushes and survives a snapshot', () => {
    const a = new RollingWindowMoments(10);
    const b = new RollingWindowMoments(10);
    [5, 6, 7].forEach((x) => (a.push(x), b.push(x)));
    a.pushRepeated(0, 1000);
    for (let i = 0; i < 1000; i++) b.push(0);
    expect(a.toArray()).toEqual(b.toArray());
    expect(RollingWindowMoments.fromState(a.toState()).mean).toBe(a.mean);
  });

  it('rejects a non-positive capacity', () => {
    expect(() => new RollingWindowMoments(0)).toThrow(RangeError);
  });
});
