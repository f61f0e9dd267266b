import type { Caps, DetectorToggles, EngineSettings, Thresholds } from './detection-policy.schema';

/**
 * Defaults chosen for "no false page per 1,000 key-days, a burst drain pages within a
 * minute": criticals need real dollars in one bucket (criticalMinSpendUsd) AND a large
 * ratio AND more than the key's recent peak; statistical detectors only warn.
 * CUSUM allowance 0.75 (not 0.5): on `bench/drain` a k of 0.5 paged on legitimately busy
 * days (+30–60 % for hours) at 5.3 false criticals per 1,000 key-days; 0.75 gives 0.24.
 * Origin novelty (a new IP/country adding spend on top of the key's usual traffic, see
 * `DetectionEngine.judgeOrigin`): $0.15 floor, half the key's usual hourly spend, and the
 * known origins must keep at least half their usual pace (at today's level). On
 * `bench/drain` it took slow-drain recall from 17 % to 80 % (median 44 min) with no false
 * critical added; the floor went from $0.25 to $0.15 with the today's-level rule (slow
 * drain within 1 h 24 → 25 of 30 and 24 → 26 of 30 on the two seeds, new-country-ip +2 on
 * each, no false critical added; $0.10 caught no more slow drains). When the known origins
 * kept ≥ 0.8 × their usual traffic at today's level, the bar is 0.25 × the hourly spend
 * (`originFullKnown*`): slow drain within 1 h 25 → 28 and 26 → 27 of 30, no false critical
 * added (this generator's IP changes replace the old IPs, so it has no look-alike for it).
 * Window drain (`WindowDrainTest`, 30–60-minute scan against profile × today's level,
 * z in the key's own dispersion): 1.4× the expected spend, 1.5σ and $0.20 over when a new
 * IP/country appeared in the last 2 hours, 6.5σ and $1 over without. On `bench/drain` it took
 * slow drain within 1 h from 20/30 to 24/30 (seed 20260105), false criticals 0.24 → 0.33
 * per 1,000 key-days; see bench/drain/README.md for the sweep and a second seed.
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  minSpendUsd: 0.5,
  criticalMinSpendUsd: 2,
  warmupCriticalMinSpendUsd: 10,
  spikeRatioWarning: 5,
  spikeRatioCritical: 50,
  peakGuardFactor: 2,
  zscore: 6,
  robustZscore: 8,
  ewmaSigmas: 6,
  cusumAllowance: 0.75,
  cusumWarning: 20,
  cusumCritical: 40,
  slowDrainMinExcessUsd: 0.5,
  windowDrainRatio: 1.4,
  windowDrainProfileRatio: 1.3,
  windowDrainMinZ: 1.5,
  windowDrainMinZAlone: 6.5,
  windowDrainAloneMinExcessUsd: 1,
  windowDrainOriginMinutes: 120,
  windowDrainMinExcessUsd: 0.2,
  minRequests: 30,
  minTokens: 50_000,
  errorRateMin: 0.5,
  errorRateMinRequests: 20,
  noveltyCriticalSpendUsd: 5,
  originCriticalSpendUsd: 0.15,
  originCriticalHourShare: 0.5,
  originKnownShareMin: 0.5,
  originFullKnownShare: 0.8,
  originFullKnownHourShare: 0.25,
};

/** No cap by default: a cap is a business decision, a default one would page big users. */
export const DEFAULT_CAPS: Caps = { hourUsd: null, dayUsd: null, monthUsd: null };

export const DEFAULT_DETECTORS: DetectorToggles = {
  zscore: true,
  'robust-zscore': true,
  ewma: true,
  'spike-ratio': true,
  cap: true,
  novelty: true,
  cusum: true,
};

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  bucketMs: 60_000,
  windowBuckets: 60,
  ewmaHalfLifeBuckets: 360,
  profileHalfLifeDays: 7,
  warmupBuckets: 30,
  matureHours: 24,
  noveltyHorizonDays: 30,
  noveltyWarmupHours: 24,
  noveltyMaxValues: 32,
  noveltySpendWindowMinutes: 60,
  priors: { keyCostPerBucketUsd: 0.05, keyRequestsPerBucket: 2, keyTokensPerBucket: 2000, weightBuckets: 60 },
};
