import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KeyStatus } from '@spendguard/contracts/key-status';
import { CLICKHOUSE_CLIENT } from './clickhouse.tokens';
import { sql } from './sql-literal';

/** The kill switch's audit trail (`key_status_changes`): who changed a key, why, when, for which incident. */
@Injectable()
export class KeyStatusAuditRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async record(status: KeyStatus): Promise<void> {
    await this.client.insert({
      table: 'key_status_changes',
      format: 'JSONEachRow',
      values: [
        {
          key_id: status.keyId,
          account_id: status.accountId,
          status: status.status,
          changed_at_ms: Date.parse(status.changedAt),
          changed_by: status.changedBy,
          reason: status.reason,
          incident_id: status.incidentId ?? '',
        },
      ],
    });
  }

  /** Every change of one key, oldest first. */
  async history(keyId: string): Promise<KeyStatus[]> {
    const result = await this.client.query({
      query: sql`SELECT key_id, account_id, status, changed_at_ms, changed_by, reason, incident_id
        FROM key_status_changes WHERE key_id = ${keyId} ORDER BY changed_at_ms`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, string>>();
    return rows.map((r) => ({
      v: 1,
      keyId: r.key_id,
      accountId: r.account_id,
      status: r.status as KeyStatus['status'],
      changedAt: new Date(Number(r.changed_at_ms)).toISOString(),
      changedBy: r.changed_by,
      reason: r.reason,
      ...(r.incident_id ? { incidentId: r.incident_id } : {}),
    }));
  }
}
