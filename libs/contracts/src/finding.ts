/**
 * Finding v1: what a detector says about one key or account at one moment.
 * Published to the `findings` topic (message key = accountId) and written to ClickHouse.
 */
export const FINDING_SCHEMA_VERSION = 1;

export type Severity = 'info' | 'warning' | 'critical';

/** Detector families; the incident dedup key is per account / key / family. */
export type DetectorName =
  | 'zscore'
  | 'robust-zscore'
  | 'ewma'
  | 'spike-ratio'
  | 'cap'
  | 'novelty'
  | 'cusum'
  | 'report';

/** Series the detectors watch, per key and per account. */
export type MetricName =
  | 'cost_usd'
  | 'requests'
  | 'tokens'
  | 'error_rate'
  | 'cost_usd_hour'
  | 'cost_usd_day'
  | 'cost_usd_month'
  | 'model'
  | 'ip'
  | 'country'
  | 'user_agent'
  | 'report';

export interface Finding {
  /** Schema version of this object. */
  v: typeof FINDING_SCHEMA_VERSION;
  /** Deterministic id: same input stream gives the same ids (lets consumers dedupe). */
  id: string;
  /** Event time the finding refers to, RFC 3339 UTC. */
  time: string;
  accountId: string;
  /** Absent for account-level findings. */
  keyId?: string;
  detector: DetectorName;
  metric: MetricName;
  /** Observed value (e.g. USD in the bucket so far). For novelty: 1. */
  observed: number;
  /** What the detector expected (baseline, cap, ...). */
  expected: number;
  /** Detector-specific score (z, ratio, cusum statistic ...). */
  score: number;
  /** Threshold the score was compared to. */
  threshold: number;
  severity: Severity;
  /** One sentence a person understands at 3am. */
  explanation: string;
  /** Start of the bucket judged, RFC 3339 UTC, when the finding is about a bucket. */
  bucketStart?: string;
  /** For novelty findings: the value never seen before (model name, IP, country, user agent). */
  value?: string;
}
