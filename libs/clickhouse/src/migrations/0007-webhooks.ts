import type { Migration } from './migration';

/**
 * Webhook deliveries: pending messages (so retries survive a restart; a row
 * with `done = 1` and a higher version removes one) and the delivery log of
 * every attempt (status, latency, error).
 */
export const webhooksMigration: Migration = {
  version: 7,
  name: 'webhooks',
  statements: [
    `CREATE TABLE IF NOT EXISTS webhook_pending (
      delivery_id String,
      endpoint_id String,
      version UInt64,
      done UInt8,
      delivery_json String
    ) ENGINE = ReplacingMergeTree(version)
    ORDER BY (endpoint_id, delivery_id)`,
    `CREATE TABLE IF NOT EXISTS webhook_attempts (
      endpoint_id String,
      message_id String,
      delivery_id String,
      event_type String,
      attempt UInt32,
      at_ms UInt64,
      status_code UInt16,
      outcome String,
      latency_ms UInt32,
      error String
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(toDateTime(intDiv(at_ms, 1000), 'UTC'))
    ORDER BY (endpoint_id, at_ms)`,
  ],
};
