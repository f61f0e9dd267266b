import type { Migration } from './migration';

/**
 * Incident history, written by the escalate role. `incidents` keeps the latest
 * version of each incident (read with FINAL or argMax by version);
 * `incident_transitions` is append-only: every state or severity change.
 * `escalation_state` holds the escalate role's live state snapshot.
 */
export const incidentsMigration: Migration = {
  version: 5,
  name: 'incidents',
  statements: [
    `CREATE TABLE IF NOT EXISTS incidents (
      incident_id String,
      dedup_key String,
      account_id String,
      key_id String,
      family String,
      state String,
      severity String,
      opened_at DateTime('UTC'),
      updated_at_ms UInt64,
      acknowledged_at_ms UInt64,
      resolved_at_ms UInt64,
      first_finding_time String,
      finding_count UInt64,
      detectors Array(String),
      novel_values Array(String),
      summary String,
      incident_json String
    ) ENGINE = ReplacingMergeTree(updated_at_ms)
    PARTITION BY toYYYYMM(opened_at)
    ORDER BY (account_id, incident_id)`,
    `CREATE TABLE IF NOT EXISTS incident_transitions (
      incident_id String,
      dedup_key String,
      account_id String,
      key_id String,
      at_ms UInt64,
      from_state String,
      to_state String,
      severity_from String,
      severity_to String,
      reason String,
      finding_id String,
      actor String,
      note String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(toDateTime(intDiv(at_ms, 1000), 'UTC'))
    ORDER BY (incident_id, at_ms)`,
    `CREATE TABLE IF NOT EXISTS escalation_state (
      consumer_group String,
      kafka_partition UInt32,
      saved_at_ms UInt64,
      snapshot String
    ) ENGINE = ReplacingMergeTree(saved_at_ms)
    ORDER BY (consumer_group, kafka_partition)`,
  ],
};
