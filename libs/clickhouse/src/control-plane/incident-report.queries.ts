import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { SqlFragment, identifier, sql } from '../sql-literal';
import { readRows } from './read-rows';

/**
 * The forensic queries behind `GET /v1/incidents/{id}/report`. Each takes the
 * incident's scope (account, and key when the incident is about one key) and
 * explicit epoch-ms bounds, so results are reproducible. All run on ClickHouse
 * 18.16 and current servers (no window functions, CTEs or query parameters).
 */
export interface ReportScope {
  accountId: string;
  /** Empty for account-level incidents. */
  keyId: string;
}

export interface MinuteSpend {
  minute: string;
  costUsd: number;
  requests: number;
  errors: number;
}

export interface SpendBaseline {
  /** Window the baseline was computed over, epoch ms. */
  from: number;
  to: number;
  /** Minutes with any traffic in the window. */
  activeMinutes: number;
  totalCostUsd: number;
  /** Median and 95th percentile of per-minute spend over active minutes. */
  medianActiveMinuteUsd: number;
  p95ActiveMinuteUsd: number;
  /** Total over every minute of the window, idle minutes included. */
  meanMinuteUsd: number;
}

export type ReportDimension = 'model' | 'ip' | 'country' | 'user_agent';
export const REPORT_DIMENSIONS: readonly ReportDimension[] = ['model', 'ip', 'country', 'user_agent'];

export interface DimensionValue {
  value: string;
  requestsDuring: number;
  costDuringUsd: number;
  /** Requests in the usual window (the 7 days before the incident). */
  requestsUsual: number;
  costUsualUsd: number;
  /** Never seen in the lookback (30 days) before the incident started. */
  firstSeen: boolean;
  /** First time seen in the lookback window (RFC 3339 UTC). */
  firstSeenAt: string;
}

export interface IncidentTotals {
  requests: number;
  errors: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
}

export const USUAL_WINDOW_MS = 7 * 24 * 3600 * 1000;
export const FIRST_SEEN_LOOKBACK_MS = 30 * 24 * 3600 * 1000;
/** Values listed per dimension (most expensive during the incident first). */
export const DIMENSION_LIMIT = 50;

function scopeCondition(scope: ReportScope): SqlFragment {
  return new SqlFragment(
    scope.keyId ? sql`account_id = ${scope.accountId} AND key_id = ${scope.keyId}` : sql`account_id = ${scope.accountId}`,
  );
}

/** Whole seconds: DateTime columns have second precision. */
function at(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

@Injectable()
export class IncidentReportQueries {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  /** Spend per minute (rollups) in [from, to); minutes without traffic are absent. */
  async spendPerMinute(scope: ReportScope, from: number, to: number): Promise<MinuteSpend[]> {
    const rows = await readRows<{ minute_text: string; cost: number; requests_sum: string; errors_sum: string }>(
      this.client,
      sql`SELECT toString(minute) AS minute_text, sum(cost_usd) AS cost, sum(requests) AS requests_sum, sum(errors) AS errors_sum
        FROM usage_minute_rollups
        WHERE ${scopeCondition(scope)} AND minute >= ${at(from)} AND minute < ${at(to)}
        GROUP BY minute ORDER BY minute`,
    );
    return rows.map((r) => ({ minute: r.minute_text, costUsd: Number(r.cost), requests: Number(r.requests_sum), errors: Number(r.errors_sum) }));
  }

  /** Per-minute spend statistics over [from, to) (the usual window before the incident). */
  async baseline(scope: ReportScope, from: number, to: number): Promise<SpendBaseline> {
    const [row] = await readRows<{ active: string; total: number; median: number; p95: number }>(
      this.client,
      sql`SELECT count() AS active, sum(cost) AS total, quantileExact(0.5)(cost) AS median, quantileExact(0.95)(cost) AS p95
        FROM (
          SELECT minute, sum(cost_usd) AS cost FROM usage_minute_rollups
          WHERE ${scopeCondition(scope)} AND minute >= ${at(from)} AND minute < ${at(to)}
          GROUP BY minute
        )`,
    );
    const active = Number(row?.active ?? 0);
    const total = active > 0 ? Number(row.total) : 0;
    const minutes = Math.max(1, Math.round((to - from) / 60_000));
    return {
      from,
      to,
      activeMinutes: active,
      totalCostUsd: total,
      medianActiveMinuteUsd: active > 0 ? finite(row.median) : 0,
      p95ActiveMinuteUsd: active > 0 ? finite(row.p95) : 0,
      meanMinuteUsd: total / minutes,
    };
  }

  /**
   * Values of one dimension during [start, end] next to the usual window (7 days before
   * start) and whether each was ever seen in the 30 days before start.
   */
  async dimension(scope: ReportScope, dimension: ReportDimension, start: number, end: number): Promise<DimensionValue[]> {
    const column = identifier(dimension);
    const s = at(start);
    const e = at(end + 1000);
    const usualFrom = at(start - USUAL_WINDOW_MS);
    const rows = await readRows<{
      value: string;
      requests_during: string;
      cost_during: number;
      requests_usual: string;
      cost_usual: number;
      requests_before: string;
      first_seen_at: string;
    }>(
      this.client,
      sql`SELECT ${column} AS value,
          countIf(time >= ${s} AND time < ${e}) AS requests_during,
          sumIf(cost_usd, time >= ${s} AND time < ${e}) AS cost_during,
          countIf(time >= ${usualFrom} AND time < ${s}) AS requests_usual,
          sumIf(cost_usd, time >= ${usualFrom} AND time < ${s}) AS cost_usual,
          countIf(time < ${s}) AS requests_before,
          toString(min(time)) AS first_seen_at
        FROM usage_events FINAL
        WHERE ${scopeCondition(scope)} AND time >= ${at(start - FIRST_SEEN_LOOKBACK_MS)} AND time < ${e}
        GROUP BY value
        ORDER BY cost_during DESC, requests_during DESC, requests_usual DESC, value
        LIMIT ${DIMENSION_LIMIT}`,
    );
    return rows.map((r) => ({
      value: r.value,
      requestsDuring: Number(r.requests_during),
      costDuringUsd: Number(r.cost_during),
      requestsUsual: Number(r.requests_usual),
      costUsualUsd: Number(r.cost_usual),
      firstSeen: Number(r.requests_before) === 0 && Number(r.requests_during) > 0,
      firstSeenAt: `${r.first_seen_at.replace(' ', 'T')}Z`,
    }));
  }

  /** Exact totals of deduplicated raw events in [start, end]. */
  async totals(scope: ReportScope, start: number, end: number): Promise<IncidentTotals> {
    const [row] = await readRows<{
      requests: string;
      errors: string;
      cost: number;
      input_sum: string;
      output_sum: string;
      first_at: string;
      last_at: string;
    }>(
      this.client,
      sql`SELECT count() AS requests, countIf(status >= 400 OR status = 0) AS errors, sum(cost_usd) AS cost,
          sum(input_tokens) AS input_sum, sum(output_tokens) AS output_sum,
          toString(min(time)) AS first_at, toString(max(time)) AS last_at
        FROM usage_events FINAL
        WHERE ${scopeCondition(scope)} AND time >= ${at(start)} AND time < ${at(end + 1000)}`,
    );
    const requests = Number(row?.requests ?? 0);
    return {
      requests,
      errors: Number(row?.errors ?? 0),
      costUsd: requests > 0 ? Number(row.cost) : 0,
      inputTokens: Number(row?.input_sum ?? 0),
      outputTokens: Number(row?.output_sum ?? 0),
      firstEventAt: requests > 0 ? `${row.first_at.replace(' ', 'T')}Z` : null,
      lastEventAt: requests > 0 ? `${row.last_at.replace(' ', 'T')}Z` : null,
    };
  }

  /** Key status changes of the key from `from` on, plus any change that names the incident. */
  async keyStatusChanges(
    scope: ReportScope,
    incidentId: string,
    from: number,
  ): Promise<{ keyId: string; status: string; changedAt: string; changedBy: string; reason: string; incidentId: string }[]> {
    const rows = await readRows<{ key_id: string; status: string; changed_at_ms: string; changed_by: string; reason: string; incident_id: string }>(
      this.client,
      sql`SELECT key_id, status, changed_at_ms, changed_by, reason, incident_id FROM key_status_changes
        WHERE incident_id = ${incidentId}
           OR (${scope.keyId} != '' AND key_id = ${scope.keyId} AND changed_at_ms >= ${from})
        ORDER BY changed_at_ms`,
    );
    return rows.map((r) => ({
      keyId: r.key_id,
      status: r.status,
      changedAt: new Date(Number(r.changed_at_ms)).toISOString(),
      changedBy: r.changed_by,
      reason: r.reason,
      incidentId: r.incident_id,
    }));
  }
}

function finite(value: number): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}
