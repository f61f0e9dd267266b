/**
 * Usage event v1: one request a gateway forwarded to an AI provider.
 * The field names are the public API; see README "Event contract".
 */
export interface UsageEvent {
  /** Unique per request; the idempotency key all the way to ClickHouse. */
  id: string;
  /** Event time as epoch milliseconds (normalised from RFC 3339 or epoch ms on input). */
  time: number;
  accountId: string;
  /** Fingerprint of the API key (e.g. HMAC-SHA256 with the gateway's pepper), never the key. */
  keyId: string;
  model: string;
  provider: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** HTTP status of the upstream call. */
  status: number;
  latencyMs: number;
  ip: string;
  /** ISO 3166-1 alpha-2, upper case; empty string when unknown. */
  country: string;
  userAgent: string;
  gatewayId: string;
  attributes: Record<string, string>;
}
