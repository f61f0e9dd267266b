import type { Migration } from './migration';

/**
 * Per-minute spend per account, key and model, kept by a materialized view.
 *
 * SummingMergeTree folds rows of the same minute at merge time; readers still
 * `sum()` with GROUP BY because merges are eventual. The view sees every
 * inserted block, so the sink drops duplicates before inserting (see
 * apps/worker/src/sink) to keep rollups equal to the deduplicated raw events.
 */
export const usageMinuteRollupsMigration: Migration = {
  version: 2,
  name: 'usage-minute-rollups',
  statements: [
    `CREATE TABLE IF NOT EXISTS usage_minute_rollups (
      minute DateTime('UTC'),
      account_id String,
      key_id String,
      model String,
      requests UInt64,
      errors UInt64,
      input_tokens UInt64,
      output_tokens UInt64,
      cost_usd Float64
    ) ENGINE = SummingMergeTree
    PARTITION BY toYYYYMMDD(minute)
    ORDER BY (account_id, key_id, model, minute)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS usage_minute_rollups_mv TO usage_minute_rollups AS
    SELECT
      toStartOfMinute(time) AS minute,
      account_id,
      key_id,
      model,
      count() AS requests,
      countIf(status >= 400 OR status = 0) AS errors,
      sum(input_tokens) AS input_tokens,
      sum(output_tokens) AS output_tokens,
      sum(cost_usd) AS cost_usd
    FROM usage_events
    GROUP BY minute, account_id, key_id, model`,
  ],
};
