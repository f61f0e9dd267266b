import type { ClickHouseClient } from '@clickhouse/client';
import { sql } from './sql-literal';
import type { UsageEventRow } from './usage-event-row';

/** Reads and writes of raw usage events; the sink's only view of ClickHouse. */
export class UsageEventsRepository {
  constructor(private readonly client: ClickHouseClient) {}

  /** One JSONEachRow insert; a batch of one day's partition under ~1M rows is atomic. */
  async insert(rows: readonly UsageEventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: 'usage_events', values: rows as UsageEventRow[], format: 'JSONEachRow' });
  }

  /** Highest offset stored for a topic partition, or -1 when none is. */
  async storedMaxOffset(topic: string, partition: number): Promise<bigint> {
    const result = await this.client.query({
      query: sql`SELECT toString(max(max_offset)) AS max_offset, count() AS n FROM sink_progress
        WHERE kafka_topic = ${topic} AND kafka_partition = ${partition}`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ max_offset: string; n: string | number }>();
    return Number(row?.n ?? 0) === 0 ? -1n : BigInt(row.max_offset);
  }

  /** Event ids among `ids` already stored from this topic partition's offset range. */
  async storedEventIds(topic: string, partition: number, fromOffset: string, toOffset: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const result = await this.client.query({
      query: sql`SELECT DISTINCT event_id FROM usage_events
        PREWHERE kafka_topic = ${topic} AND kafka_partition = ${partition}
          AND kafka_offset >= ${Number(fromOffset)} AND kafka_offset <= ${Number(toOffset)}
        WHERE has(${ids}, event_id)`,
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ event_id: string }>()).map((r) => r.event_id));
  }
}
