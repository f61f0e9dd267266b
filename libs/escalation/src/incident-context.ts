/**
 * Evidence the caller gathers (from ClickHouse / detector state) to make a page or webhook
 * useful at 3am. Every field is optional: a page goes out even when evidence is missing.
 */
export interface IncidentContext {
  /** Short display form of the key, e.g. `sk-or-…a1b2` (never the secret). */
  keyDisplay?: string;
  accountName?: string;
  /** USD spent by the key since the incident started. */
  spendSoFarUsd?: number;
  /** Human label of the observation window, e.g. `last 5 min`. */
  windowLabel?: string;
  topModels?: Array<{ model: string; costUsd: number }>;
  ips?: string[];
  countries?: string[];
  userAgents?: string[];
  /** Link to `GET /v1/incidents/{id}/report` or a UI page. */
  reportUrl?: string;
}
