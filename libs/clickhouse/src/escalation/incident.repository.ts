import type { ClickHouseClient } from '@clickhouse/client';
import type { Incident, IncidentEngineSnapshot, IncidentStore, IncidentTransition, IncidentUpdate } from '@spendguard/escalation';
import { incidentSummary } from '@spendguard/escalation';
import { sql } from '../sql-literal';

/**
 * Incident persistence for the escalate role (tables from migration 0005):
 * - `incidents`: one row per incident version (ReplacingMergeTree by `updated_at_ms`); the
 *   full incident is in `incident_json`, the other columns are for SQL filters.
 * - `incident_transitions`: every transition, append-only. A batch replayed after a crash
 *   may append the same transition twice; readers dedupe with `LIMIT 1 BY`.
 * - `escalation_state`: snapshots of the engine's live state, one logical row per consumer
 *   group (the escalate role runs as one active instance, so partition is always 0).
 */
export class ClickHouseIncidentRepository implements IncidentStore {
  /** Row version of `incidents`: strictly increasing within this process. */
  private lastIncidentVersion = 0;
  private lastSnapshotVersion = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly consumerGroup: string,
  ) {}

  /** Writes the incidents' new versions and their transitions. */
  async recordUpdates(updates: readonly IncidentUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const latest = new Map<string, Incident>();
    for (const update of updates) latest.set(update.incident.id, update.incident);
    await this.client.insert({ table: 'incidents', format: 'JSONEachRow', values: [...latest.values()].map((i) => this.incidentRow(i)) });
    const transitions = updates.flatMap((u) => (u.transition ? [{ transition: u.transition, incident: u.incident }] : []));
    if (transitions.length > 0) {
      await this.client.insert({
        table: 'incident_transitions',
        format: 'JSONEachRow',
        values: transitions.map(({ transition, incident }) => transitionRow(transition, incident.accountId, incident.keyId)),
      });
    }
  }

  async saveSnapshot(snapshot: IncidentEngineSnapshot): Promise<void> {
    const version = Math.max(Date.now(), this.lastSnapshotVersion + 1);
    this.lastSnapshotVersion = version;
    await this.client.insert({
      table: 'escalation_state',
      format: 'JSONEachRow',
      values: [{ consumer_group: this.consumerGroup, kafka_partition: 0, saved_at_ms: version, snapshot: JSON.stringify(snapshot) }],
    });
  }

  async loadSnapshot(): Promise<IncidentEngineSnapshot | undefined> {
    const result = await this.client.query({
      query: sql`SELECT snapshot, toString(saved_at_ms) AS saved_at_text FROM escalation_state
        WHERE consumer_group = ${this.consumerGroup} AND kafka_partition = 0
        ORDER BY saved_at_ms DESC LIMIT 1`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ snapshot: string; saved_at_text: string }>();
    if (!row) return undefined;
    this.lastSnapshotVersion = Math.max(this.lastSnapshotVersion, Number(row.saved_at_text));
    return JSON.parse(row.snapshot) as IncidentEngineSnapshot;
  }

  /** Transitions recorded without their incident (interface method): account and key are looked up. */
  async appendTransitions(transitions: readonly IncidentTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    const ids = [...new Set(transitions.map((t) => t.incidentId))];
    const owners = new Map<string, { account: string; key: string }>();
    for (const incident of await this.latestIncidents(ids)) owners.set(incident.id, { account: incident.accountId, key: incident.keyId ?? '' });
    await this.client.insert({
      table: 'incident_transitions',
      format: 'JSONEachRow',
      values: transitions.map((t) => transitionRow(t, owners.get(t.incidentId)?.account ?? '', owners.get(t.incidentId)?.key)),
    });
  }

  async listTransitions(incidentId: string): Promise<IncidentTransition[]> {
    const result = await this.client.query({
      query: sql`SELECT incident_id, dedup_key, toString(at_ms) AS at_text, from_state, to_state, severity_from, severity_to,
          reason, finding_id, actor, note
        FROM incident_transitions WHERE incident_id = ${incidentId}
        ORDER BY at_ms, to_state, reason LIMIT 1 BY at_ms, to_state, reason, severity_to`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, string>>();
    return rows.map((r) => ({
      incidentId: r.incident_id,
      dedupKey: r.dedup_key,
      at: Number(r.at_text),
      from: r.from_state === '' ? null : (r.from_state as IncidentTransition['to']),
      to: r.to_state as IncidentTransition['to'],
      severityFrom: r.severity_from === '' ? null : (r.severity_from as IncidentTransition['severityTo']),
      severityTo: r.severity_to as IncidentTransition['severityTo'],
      reason: r.reason as IncidentTransition['reason'],
      ...(r.finding_id ? { findingId: r.finding_id } : {}),
      ...(r.actor ? { actor: r.actor } : {}),
      ...(r.note ? { note: r.note } : {}),
    }));
  }

  /** Latest stored version of each incident id given. */
  async latestIncidents(incidentIds: readonly string[]): Promise<Incident[]> {
    if (incidentIds.length === 0) return [];
    const result = await this.client.query({
      query: sql`SELECT argMax(incident_json, updated_at_ms) AS latest_json FROM incidents
        WHERE has(${[...incidentIds]}, incident_id) GROUP BY incident_id`,
      format: 'JSONEachRow',
    });
    return (await result.json<{ latest_json: string }>()).map((r) => JSON.parse(r.latest_json) as Incident);
  }

  private incidentRow(incident: Incident): Record<string, unknown> {
    const version = Math.max(incident.updatedAt, this.lastIncidentVersion + 1);
    this.lastIncidentVersion = version;
    return {
      incident_id: incident.id,
      dedup_key: incident.dedupKey,
      account_id: incident.accountId,
      key_id: incident.keyId ?? '',
      family: incident.family,
      state: incident.state,
      severity: incident.severity,
      opened_at: Math.floor(incident.openedAt / 1000),
      updated_at_ms: version,
      acknowledged_at_ms: incident.acknowledgedAt ?? 0,
      resolved_at_ms: incident.resolvedAt ?? 0,
      first_finding_time: incident.firstFindingTime,
      finding_count: incident.findingCount,
      detectors: incident.detectors,
      novel_values: incident.novelValues,
      summary: incidentSummary(incident),
      incident_json: JSON.stringify(incident),
    };
  }
}

function transitionRow(t: IncidentTransition, accountId: string, keyId: string | undefined): Record<string, unknown> {
  return {
    incident_id: t.incidentId,
    dedup_key: t.dedupKey,
    account_id: accountId,
    key_id: keyId ?? '',
    at_ms: t.at,
    from_state: t.from ?? '',
    to_state: t.to,
    severity_from: t.severityFrom ?? '',
    severity_to: t.severityTo,
    reason: t.reason,
    finding_id: t.findingId ?? '',
    actor: t.actor ?? '',
    note: t.note ?? '',
  };
}
