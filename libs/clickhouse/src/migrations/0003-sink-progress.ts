import type { Migration } from './migration';

/**
 * Highest Kafka offset stored per topic partition, written by a view in the
 * same insert as the rows themselves. After a crash the sink checks only the
 * redelivered messages at or below it for rows already stored.
 */
export const sinkProgressMigration: Migration = {
  version: 3,
  name: 'sink-progress',
  statements: [
    `CREATE TABLE IF NOT EXISTS sink_progress (
      kafka_topic String,
      kafka_partition UInt32,
      max_offset UInt64
    ) ENGINE = ReplacingMergeTree(max_offset)
    ORDER BY (kafka_topic, kafka_partition)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS sink_progress_mv TO sink_progress AS
    SELECT kafka_topic, kafka_partition, max(kafka_offset) AS max_offset
    FROM usage_events
    GROUP BY kafka_topic, kafka_partition`,
  ],
};
