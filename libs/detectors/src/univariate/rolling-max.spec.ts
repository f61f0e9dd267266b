import { RollingMax } from './rolling-max';

describe('RollingMax', () => {
  it('is −Infinity when empty and the max of the last `capacity` values after', () => {
    const m = new RollingMax(3);
    expect(m.max).toBe(-Infinity);
    const seen: number[] = [];
    for (const x of [5, 1, 2, 4, 3, 0, 0, 0, 7]) {
      m.push(x);
      seen.push(m.max);
    }
    expect(seen).toEqual([5, 5, 5, 4, 4, 4, 3, 0, 7]);
  });

  it('matches a batch max over a seeded random series', () => {
    let state = 7;
    const values = Array.from({ length: 500 }, () => (state = (state * 48271) % 2147483647) / 2147483647);
    const m = new RollingMax(17);
    values.forEach((x, i) => {
      m.push(x);
      expect(m.max).toBe(Math.max(...values.slice(Math.max(0, i - 16), i + 1)));
    });
  });
});
