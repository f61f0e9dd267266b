import { createHash } from 'node:crypto';
import { FINDING_SCHEMA_VERSION, type DetectorName, type Finding, type MetricName, type Severity } from '@spendguard/contracts/finding';

/** Everything a finding says, before the id and formatting are added. */
export interface FindingDraft {
  time: number;
  accountId: string;
  keyId: string | undefined;
  detector: DetectorName;
  metric: MetricName;
  observed: number;
  expected: number;
  score: number;
  threshold: number;
  severity: Severity;
  explanation: string;
  /** What makes this finding unique besides account/key/detector/metric/severity (bucket start, run start, value). */
  episodeStart: number;
  bucketStart?: number;
  value?: string;
}

/**
 * Builds the wire `Finding`. The id is a hash of account, key, detector, metric, episode
 * (bucket start), severity and value: replaying the same stream gives the same ids, and a
 * severity rise within a bucket gets a new id (consumers that dedupe by id still see it).
 */
export function buildFinding(d: FindingDraft): Finding {
  const id = createHash('sha256')
    .update([d.accountId, d.keyId ?? '', d.detector, d.metric, d.episodeStart, d.severity, d.value ?? ''].join('\u001f'))
    .digest('hex')
    .slice(0, 32);
  const finding: Finding = {
    v: FINDING_SCHEMA_VERSION,
    id,
    time: new Date(d.time).toISOString(),
    accountId: d.accountId,
    detector: d.detector,
    metric: d.metric,
    observed: round(d.observed),
    expected: round(d.expected),
    score: round(d.score),
    threshold: d.threshold,
    severity: d.severity,
    explanation: d.explanation,
  };
  if (d.keyId !== undefined) finding.keyId = d.keyId;
  if (d.bucketStart !== undefined) finding.bucketStart = new Date(d.bucketStart).toISOString();
  if (d.value !== undefined) finding.value = d.value;
  return finding;
}

/** "Key sk-…a1b2 of account acme" or "Account acme". */
export function describeSubject(accountId: string, keyId: string | undefined): string {
  return keyId === undefined ? `Account ${accountId}` : `Key ${keyId} of account ${accountId}`;
}

/** $412.30, $0.0042 — cents for real money, more digits for fractions of a cent. */
export function formatUsd(amount: number): string {
  const digits = Math.abs(amount) >= 0.01 || amount === 0 ? 2 : 4;
  return '$' + amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : String(Math.round(value * 10) / 10);
}

/** "minute" for 60 s buckets, else "10-second bucket". */
export function bucketLabel(bucketMs: number): string {
  if (bucketMs === 60_000) return 'minute';
  if (bucketMs === 3_600_000) return 'hour';
  return bucketMs % 60_000 === 0 ? `${bucketMs / 60_000}-minute bucket` : `${bucketMs / 1000}-second bucket`;
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : value;
}
