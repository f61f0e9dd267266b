/**
 * Sum of `values[start..end)` by pairwise summation, in the exact order NumPy's
 * `add.reduce` uses for a contiguous float64 array (blocks of at most 128 values summed
 * with 8 running partial sums, larger ranges split in two at a multiple of 8).
 *
 * Reproducing NumPy's order bit for bit matters only for the windowed-Gaussian baseline,
 * whose published threshold counts scores that round to exactly 1.0; the rounding error is
 * also smaller than a naive loop's (O(log n) instead of O(n)).
 *
 * Reference: numpy/_core/src/umath/loops_utils.h.src, `pairwise_sum_DOUBLE`.
 * @example pairwiseSum([0.1, 0.2, 0.3]) // 0.6000000000000001
 */
const UNROLL = 8;
const BLOCK_SIZE = 128;

export function pairwiseSum(values: ArrayLike<number>, start = 0, end = values.length): number {
  // NumPy starts the reduction from the identity 0, then adds the pairwise sum of all items.
  return 0 + pairwiseRange(values, start, end - start);
}

function pairwiseRange(values: ArrayLike<number>, start: number, count: number): number {
  if (count < UNROLL) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += values[start + i];
    return sum;
  }
  if (count <= BLOCK_SIZE) {
    const partial: number[] = [];
    for (let j = 0; j < UNROLL; j++) partial.push(values[start + j]);
    let i = UNROLL;
    const unrolledEnd = count - (count % UNROLL);
    for (; i < unrolledEnd; i += UNROLL) {
      for (let j = 0; j < UNROLL; j++) partial[j] += values[start + i + j];
    }
    let sum = partial[0] + partial[1] + (partial[2] + partial[3]) + (partial[4] + partial[5] + (partial[6] + partial[7]));
    for (; i < count; i++) sum += values[start + i];
    return sum;
  }
  let half = Math.floor(count / 2);
  half -= half % UNROLL;
  return pairwiseRange(values, start, half) + pairwiseRange(values, start + half, count - half);
}
