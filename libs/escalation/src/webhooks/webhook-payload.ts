import { createHash } from 'node:crypto';
import type { Incident, WebhookEventType } from '../incidents/incident.types';
import type { IncidentContext } from '../incident-context';

/** Standard Webhooks payload shape: `{type, timestamp, data}`. */
export interface IncidentWebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: {
    incidentId: string;
    dedupKey: string;
    accountId: string;
    keyId?: string;
    keyDisplay?: string;
    family: Incident['family'];
    state: Incident['state'];
    severity: Incident['severity'];
    openedAt: string;
    resolvedAt?: string;
    since: string;
    detectors: Incident['detectors'];
    observed: number;
    expected: number;
    explanation: string;
    spendSoFarUsd?: number;
    reportUrl?: string;
  };
}

/**
 * Deterministic message id (`webhook-id`) for one incident event: replaying the same
 * transition (e.g. after a worker restart) yields the same id, so receivers dedupe it.
 */
export function webhookMessageId(incidentId: string, event: WebhookEventType, transitionAt: number): string {
  return `msg_${createHash('sha256').update(`${incidentId}|${event}|${transitionAt}`).digest('hex').slice(0, 32)}`;
}

export function buildIncidentWebhookPayload(
  event: WebhookEventType,
  incident: Incident,
  at: number,
  context: IncidentContext = {},
): IncidentWebhookPayload {
  return {
    type: event,
    timestamp: new Date(at).toISOString(),
    data: {
      incidentId: incident.id,
      dedupKey: incident.dedupKey,
      accountId: incident.accountId,
      ...(incident.keyId !== undefined ? { keyId: incident.keyId } : {}),
      ...(context.keyDisplay !== undefined ? { keyDisplay: context.keyDisplay } : {}),
      family: incident.family,
      state: incident.state,
      severity: incident.severity,
      openedAt: new Date(incident.openedAt).toISOString(),
      ...(incident.resolvedAt !== undefined ? { resolvedAt: new Date(incident.resolvedAt).toISOString() } : {}),
      since: incident.firstFindingTime,
      detectors: [...incident.detectors],
      observed: incident.peak.observed,
      expected: incident.peak.expected,
      explanation: incident.peak.explanation,
      ...(context.spendSoFarUsd !== undefined ? { spendSoFarUsd: context.spendSoFarUsd } : {}),
      ...(context.reportUrl !== undefined ? { reportUrl: context.reportUrl } : {}),
    },
  };
}
