import type { Migration } from './migration';

/**
 * Every finding the detect role published (one row per finding id), and the
 * detect role's state snapshots per Kafka partition, so a restarted worker
 * keeps its baselines and does not publish a finding twice.
 */
export const findingsMigration: Migration = {
  version: 4,
  name: 'findings',
  statements: [
    `CREATE TABLE IF NOT EXISTS findings (
      finding_id String,
      time DateTime('UTC'),
      account_id String,
      key_id String,
      detector String,
      metric String,
      observed Float64,
      expected Float64,
      score Float64,
      threshold Float64,
      severity String,
      explanation String,
      value String,
      kafka_partition UInt32,
      published_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMMDD(time)
    ORDER BY (account_id, key_id, time, finding_id)`,
    `CREATE TABLE IF NOT EXISTS detector_snapshots (
      consumer_group String,
      kafka_topic String,
      kafka_partition UInt32,
      next_offset UInt64,
      saved_at_ms UInt64,
      snapshot String
    ) ENGINE = ReplacingMergeTree(saved_at_ms)
    ORDER BY (consumer_group, kafka_topic, kafka_partition)`,
  ],
};
