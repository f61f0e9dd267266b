import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { sql } from '../sql-literal';
import { readRows } from './read-rows';

/** One admin call: who, what, on which target, and how it ended. Never holds a token. */
export interface AdminAuditEntry {
  at: number;
  actor: string;
  action: string;
  target: string;
  requestId: string;
  /** `ok`, `denied` (403), `unauthenticated` (401), `rejected` (other 4xx), `error` (5xx). */
  outcome: string;
  details: Record<string, unknown>;
}

interface AuditRow {
  at_ms: string;
  actor: string;
  action: string;
  target: string;
  request_id: string;
  outcome: string;
  details: string;
}

/** The `admin_audit` table: append-only log of every admin API call. */
@Injectable()
export class AdminAuditRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async append(entry: AdminAuditEntry): Promise<void> {
    await this.client.insert({
      table: 'admin_audit',
      format: 'JSONEachRow',
      values: [
        {
          at_ms: entry.at,
          actor: entry.actor,
          action: entry.action,
          target: entry.target,
          request_id: entry.requestId,
          outcome: entry.outcome,
          details: JSON.stringify(entry.details),
        },
      ],
    });
  }

  /** Most recent first. */
  async list(filter: { actor?: string; target?: string; limit: number }): Promise<AdminAuditEntry[]> {
    const rows = await readRows<AuditRow>(
      this.client,
      sql`SELECT at_ms, actor, action, target, request_id, outcome, details FROM admin_audit
        WHERE (${filter.actor ?? ''} = '' OR actor = ${filter.actor ?? ''})
          AND (${filter.target ?? ''} = '' OR target = ${filter.target ?? ''})
        ORDER BY at_ms DESC LIMIT ${filter.limit}`,
    );
    return rows.map((r) => ({
      at: Number(r.at_ms),
      actor: r.actor,
      action: r.action,
      target: r.target,
      requestId: r.request_id,
      outcome: r.outcome,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }
}
