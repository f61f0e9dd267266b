import type { Severity } from '@spendguard/contracts/finding';
import type { IncidentContext } from '../incident-context';
import type { Incident } from '../incidents/incident.types';

/** PagerDuty Events API v2 wire format (see shared/CONTRACTS.md). */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';
export type PagerDutyEventAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  custom_details?: Record<string, unknown>;
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyEventAction;
  dedup_key?: string;
  payload?: PagerDutyPayload;
  links?: Array<{ href: string; text?: string }>;
  images?: Array<{ src: string; href?: string; alt?: string }>;
  client?: string;
  client_url?: string;
}

export const MAX_SUMMARY_LENGTH = 1024;
export const MAX_PD_DEDUP_KEY_LENGTH = 255;
export const MAX_EVENT_BODY_BYTES = 512 * 1024;
export const ROUTING_KEY_LENGTH = 32;
/** Lists in custom_details are capped so the body stays far below 512 KB. */
const MAX_LIST_ITEMS = 20;

const PD_SEVERITY: Record<Severity, PagerDutySeverity> = { critical: 'critical', warning: 'warning', info: 'info' };

export function toPagerDutySeverity(severity: Severity): PagerDutySeverity {
  return PD_SEVERITY[severity];
}

const FAMILY_LABEL: Record<Incident['family'], string> = {
  burst: 'Spend burst',
  cap: 'Spending cap breached',
  'slow-drain': 'Sustained spend drift',
  novelty: 'Unusual usage',
  report: 'Key reported as leaked',
};

function formatAmount(metric: string, value: number): string {
  const rounded = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  return metric.startsWith('cost_usd') ? `$${rounded}` : rounded;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * One line that says what, which key, how much and since when, e.g.
 * `Spend burst on key sk-or-…a1b2 (account acme): $412 vs $3.20 expected (129x), $1250 spent so far, since 2026-03-01T03:00:00.000Z`.
 * Always ≤ 1024 characters.
 */
export function incidentSummary(incident: Incident, context: IncidentContext = {}): string {
  const key = context.keyDisplay ?? incident.keyId;
  const who = key !== undefined ? `key ${key}` : 'all keys';
  const account = context.accountName ?? incident.accountId;
  const { metric, observed, expected } = incident.peak;
  const ratio = expected > 0 ? ` (${(observed / expected).toFixed(observed / expected >= 10 ? 0 : 1)}x)` : '';
  const window = context.windowLabel ? ` in ${context.windowLabel}` : '';
  const spend = context.spendSoFarUsd !== undefined ? `, $${context.spendSoFarUsd.toFixed(2)} spent so far` : '';
  const text = `${FAMILY_LABEL[incident.family]} on ${who} (account ${account}): ${formatAmount(metric, observed)}${window} vs ${formatAmount(metric, expected)} expected${ratio}${spend}, since ${incident.firstFindingTime}`;
  return truncate(text, MAX_SUMMARY_LENGTH);
}

export interface TriggerEventOptions {
  routingKey: string;
  /** `payload.source`: the system the problem is in (default `spendguard`). */
  source?: string;
  client?: string;
  clientUrl?: string;
}

export function buildTriggerEvent(incident: Incident, context: IncidentContext, options: TriggerEventOptions): PagerDutyEvent {
  const { peak } = incident;
  const details: Record<string, unknown> = {
    incident_id: incident.id,
    account_id: incident.accountId,
    key_id: incident.keyId ?? null,
    key_display: context.keyDisplay ?? null,
    detector_family: incident.family,
    detectors: incident.detectors,
    metric: peak.metric,
    observed: peak.observed,
    expected: peak.expected,
    ratio: peak.expected > 0 ? Number((peak.observed / peak.expected).toFixed(2)) : null,
    score: peak.score,
    threshold: peak.threshold,
    explanation: peak.explanation,
    since: incident.firstFindingTime,
    finding_count: incident.findingCount,
    spend_so_far_usd: context.spendSoFarUsd ?? null,
    top_models: (context.topModels ?? []).slice(0, MAX_LIST_ITEMS),
    ips: (context.ips ?? []).slice(0, MAX_LIST_ITEMS),
    countries: (context.countries ?? []).slice(0, MAX_LIST_ITEMS),
    user_agents: (context.userAgents ?? []).slice(0, MAX_LIST_ITEMS).map((ua) => truncate(ua, 256)),
    novel_values: incident.novelValues.slice(0, MAX_LIST_ITEMS).map((v) => truncate(v, 256)),
    key_suspended_by_policy: incident.suspendRequested,
  };
  return {
    routing_key: options.routingKey,
    event_action: 'trigger',
    dedup_key: incident.dedupKey,
    payload: {
      summary: incidentSummary(incident, context),
      source: options.source ?? 'spendguard',
      severity: toPagerDutySeverity(incident.severity),
      timestamp: new Date(incident.updatedAt).toISOString(),
      component: incident.keyId ?? 'account',
      group: incident.accountId,
      class: incident.family,
      custom_details: details,
    },
    ...(context.reportUrl ? { links: [{ href: context.reportUrl, text: 'spendguard incident report' }] } : {}),
    ...(options.client ? { client: options.client } : {}),
    ...(options.clientUrl ? { client_url: options.clientUrl } : {}),
  };
}

/** Local checks of the contract before sending; returns every problem found. */
export function validatePagerDutyEvent(event: PagerDutyEvent): string[] {
  const errors: string[] = [];
  if (event.routing_key.length !== ROUTING_KEY_LENGTH) errors.push(`routing_key must be ${ROUTING_KEY_LENGTH} characters`);
  if (event.dedup_key !== undefined && event.dedup_key.length > MAX_PD_DEDUP_KEY_LENGTH) errors.push('dedup_key longer than 255 characters');
  if (event.event_action !== 'trigger' && !event.dedup_key) errors.push(`dedup_key is required for ${event.event_action}`);
  if (event.event_action === 'trigger') {
    if (!event.payload) errors.push('payload is required for trigger');
    else {
      if (event.payload.summary.length === 0 || event.payload.summary.length > MAX_SUMMARY_LENGTH) errors.push('payload.summary must be 1–1024 characters');
      if (event.payload.source.length === 0) errors.push('payload.source is required');
    }
  }
  if (Buffer.byteLength(JSON.stringify(event)) > MAX_EVENT_BODY_BYTES) errors.push('event body larger than 512 KB');
  return errors;
}
