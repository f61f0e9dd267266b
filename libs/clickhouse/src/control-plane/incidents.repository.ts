import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { sql } from '../sql-literal';
import { readRows } from './read-rows';

export interface IncidentListFilter {
  state?: string;
  accountId?: string;
  keyId?: string;
  limit: number;
}

/** The latest version of one incident: its JSON (the escalation library's `Incident`) as written by the worker. */
export interface StoredIncident {
  incidentId: string;
  accountId: string;
  keyId: string;
  state: string;
  updatedAtMs: number;
  incidentJson: string;
}

export interface StoredTransition {
  incidentId: string;
  at: number;
  from: string;
  to: string;
  severityFrom: string;
  severityTo: string;
  reason: string;
  findingId: string;
  actor: string;
  note: string;
}

interface IncidentRow {
  incident_id: string;
  last_account_id: string;
  last_key_id: string;
  last_state: string;
  last_updated_at_ms: string;
  last_json: string;
}

interface TransitionRow {
  incident_id: string;
  at_ms: string;
  from_state: string;
  to_state: string;
  severity_from: string;
  severity_to: string;
  reason: string;
  finding_id: string;
  actor: string;
  note: string;
}

/**
 * Reads incidents written by the escalate role. The table is a ReplacingMergeTree
 * partitioned by month of opening, so versions of one incident may sit in different
 * partitions where FINAL does not fold them: the latest version is taken with argMax by
 * updated_at_ms, which is exact on every server version.
 */
@Injectable()
export class IncidentsRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async list(filter: IncidentListFilter): Promise<StoredIncident[]> {
    const accountId = filter.accountId ?? '';
    const keyId = filter.keyId ?? '';
    const state = filter.state ?? '';
    const rows = await readRows<IncidentRow>(
      this.client,
      sql`SELECT incident_id,
          argMax(account_id, updated_at_ms) AS last_account_id,
          argMax(key_id, updated_at_ms) AS last_key_id,
          argMax(state, updated_at_ms) AS last_state,
          toString(max(updated_at_ms)) AS last_updated_at_ms,
          argMax(incident_json, updated_at_ms) AS last_json,
          argMax(opened_at, updated_at_ms) AS last_opened_at
        FROM incidents
        WHERE (${accountId} = '' OR account_id = ${accountId}) AND (${keyId} = '' OR key_id = ${keyId})
        GROUP BY incident_id
        HAVING ${state} = '' OR last_state = ${state}
        ORDER BY last_opened_at DESC, incident_id
        LIMIT ${filter.limit}`,
    );
    return rows.map(toStored);
  }

  async get(incidentId: string): Promise<StoredIncident | undefined> {
    const [row] = await readRows<IncidentRow>(
      this.client,
      sql`SELECT incident_id,
          argMax(account_id, updated_at_ms) AS last_account_id,
          argMax(key_id, updated_at_ms) AS last_key_id,
          argMax(state, updated_at_ms) AS last_state,
          toString(max(updated_at_ms)) AS last_updated_at_ms,
          argMax(incident_json, updated_at_ms) AS last_json
        FROM incidents WHERE incident_id = ${incidentId} GROUP BY incident_id`,
    );
    return row ? toStored(row) : undefined;
  }

  /** Every recorded transition of the incident, oldest first. */
  async transitions(incidentId: string): Promise<StoredTransition[]> {
    const rows = await readRows<TransitionRow>(
      this.client,
      sql`SELECT incident_id, at_ms, from_state, to_state, severity_from, severity_to, reason, finding_id, actor, note
        FROM incident_transitions WHERE incident_id = ${incidentId} ORDER BY at_ms`,
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      at: Number(r.at_ms),
      from: r.from_state,
      to: r.to_state,
      severityFrom: r.severity_from,
      severityTo: r.severity_to,
      reason: r.reason,
      findingId: r.finding_id,
      actor: r.actor,
      note: r.note,
    }));
  }
}

function toStored(r: IncidentRow): StoredIncident {
  return {
    incidentId: r.incident_id,
    accountId: r.last_account_id,
    keyId: r.last_key_id,
    state: r.last_state,
    updatedAtMs: Number(r.last_updated_at_ms),
    incidentJson: r.last_json,
  };
}
