import type { Migration } from './migration';

/**
 * The control plane's records: abuse reports, account policies replaced
 * through the API (latest version wins), and the audit log of every admin call.
 */
export const controlPlaneMigration: Migration = {
  version: 8,
  name: 'control-plane',
  statements: [
    `CREATE TABLE IF NOT EXISTS abuse_reports (
      report_id String,
      received_at_ms UInt64,
      key_id String,
      key_prefix String,
      account_id String,
      description String,
      contact String,
      reporter_ip String,
      incident_id String,
      outcome String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(toDateTime(intDiv(received_at_ms, 1000), 'UTC'))
    ORDER BY (received_at_ms, report_id)`,
    `CREATE TABLE IF NOT EXISTS account_policies (
      account_id String,
      version UInt64,
      policy_json String,
      changed_by String
    ) ENGINE = ReplacingMergeTree(version)
    ORDER BY account_id`,
    `CREATE TABLE IF NOT EXISTS admin_audit (
      at_ms UInt64,
      actor String,
      action String,
      target String,
      request_id String,
      outcome String,
      details String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(toDateTime(intDiv(at_ms, 1000), 'UTC'))
    ORDER BY (at_ms, actor)`,
  ],
};
