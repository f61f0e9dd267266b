import { UpperCusum } from './cusum';

describe('UpperCusum', () => {
  it('matches the documented example and hand-computed values', () => {
    const c = new UpperCusum({ allowance: 0.5, maxStep: 3 });
    [1, 1, 1].forEach((z) => c.update(z));
    expect(c.statistic).toBe(1.5);
    expect(c.update(10)).toBe(4); // clipped to 3, minus 0.5
    expect(c.update(-10)).toBe(0); // never negative
  });

  it('equals the batch recursion S_t = max(0, S_t-1 + z_t − k)', () => {
    const zs = [0.2, 1.4, 2.2, -0.3, 0.9, 1.7, 0.1, 2.5];
    let batch = 0;
    const c = new UpperCusum({ allowance: 0.5 });
    for (const z of zs) {
      batch = Math.max(0, batch + z - 0.5);
      expect(c.update(z)).toBeCloseTo(batch, 12);
    }
  });

  it('decayIdle lowers by k per idle value, down to zero', () => {
    const c = new UpperCusum({ allowance: 0.5, statistic: 3 });
    expect(c.decayIdle(2)).toBe(2);
    expect(c.decayIdle(100)).toBe(0);
  });
});
