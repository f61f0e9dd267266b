import type { DetectorName } from '@spendguard/contracts/finding';

/**
 * Detector families: one drain seen by several detectors of the same kind is one incident.
 * - burst: sudden spend spikes (z-score, robust z-score, EWMA, spike ratio)
 * - cap: a hard spending cap crossed
 * - slow-drain: a small but persistent shift (CUSUM)
 * - novelty: a model / IP / country / user agent never seen for the key
 * - report: a person reported the key as leaked
 */
export type DetectorFamily = 'burst' | 'cap' | 'slow-drain' | 'novelty' | 'report';

export const DETECTOR_FAMILIES: readonly DetectorFamily[] = ['burst', 'cap', 'slow-drain', 'novelty', 'report'];

const FAMILY_OF_DETECTOR: Record<DetectorName, DetectorFamily> = {
  zscore: 'burst',
  'robust-zscore': 'burst',
  ewma: 'burst',
  'spike-ratio': 'burst',
  cap: 'cap',
  cusum: 'slow-drain',
  novelty: 'novelty',
  report: 'report',
};

export function detectorFamily(detector: DetectorName): DetectorFamily {
  return FAMILY_OF_DETECTOR[detector];
}
