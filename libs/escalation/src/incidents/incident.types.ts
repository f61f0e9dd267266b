import type { DetectorName, MetricName, Severity } from '@spendguard/contracts/finding';
import type { DetectorFamily } from './detector-family';

export type IncidentState = 'open' | 'acknowledged' | 'resolved';

export type TransitionReason =
  /** A finding opened a new incident. */
  | 'finding-opened'
  /** A finding for a recently resolved incident (within the cooldown) reopened it. */
  | 'finding-reopened'
  /** A finding of higher severity raised the incident's severity (state unchanged). */
  | 'severity-escalated'
  /** A person acknowledged the incident. */
  | 'acknowledged'
  /** A person resolved the incident. */
  | 'resolved-manually'
  /** No finding for the quiet period: spend is normal again. */
  | 'auto-resolved-quiet';

/** One recorded transition; every state or severity change produces exactly one. */
export interface IncidentTransition {
  incidentId: string;
  dedupKey: string;
  /** Epoch ms. */
  at: number;
  from: IncidentState | null;
  to: IncidentState;
  severityFrom: Severity | null;
  severityTo: Severity;
  reason: TransitionReason;
  findingId?: string;
  /** Who acted, for manual transitions. */
  actor?: string;
  note?: string;
}

/** Evidence of the worst finding seen so far. */
export interface IncidentPeak {
  findingId: string;
  detector: DetectorName;
  metric: MetricName;
  observed: number;
  expected: number;
  score: number;
  threshold: number;
  explanation: string;
  time: string;
}

export interface Incident {
  id: string;
  dedupKey: string;
  accountId: string;
  keyId?: string;
  family: DetectorFamily;
  state: IncidentState;
  severity: Severity;
  /** Epoch ms of the first opening of this episode. */
  openedAt: number;
  updatedAt: number;
  lastFindingAt: number;
  acknowledgedAt?: number;
  resolvedAt?: number;
  /** Event time (RFC 3339) of the first finding: "since when". */
  firstFindingTime: string;
  findingCount: number;
  detectors: DetectorName[];
  /** Novelty values seen (models, IPs, countries, user agents), capped. */
  novelValues: string[];
  peak: IncidentPeak;
  /** Most recent finding ids, to ignore redelivered findings (capped). */
  recentFindingIds: string[];
  /** Routing key a trigger was sent with, so ack/resolve go to the same service. */
  pagedRoutingKey?: string;
  /** Webhook endpoints told about this incident, so they hear about its resolution too. */
  notifiedEndpointIds: string[];
  /** Whether a suspend-key action was issued during the current open episode. */
  suspendRequested: boolean;
  reopenCount: number;
  transitions: IncidentTransition[];
}

export type WebhookEventType =
  | 'incident.opened'
  | 'incident.reopened'
  | 'incident.escalated'
  | 'incident.acknowledged'
  | 'incident.resolved';

/** What the wiring must do after a transition; decided by the routing policy. */
export type EscalationAction =
  | { type: 'pagerduty-trigger'; incidentId: string; dedupKey: string; routingKey: string; severity: Severity }
  | { type: 'pagerduty-acknowledge'; incidentId: string; dedupKey: string; routingKey: string }
  | { type: 'pagerduty-resolve'; incidentId: string; dedupKey: string; routingKey: string }
  | { type: 'webhook'; incidentId: string; event: WebhookEventType; endpointIds: string[] }
  | { type: 'suspend-key'; incidentId: string; accountId: string; keyId: string; family: DetectorFamily; reason: string };

/** Result of one engine call that changed an incident. */
export interface IncidentUpdate {
  /** A copy of the incident after the change. */
  incident: Incident;
  /** Present when the state or severity changed. */
  transition?: IncidentTransition;
  actions: EscalationAction[];
}

export type IncidentCommandResult =
  | { ok: true; update: IncidentUpdate }
  | { ok: false; error: 'not-found' | 'already-resolved' | 'already-acknowledged' };
