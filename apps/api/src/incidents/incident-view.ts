import type { Incident, IncidentTransition } from '@spendguard/escalation/incidents/incident.types';
import type { StoredIncident, StoredTransition } from '@spendguard/clickhouse/control-plane/incidents.repository';
import type { IncidentDetailDto, IncidentDto, IncidentTransitionDto } from './incident.dto';

const iso = (ms: number | undefined): string | undefined => (typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString() : undefined);

/**
 * The public view of an incident row: its JSON as the worker wrote it, without
 * internals (PagerDuty routing key, recent finding ids). Rows whose JSON does not parse
 * fall back to the row's columns.
 */
export function incidentView(row: StoredIncident, publicBaseUrl: string): IncidentDetailDto {
  const incident = parseIncident(row.incidentJson);
  const reportUrl = `${publicBaseUrl.replace(/\/+$/, '')}/v1/incidents/${encodeURIComponent(row.incidentId)}/report`;
  if (!incident) {
    return {
      id: row.incidentId,
      dedupKey: '',
      accountId: row.accountId,
      ...(row.keyId ? { keyId: row.keyId } : {}),
      family: '',
      state: row.state,
      severity: '',
      openedAt: '',
      updatedAt: iso(row.updatedAtMs) ?? '',
      firstFindingTime: '',
      findingCount: 0,
      detectors: [],
      novelValues: [],
      suspendRequested: false,
      reopenCount: 0,
      reportUrl,
      transitions: [],
    };
  }
  const view: IncidentDto = {
    id: incident.id ?? row.incidentId,
    dedupKey: incident.dedupKey ?? '',
    accountId: incident.accountId ?? row.accountId,
    ...(incident.keyId ? { keyId: incident.keyId } : {}),
    family: incident.family ?? '',
    state: incident.state ?? row.state,
    severity: incident.severity ?? '',
    openedAt: iso(incident.openedAt) ?? '',
    updatedAt: iso(incident.updatedAt) ?? iso(row.updatedAtMs) ?? '',
    ...(iso(incident.acknowledgedAt) ? { acknowledgedAt: iso(incident.acknowledgedAt) } : {}),
    ...(iso(incident.resolvedAt) ? { resolvedAt: iso(incident.resolvedAt) } : {}),
    firstFindingTime: incident.firstFindingTime ?? '',
    findingCount: incident.findingCount ?? 0,
    detectors: incident.detectors ?? [],
    novelValues: incident.novelValues ?? [],
    ...(incident.peak
      ? {
          peak: {
            detector: incident.peak.detector,
            metric: incident.peak.metric,
            observed: incident.peak.observed,
            expected: incident.peak.expected,
            score: incident.peak.score,
            threshold: incident.peak.threshold,
            explanation: incident.peak.explanation,
            time: incident.peak.time,
          },
        }
      : {}),
    suspendRequested: incident.suspendRequested ?? false,
    reopenCount: incident.reopenCount ?? 0,
    reportUrl,
  };
  return { ...view, transitions: (incident.transitions ?? []).map(transitionView) };
}

export function transitionView(t: IncidentTransition): IncidentTransitionDto {
  return {
    at: new Date(t.at).toISOString(),
    from: t.from,
    to: t.to,
    severityFrom: t.severityFrom,
    severityTo: t.severityTo,
    reason: t.reason,
    ...(t.findingId ? { findingId: t.findingId } : {}),
    ...(t.actor ? { actor: t.actor } : {}),
    ...(t.note ? { note: t.note } : {}),
  };
}

export function storedTransitionView(t: StoredTransition): IncidentTransitionDto {
  return {
    at: new Date(t.at).toISOString(),
    from: t.from || null,
    to: t.to,
    severityFrom: t.severityFrom || null,
    severityTo: t.severityTo,
    reason: t.reason,
    ...(t.findingId ? { findingId: t.findingId } : {}),
    ...(t.actor ? { actor: t.actor } : {}),
    ...(t.note ? { note: t.note } : {}),
  };
}

export function parseIncident(json: string): Partial<Incident> | undefined {
  try {
    const value = JSON.parse(json) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Partial<Incident>) : undefined;
  } catch {
    return undefined;
  }
}

/** The list view leaves the (long) transition list out. */
export function incidentSummary(detail: IncidentDetailDto): IncidentDto {
  const { transitions: _transitions, ...summary } = detail;
  return summary;
}
