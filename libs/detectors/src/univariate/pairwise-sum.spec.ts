import { pairwiseSum } from './pairwise-sum';

describe('pairwiseSum', () => {
  it('sums small arrays left to right', () => {
    expect(pairwiseSum([0.1, 0.2, 0.3])).toBe(0.6000000000000001);
    expect(pairwiseSum([])).toBe(0);
  });

  it('reproduces numpy.add.reduce bit for bit, where a naive loop does not', () => {
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 7 + 1 / (i + 1));
    // Python: float(np.add.reduce(values)) → 71364.62832800341; sum(values) → 71364.62832800357
    expect(pairwiseSum(values)).toBe(71364.62832800341);
    expect(values.reduce((a, b) => a + b, 0)).toBe(71364.62832800357);
  });

  it('sums a sub-range', () => {
    expect(pairwiseSum([1, 2, 3, 4, 5], 1, 4)).toBe(9);
  });
});
