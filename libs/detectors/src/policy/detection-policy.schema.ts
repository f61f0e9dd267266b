import { z } from 'zod';

/**
 * Detection policy: global engine settings, default thresholds/caps/detectors, and
 * overrides per account and per key. Every field has a description; everything has a
 * default so an empty object `{}` is a complete policy (protection on by default).
 */

const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();

export const thresholdsShape = {
  minSpendUsd: nonNegative.describe('A bucket costing less than this never yields a cost finding ("pennies never page").'),
  criticalMinSpendUsd: nonNegative.describe('A spike pages (critical) only when the bucket cost is at least this.'),
  warmupCriticalMinSpendUsd: nonNegative.describe('Same as criticalMinSpendUsd during the first matureHours of a key or account (no peak or hour profile yet).'),
  spikeRatioWarning: positive.describe('Bucket value / baseline at or above which a spike is a warning.'),
  spikeRatioCritical: positive.describe('Bucket cost / baseline at or above which a spike is critical (with the spend floor).'),
  peakGuardFactor: nonNegative.describe('A critical spike must also exceed this × the highest bucket cost of the last 7 days (bursty batch jobs do not page). 0 disables.'),
  zscore: positive.describe('Rolling z-score threshold (bucket value vs mean and standard deviation of the window).'),
  robustZscore: positive.describe('Modified z-score threshold, 0.6745 (x − median) / MAD, over the window.'),
  ewmaSigmas: positive.describe('EWMA control limit: mean + this × EWMA standard deviation.'),
  cusumAllowance: nonNegative.describe('CUSUM allowance k in baseline standard deviations (half the shift worth detecting).'),
  cusumWarning: positive.describe('CUSUM statistic at which a slow drain is a warning.'),
  cusumCritical: positive.describe('CUSUM statistic at which a slow drain is critical (with slowDrainMinExcessUsd).'),
  slowDrainMinExcessUsd: nonNegative.describe('A slow drain pages only after this many dollars above the baseline.'),
  windowDrainRatio: positive.describe('Window drain (keys): spend over the last 60 minutes / what the key usually spends then (hour-of-day profile × today\'s level) at or above which a sustained drain is critical.'),
  windowDrainProfileRatio: nonNegative.describe('Window drain: the last 60 minutes must also be at least this × the hour-of-day profile itself.'),
  windowDrainMinZ: nonNegative.describe('Window drain: the excess over expected, in the key\'s own standard deviations of a window, must be at least this when a new IP or country appeared on the key within windowDrainOriginMinutes.'),
  windowDrainMinZAlone: nonNegative.describe('Window drain: the same bar without a new IP or country (a drain from the key\'s own IPs).'),
  windowDrainAloneMinExcessUsd: nonNegative.describe('Window drain without a new IP or country: pages only with at least this many dollars above expected in the window.'),
  windowDrainOriginMinutes: nonNegative.describe('Window drain: how recent a new IP or country must be to lower the z bar to windowDrainMinZ.'),
  windowDrainMinExcessUsd: nonNegative.describe('Window drain: pages only with at least this many dollars above expected in the last 60 minutes.'),
  minRequests: nonNegative.describe('Request-count findings need at least this many requests in the bucket.'),
  minTokens: nonNegative.describe('Token findings need at least this many tokens in the bucket.'),
  errorRateMin: z.number().min(0).max(1).describe('Error-rate findings need at least this share of failed requests (status ≥ 400).'),
  errorRateMinRequests: nonNegative.describe('Error-rate findings need at least this many requests in the bucket.'),
  noveltyCriticalSpendUsd: nonNegative.describe('Spend on a never-seen model within the novelty spend window that makes a novelty critical.'),
  originCriticalSpendUsd: nonNegative.describe('Origin novelty: a new IP or country pages only once it spent at least this (USD) within the novelty spend window, on top of the key\'s usual spend.'),
  originCriticalHourShare: nonNegative.describe('Origin novelty: the new IP/country\'s spend and the key\'s spend above its baseline since then must both reach this × the key\'s usual spend per hour.'),
  originKnownShareMin: nonNegative.describe('Origin novelty: the key\'s already-known IPs/countries must still spend at least this × the key\'s baseline since the new one appeared (traffic was added, not moved: redeploys and travel do not page).'),
  originFullKnownShare: nonNegative.describe('Origin novelty: when the key\'s already-known IPs/countries kept at least this × its baseline at today\'s level (the owner\'s whole usual traffic continues, so whatever the new origin adds is on top), the lower bar originFullKnownHourShare applies instead of originCriticalHourShare.'),
  originFullKnownHourShare: nonNegative.describe('Origin novelty: the bar (× the key\'s usual spend per hour, at least originCriticalSpendUsd) for the new origin\'s spend and the excess when the known origins kept originFullKnownShare of their usual traffic.'),
};

export const capsShape = {
  hourUsd: positive.nullable().describe('Hard cap on spend over the rolling last hour; null = no cap.'),
  dayUsd: positive.nullable().describe('Hard cap on spend over the rolling last 24 hours; null = no cap.'),
  monthUsd: positive.nullable().describe('Hard cap on spend over the rolling last 30 days; null = no cap.'),
};

export const DETECTOR_TOGGLES = ['zscore', 'robust-zscore', 'ewma', 'spike-ratio', 'cap', 'novelty', 'cusum'] as const;
export type DetectorToggle = (typeof DETECTOR_TOGGLES)[number];

const thresholdsOverride = z.strictObject(thresholdsShape).partial();
const capsOverride = z.strictObject(capsShape).partial();
const detectorsOverride = z.strictObject(Object.fromEntries(DETECTOR_TOGGLES.map((d) => [d, z.boolean()])) as Record<DetectorToggle, z.ZodBoolean>).partial();

const keyOverride = z.strictObject({
  thresholds: thresholdsOverride.optional(),
  caps: capsOverride.optional().describe('Caps of this key.'),
  detectors: detectorsOverride.optional(),
});

const accountOverride = z.strictObject({
  thresholds: thresholdsOverride.optional().describe('Thresholds of the account and all its keys.'),
  caps: capsOverride.optional().describe('Caps of the account as a whole.'),
  keyCaps: capsOverride.optional().describe('Caps of each key of this account.'),
  detectors: detectorsOverride.optional(),
  keys: z.record(z.string().min(1), keyOverride).optional().describe('Overrides per key id.'),
});

const engineSettings = z.strictObject({
  bucketMs: z.number().int().min(1000).max(3_600_000).describe('Bucket width of the per-key and per-account series.'),
  windowBuckets: z.number().int().min(5).max(1440).describe('Window of the rolling z-score and median/MAD detectors, in buckets.'),
  ewmaHalfLifeBuckets: positive.describe('Half-life of the EWMA baseline, in buckets.'),
  profileHalfLifeDays: positive.describe('Half-life of the hour-of-day baseline used by the slow-drain CUSUM, in days.'),
  warmupBuckets: z.number().int().nonnegative().describe('Buckets a key or account must have lived before window detectors judge it.'),
  matureHours: nonNegative.describe('Until a key or account has this much history, a spike needs warmupCriticalMinSpendUsd to be critical.'),
  noveltyHorizonDays: positive.describe('A value unseen for this long counts as new again.'),
  noveltyWarmupHours: nonNegative.describe('A key younger than this learns its models/IPs without findings (everything is new to a new key).'),
  noveltyMaxValues: z.number().int().min(1).max(4096).describe('Values remembered per key and attribute; a key that keeps overflowing this is too diverse for novelty to mean anything.'),
  noveltySpendWindowMinutes: positive.describe('How long spend on a newly seen model is added up towards noveltyCriticalSpendUsd.'),
  priors: z.strictObject({
    keyCostPerBucketUsd: nonNegative.describe('Global prior: cost per bucket of a key of a new account.'),
    keyRequestsPerBucket: nonNegative.describe('Global prior: requests per bucket of a key of a new account.'),
    keyTokensPerBucket: nonNegative.describe('Global prior: tokens per bucket of a key of a new account.'),
    weightBuckets: nonNegative.describe('How many buckets of evidence a prior is worth.'),
  }),
});

const defaultsSchema = z.strictObject({
  thresholds: thresholdsOverride.optional(),
  keyCaps: capsOverride.optional(),
  accountCaps: capsOverride.optional(),
  detectors: detectorsOverride.optional(),
});

export const detectionPolicyInputSchema = z.strictObject({
  version: z.literal(1).optional(),
  engine: z
    .strictObject({ ...engineSettings.shape, priors: engineSettings.shape.priors.partial() })
    .partial()
    .optional(),
  defaults: defaultsSchema.optional(),
  accounts: z.record(z.string().min(1), accountOverride).optional(),
});

export type DetectionPolicyInput = z.input<typeof detectionPolicyInputSchema>;
export type Thresholds = { [K in keyof typeof thresholdsShape]: number };
export type Caps = { hourUsd: number | null; dayUsd: number | null; monthUsd: number | null };
export type DetectorToggles = Record<DetectorToggle, boolean>;
export type EngineSettings = z.output<typeof engineSettings>;
export type ThresholdsOverride = z.output<typeof thresholdsOverride>;
export type CapsOverride = z.output<typeof capsOverride>;
export type DetectorsOverride = z.output<typeof detectorsOverride>;
export type AccountOverride = z.output<typeof accountOverride>;
