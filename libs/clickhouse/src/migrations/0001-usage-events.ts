import type { Migration } from './migration';

/**
 * Raw usage events, one row per request.
 *
 * ReplacingMergeTree on (account_id, key_id, time, event_id): a re-inserted
 * event collapses into one row at merge time; exact queries use FINAL or
 * count distinct event ids. The Kafka position is kept so the sink can tell,
 * after a restart, which redelivered messages are already stored.
 */
export const usageEventsMigration: Migration = {
  version: 1,
  name: 'usage-events',
  statements: [
    `CREATE TABLE IF NOT EXISTS usage_events (
      event_id String,
      time DateTime('UTC'),
      time_ms UInt64,
      account_id String,
      key_id String,
      model String,
      provider String,
      input_tokens UInt64,
      output_tokens UInt64,
      cost_usd Float64,
      status UInt16,
      latency_ms Float64,
      ip String,
      country String,
      user_agent String,
      gateway_id String,
      attribute_keys Array(String),
      attribute_values Array(String),
      kafka_topic String,
      kafka_partition UInt32,
      kafka_offset UInt64,
      ingested_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMMDD(time)
    ORDER BY (account_id, key_id, time, event_id)`,
  ],
};
