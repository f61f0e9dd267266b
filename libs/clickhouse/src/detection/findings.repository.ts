import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Finding } from '@spendguard/contracts/finding';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { formatDateTime, sql } from '../sql-literal';

/** Findings the detect role published, and its state snapshots per partition. */
@Injectable()
export class FindingsRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async insert(findings: readonly Finding[], partition: number, publishedAt: number): Promise<void> {
    if (findings.length === 0) return;
    await this.client.insert({
      table: 'findings',
      format: 'JSONEachRow',
      values: findings.map((f) => ({
        finding_id: f.id,
        time: formatDateTime(Date.parse(f.time)),
        account_id: f.accountId,
        key_id: f.keyId ?? '',
        detector: f.detector,
        metric: f.metric,
        observed: f.observed,
        expected: f.expected,
        score: Number.isFinite(f.score) ? f.score : 0,
        threshold: Number.isFinite(f.threshold) ? f.threshold : 0,
        severity: f.severity,
        explanation: f.explanation,
        value: f.value ?? '',
        kafka_partition: partition,
        published_at: formatDateTime(publishedAt),
      })),
    });
  }

  /** Ids of findings published from a partition since `sinceMs` (publication time). */
  async publishedIds(partition: number, sinceMs: number): Promise<Set<string>> {
    const result = await this.client.query({
      query: sql`SELECT DISTINCT finding_id FROM findings
        WHERE kafka_partition = ${partition} AND published_at >= ${new Date(sinceMs)}`,
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ finding_id: string }>()).map((r) => r.finding_id));
  }
}

export interface DetectorSnapshotRow {
  nextOffset: string;
  savedAtMs: number;
  snapshot: string;
}

/** The detect role's engine state per (group, topic, partition), with the offset it covers. */
@Injectable()
export class DetectorSnapshotsRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async save(group: string, topic: string, partition: number, row: DetectorSnapshotRow): Promise<void> {
    await this.client.insert({
      table: 'detector_snapshots',
      format: 'JSONEachRow',
      values: [
        {
          consumer_group: group,
          kafka_topic: topic,
          kafka_partition: partition,
          next_offset: row.nextOffset,
          saved_at_ms: row.savedAtMs,
          snapshot: row.snapshot,
        },
      ],
    });
  }

  async latest(group: string, topic: string, partition: number): Promise<DetectorSnapshotRow | undefined> {
    const result = await this.client.query({
      query: sql`SELECT toString(next_offset) AS next_offset, toString(saved_at_ms) AS saved_at_ms, snapshot
        FROM detector_snapshots
        WHERE consumer_group = ${group} AND kafka_topic = ${topic} AND kafka_partition = ${partition}
        ORDER BY saved_at_ms DESC LIMIT 1`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ next_offset: string; saved_at_ms: string; snapshot: string }>();
    return row ? { nextOffset: row.next_offset, savedAtMs: Number(row.saved_at_ms), snapshot: row.snapshot } : undefined;
  }
}
