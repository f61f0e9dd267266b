import type { ClickHouseClient } from '@clickhouse/client';
import { identifier, sql } from './sql-literal';

/** Tables partitioned by toYYYYMMDD(...) whose old days the retention job drops. */
export const RETAINED_TABLES = ['usage_events', 'usage_minute_rollups'] as const;

/** `20261204` for a UTC day. */
export function dayPartition(epochMs: number): number {
  const d = new Date(epochMs);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * Drops whole day partitions older than `retentionDays` (ClickHouse 18.16 has
 * no TTL). Returns the partitions dropped, as `table:yyyymmdd`.
 */
export async function dropExpiredPartitions(
  client: ClickHouseClient,
  database: string,
  retentionDays: number,
  now: number,
): Promise<string[]> {
  const oldestKept = dayPartition(now - retentionDays * 86_400_000);
  const result = await client.query({
    query: sql`SELECT DISTINCT table, partition FROM system.parts
      WHERE database = ${database} AND active AND has(${[...RETAINED_TABLES]}, table)`,
    format: 'JSONEachRow',
  });
  const parts = await result.json<{ table: string; partition: string }>();
  const dropped: string[] = [];
  for (const { table, partition } of parts) {
    const day = Number(partition.replace(/'/g, ''));
    if (!Number.isInteger(day) || day >= oldestKept) continue;
    await client.command({ query: sql`ALTER TABLE ${identifier(table)} DROP PARTITION ${day}` });
    dropped.push(`${table}:${day}`);
  }
  return dropped;
}
