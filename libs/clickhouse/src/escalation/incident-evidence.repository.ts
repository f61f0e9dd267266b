import type { ClickHouseClient } from '@clickhouse/client';
import { sql } from '../sql-literal';

const MINUTE_MS = 60_000;
const MAX_LIST = 10;
const MAX_MODELS = 5;

export interface IncidentEvidence {
  spendUsd: number;
  requests: number;
  topModels: Array<{ model: string; costUsd: number }>;
  ips: string[];
  countries: string[];
  userAgents: string[];
  keyPrefix?: string;
}

/**
 * What a page or webhook says about the money: spend, models, IPs, countries and user agents
 * of one key (or a whole account) from a moment on, read from `usage_events` (FINAL, so
 * re-inserted events count once). The window starts at the minute of `since`, the bucket the
 * first finding judged.
 */
export class IncidentEvidenceRepository {
  constructor(private readonly client: ClickHouseClient) {}

  async evidence(accountId: string, keyId: string | undefined, since: Date): Promise<IncidentEvidence> {
    const from = new Date(Math.floor(since.getTime() / MINUTE_MS) * MINUTE_MS);
    // `where` is SQL text whose values were bound by `sql`; it is spliced as is below.
    const where =
      keyId === undefined
        ? sql`account_id = ${accountId} AND time >= ${from}`
        : sql`account_id = ${accountId} AND key_id = ${keyId} AND time >= ${from}`;
    const [totals, models, prefix] = await Promise.all([
      this.rows<{ spend: number; requests: string; ips: string[]; countries: string[]; uas: string[] }>(
        `SELECT sum(cost_usd) AS spend, count() AS requests, topK(${MAX_LIST})(ip) AS ips,
           topK(${MAX_LIST})(country) AS countries, topK(${MAX_LIST})(user_agent) AS uas
         FROM usage_events FINAL WHERE ${where}`,
      ),
      this.rows<{ model: string; cost: number }>(
        `SELECT model, sum(cost_usd) AS cost FROM usage_events FINAL WHERE ${where}
         GROUP BY model ORDER BY cost DESC LIMIT ${MAX_MODELS}`,
      ),
      keyId === undefined
        ? Promise.resolve([])
        : this.rows<{ key_prefix: string }>(sql`SELECT key_prefix FROM key_directory WHERE key_id = ${keyId} AND key_prefix != '' LIMIT 1`),
    ]);
    const total = totals[0];
    return {
      spendUsd: Number(total?.spend ?? 0),
      requests: Number(total?.requests ?? 0),
      topModels: models.map((m) => ({ model: m.model, costUsd: Number(m.cost) })),
      ips: (total?.ips ?? []).filter(Boolean),
      countries: (total?.countries ?? []).filter(Boolean),
      userAgents: (total?.uas ?? []).filter(Boolean),
      ...(prefix[0]?.key_prefix ? { keyPrefix: prefix[0].key_prefix } : {}),
    };
  }

  private async rows<T>(query: string): Promise<T[]> {
    const result = await this.client.query({ query, format: 'JSONEachRow' });
    return result.json<T>();
  }
}
