import { mulberry32, sampleStandardNormal } from '@spendguard/detectors/testing/seeded-random';

export type Random = () => number;

/** An independent seeded stream per (seed, stream, index): a key's traffic does not change when attacks are added. */
export function stream(seed: number, streamId: number, index = 0): Random {
  let h = (seed ^ Math.imul(streamId + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return mulberry32((h ^ (h >>> 16)) >>> 0);
}

export const uniform = (r: Random, lo: number, hi: number): number => lo + (hi - lo) * r();
export const logUniform = (r: Random, lo: number, hi: number): number => Math.exp(uniform(r, Math.log(lo), Math.log(hi)));
export const int = (r: Random, lo: number, hi: number): number => Math.floor(uniform(r, lo, hi + 1));
export const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)];
export const chance = (r: Random, p: number): boolean => r() < p;
/** Log-normal with the given median and log-space standard deviation. */
export const logNormal = (r: Random, median: number, sigma: number): number => median * Math.exp(sigma * sampleStandardNormal(r));

/** Poisson sample: inversion for small means, normal approximation above 30. */
export function poisson(r: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * sampleStandardNormal(r)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = r();
  while (p > limit) {
    k++;
    p *= r();
  }
  return k;
}
