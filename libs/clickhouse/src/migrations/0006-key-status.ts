import type { Migration } from './migration';

/**
 * The kill switch's audit trail: every suspension and resumption of a key,
 * who did it, why, and for which incident. The latest row per key is its state.
 * `key_directory` maps key fingerprints (and display prefixes, when gateways
 * send the `keyPrefix` attribute) to accounts, for abuse reports.
 */
export const keyStatusMigration: Migration = {
  version: 6,
  name: 'key-status',
  statements: [
    `CREATE TABLE IF NOT EXISTS key_status_changes (
      key_id String,
      account_id String,
      status String,
      changed_at_ms UInt64,
      changed_by String,
      reason String,
      incident_id String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(toDateTime(intDiv(changed_at_ms, 1000), 'UTC'))
    ORDER BY (key_id, changed_at_ms)`,
    `CREATE TABLE IF NOT EXISTS key_directory (
      key_id String,
      account_id String,
      key_prefix String,
      last_seen DateTime('UTC')
    ) ENGINE = ReplacingMergeTree(last_seen)
    ORDER BY (key_id, account_id)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS key_directory_mv TO key_directory AS
    SELECT key_id, account_id,
      any(if(has(attribute_keys, 'keyPrefix'), attribute_values[indexOf(attribute_keys, 'keyPrefix')], '')) AS key_prefix,
      max(time) AS last_seen
    FROM usage_events
    GROUP BY key_id, account_id`,
  ],
};
