import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Runs a SELECT built with the `sql` literal binder and reads every row
 * (JSONEachRow; UInt64 columns arrive as strings). The result stream is always consumed.
 */
export async function readRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}
