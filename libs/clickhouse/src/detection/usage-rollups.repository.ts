import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient, Row } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import type { RollupRow } from '@spendguard/detectors';
import { sql } from '../sql-literal';

/** One key's spend in one minute, every model summed: exactly what `DetectionEngine.seedFromRollup` learns. */
export type UsageRollupRow = RollupRow;

/** One query covers at most one day: the table's day partition, and the GROUP BY state it needs stays bounded. */
const CHUNK_MS = 24 * 3600_000;
const MINUTE_MS = 60_000;

/**
 * Reads `usage_minute_rollups` to seed the detect role's baselines on a cold start.
 * The table is summed at merge time only, so every read sums with GROUP BY.
 */
@Injectable()
export class UsageRollupsRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  /** Accounts with any rollup in the minutes [sinceMs, untilMs). */
  async accountsBetween(sinceMs: number, untilMs: number): Promise<string[]> {
    const result = await this.client.query({
      query: sql`SELECT DISTINCT account_id FROM usage_minute_rollups
        WHERE minute >= ${new Date(sinceMs)} AND minute < ${new Date(untilMs)}`,
      format: 'JSONEachRow',
    });
    return (await result.json<{ account_id: string }>()).map((r) => r.account_id);
  }

  /**
   * Per-minute rows of `accountIds` in the minutes [sinceMs, untilMs), ordered by minute
   * (then account, key), streamed: one day-long query at a time, rows parsed as they arrive.
   */
  async *rowsBetween(accountIds: readonly string[], sinceMs: number, untilMs: number): AsyncGenerator<UsageRollupRow> {
    if (accountIds.length === 0) return;
    const since = Math.floor(sinceMs / MINUTE_MS) * MINUTE_MS;
    for (let from = since; from < untilMs; from += CHUNK_MS) {
      const query = sql`SELECT toUInt32(minute) AS minute_s, account_id, key_id,
          sum(cost_usd) AS cost_usd, sum(requests) AS requests,
          sum(input_tokens + output_tokens) AS tokens, sum(errors) AS errors
        FROM usage_minute_rollups
        WHERE minute >= ${new Date(from)} AND minute < ${new Date(Math.min(from + CHUNK_MS, untilMs))}
          AND has(${accountIds}, account_id)
        GROUP BY minute, account_id, key_id
        ORDER BY minute, account_id, key_id`;
      // The account list is inline (no query parameters on 18.16): let the parser take it whole.
      const result = await this.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_query_size: String(query.length + 65_536) } });
      for await (const rows of result.stream<RawRollupRow>()) {
        for (const row of rows as Row<RawRollupRow, 'JSONEachRow'>[]) yield toRollupRow(row.json());
      }
    }
  }
}

/** JSONEachRow of the query above: UInt64 sums arrive as strings. */
interface RawRollupRow {
  minute_s: number;
  account_id: string;
  key_id: string;
  cost_usd: number;
  requests: string;
  tokens: string;
  errors: string;
}

function toRollupRow(r: RawRollupRow): UsageRollupRow {
  return {
    accountId: r.account_id,
    keyId: r.key_id,
    minuteStart: r.minute_s * 1000,
    costUsd: r.cost_usd,
    requests: Number(r.requests),
    tokens: Number(r.tokens),
    errors: Number(r.errors),
  };
}
