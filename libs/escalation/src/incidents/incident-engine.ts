import type { Finding, Severity } from '@spendguard/contracts/finding';
import type { ResolvedRoutingPolicy, RoutingPolicyResolver } from '../policy/routing-policy';
import { detectorFamily } from './detector-family';
import { incidentDedupKey, incidentId } from './dedup-key';
import type {
  EscalationAction,
  Incident,
  IncidentCommandResult,
  IncidentState,
  IncidentTransition,
  IncidentUpdate,
  TransitionReason,
  WebhookEventType,
} from './incident.types';

/**
 * Incident state machine: pure, synchronous, explicit `now` (epoch ms), no I/O.
 *
 *   (none) --finding ≥ minOpenSeverity--> open --ack--> acknowledged
 *   open | acknowledged --resolve (manual) | quiet period (tick)--> resolved
 *   resolved --finding within cooldown--> open   (same incident id: one drain, one incident)
 *   open | acknowledged --finding of higher severity--> same state, severity escalated
 *
 * One live incident per dedup key (account / key / detector family). While an incident is
 * open, further findings only update it (no new page). A resolved incident stays in live
 * state for `cooldownMs`; a finding in that window reopens it (re-triggering PagerDuty with
 * the same dedup key, which opens a fresh alert there since the old one was resolved). After
 * the cooldown it is evicted from live state (its history lives in the transition log) and a
 * later finding opens a new incident with a new id but the same dedup key.
 *
 * Resolving never resumes a suspended key: a leaked key stays suspended until a person resumes it.
 * Redelivered findings (same id, at-least-once consumers) are ignored.
 */
export interface IncidentEngineConfig {
  /** Auto-resolve an incident after this long without findings. */
  quietPeriodMs: number;
  /** A finding this soon after a resolution reopens the incident instead of opening a new one. */
  cooldownMs: number;
  /** Findings below this severity never open an incident (they still count as activity on one). */
  minOpenSeverity: Severity;
  /** Cap on transitions kept per incident in live state (all are emitted to the history log). */
  maxTransitionsPerIncident: number;
}

export const DEFAULT_INCIDENT_ENGINE_CONFIG: IncidentEngineConfig = {
  quietPeriodMs: 15 * 60_000,
  cooldownMs: 60 * 60_000,
  minOpenSeverity: 'warning',
  maxTransitionsPerIncident: 200,
};

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const MAX_RECENT_FINDING_IDS = 64;
const MAX_NOVEL_VALUES = 50;
export const INCIDENT_SNAPSHOT_VERSION = 1;

/** Serialisable live state (JSON-safe); persist it so live incidents survive a restart. */
export interface IncidentEngineSnapshot {
  version: typeof INCIDENT_SNAPSHOT_VERSION;
  takenAt: number;
  incidents: Incident[];
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export class IncidentEngine {
  private readonly config: IncidentEngineConfig;
  private readonly byDedupKey = new Map<string, Incident>();
  private readonly dedupKeyById = new Map<string, string>();

  constructor(
    private readonly policy: RoutingPolicyResolver,
    config: Partial<IncidentEngineConfig> = {},
    snapshot?: IncidentEngineSnapshot,
  ) {
    this.config = { ...DEFAULT_INCIDENT_ENGINE_CONFIG, ...config };
    if (snapshot) this.restore(snapshot);
  }

  /** Applies one finding; returns null when nothing changed (ignored or duplicate finding). */
  onFinding(finding: Finding, now: number): IncidentUpdate | null {
    const family = detectorFamily(finding.detector);
    const dedupKey = incidentDedupKey(finding.accountId, finding.keyId, family);
    const existing = this.byDedupKey.get(dedupKey);
    const policy = this.policy.resolve(finding.accountId);

    if (existing && existing.recentFindingIds.includes(finding.id)) return null;

    if (existing && existing.state !== 'resolved') return this.updateActive(existing, finding, now, policy);

    if (SEVERITY_RANK[finding.severity] < SEVERITY_RANK[this.config.minOpenSeverity]) return null;

    if (existing && existing.resolvedAt !== undefined && now - existing.resolvedAt < this.config.cooldownMs) {
      return this.reopen(existing, finding, now, policy);
    }
    if (existing) this.evict(existing);
    return this.open(dedupKey, family, finding, now, policy);
  }

  acknowledge(id: string, now: number, actor: string, note?: string): IncidentCommandResult {
    const incident = this.findById(id);
    if (!incident) return { ok: false, error: 'not-found' };
    if (incident.state === 'resolved') return { ok: false, error: 'already-resolved' };
    if (incident.state === 'acknowledged') return { ok: false, error: 'already-acknowledged' };
    const transition = this.transition(incident, now, 'acknowledged', incident.severity, 'acknowledged', { actor, note });
    incident.acknowledgedAt = now;
    const actions: EscalationAction[] = [];
    if (incident.pagedRoutingKey) {
      actions.push({ type: 'pagerduty-acknowledge', incidentId: incident.id, dedupKey: incident.dedupKey, routingKey: incident.pagedRoutingKey });
    }
    this.pushWebhook(actions, incident, 'incident.acknowledged', incident.notifiedEndpointIds);
    return { ok: true, update: { incident: clone(incident), transition, actions } };
  }

  resolve(id: string, now: number, actor: string, note?: string): IncidentCommandResult {
    const incident = this.findById(id);
    if (!incident) return { ok: false, error: 'not-found' };
    if (incident.state === 'resolved') return { ok: false, error: 'already-resolved' };
    return { ok: true, update: this.resolveIncident(incident, now, 'resolved-manually', actor, note) };
  }

  /**
   * Advances time: resolves incidents quiet for `quietPeriodMs` and evicts resolved incidents
   * whose cooldown has passed. Returns the resolutions.
   */
  tick(now: number): IncidentUpdate[] {
    const updates: IncidentUpdate[] = [];
    for (const incident of [...this.byDedupKey.values()]) {
      if (incident.state !== 'resolved' && now - incident.lastFindingAt >= this.config.quietPeriodMs) {
        updates.push(this.resolveIncident(incident, now, 'auto-resolved-quiet'));
      } else if (incident.state === 'resolved' && incident.resolvedAt !== undefined && now - incident.resolvedAt >= this.config.cooldownMs) {
        this.evict(incident);
      }
    }
    return updates;
  }

  get(id: string): Incident | undefined {
    const incident = this.findById(id);
    return incident ? clone(incident) : undefined;
  }

  getByDedupKey(dedupKey: string): Incident | undefined {
    const incident = this.byDedupKey.get(dedupKey);
    return incident ? clone(incident) : undefined;
  }

  /** Live incidents (open, acknowledged, and resolved ones still in cooldown). */
  list(): Incident[] {
    return [...this.byDedupKey.values()].map(clone);
  }

  snapshot(now: number): IncidentEngineSnapshot {
    return { version: INCIDENT_SNAPSHOT_VERSION, takenAt: now, incidents: this.list() };
  }

  // --- transitions -------------------------------------------------------------------------

  private open(dedupKey: string, family: Incident['family'], finding: Finding, now: number, policy: ResolvedRoutingPolicy): IncidentUpdate {
    const incident: Incident = {
      id: incidentId(dedupKey, now),
      dedupKey,
      accountId: finding.accountId,
      keyId: finding.keyId,
      family,
      state: 'open',
      severity: finding.severity,
      openedAt: now,
      updatedAt: now,
      lastFindingAt: now,
      firstFindingTime: finding.time,
      findingCount: 0,
      detectors: [],
      novelValues: [],
      peak: peakOf(finding),
      recentFindingIds: [],
      notifiedEndpointIds: [],
      suspendRequested: false,
      reopenCount: 0,
      transitions: [],
    };
    this.byDedupKey.set(dedupKey, incident);
    this.dedupKeyById.set(incident.id, dedupKey);
    this.absorb(incident, finding, now);
    const transition = this.transition(incident, now, 'open', finding.severity, 'finding-opened', { findingId: finding.id }, null, null);
    const actions = this.notify(incident, policy, 'incident.opened');
    return { incident: clone(incident), transition, actions };
  }

  private reopen(incident: Incident, finding: Finding, now: number, policy: ResolvedRoutingPolicy): IncidentUpdate {
    const severityFrom = incident.severity;
    incident.severity = finding.severity;
    incident.resolvedAt = undefined;
    incident.acknowledgedAt = undefined;
    incident.suspendRequested = false;
    incident.pagedRoutingKey = undefined;
    incident.reopenCount += 1;
    this.absorb(incident, finding, now);
    const transition = this.transition(incident, now, 'open', finding.severity, 'finding-reopened', { findingId: finding.id }, undefined, severityFrom);
    const actions = this.notify(incident, policy, 'incident.reopened');
    return { incident: clone(incident), transition, actions };
  }

  private updateActive(incident: Incident, finding: Finding, now: number, policy: ResolvedRoutingPolicy): IncidentUpdate {
    const escalated = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity];
    this.absorb(incident, finding, now);
    if (!escalated) return { incident: clone(incident), actions: [] };
    const severityFrom = incident.severity;
    incident.severity = finding.severity;
    const transition = this.transition(incident, now, incident.state, finding.severity, 'severity-escalated', { findingId: finding.id }, undefined, severityFrom);
    const actions = this.notify(incident, policy, 'incident.escalated');
    return { incident: clone(incident), transition, actions };
  }

  private resolveIncident(incident: Incident, now: number, reason: TransitionReason, actor?: string, note?: string): IncidentUpdate {
    const transition = this.transition(incident, now, 'resolved', incident.severity, reason, { actor, note });
    incident.resolvedAt = now;
    const actions: EscalationAction[] = [];
    if (incident.pagedRoutingKey) {
      actions.push({ type: 'pagerduty-resolve', incidentId: incident.id, dedupKey: incident.dedupKey, routingKey: incident.pagedRoutingKey });
    }
    this.pushWebhook(actions, incident, 'incident.resolved', incident.notifiedEndpointIds);
    return { incident: clone(incident), transition, actions };
  }

  /** Decides page / webhook / suspend for an incident that opened, reopened or escalated. */
  private notify(incident: Incident, policy: ResolvedRoutingPolicy, event: WebhookEventType): EscalationAction[] {
    const actions: EscalationAction[] = [];
    const page = policy.pagerduty;
    if (page && page.severities.includes(incident.severity)) {
      incident.pagedRoutingKey = page.routingKey;
      actions.push({ type: 'pagerduty-trigger', incidentId: incident.id, dedupKey: incident.dedupKey, routingKey: page.routingKey, severity: incident.severity });
    } else if (incident.pagedRoutingKey) {
      // Already paged at an earlier severity: keep the PagerDuty alert current.
      actions.push({ type: 'pagerduty-trigger', incidentId: incident.id, dedupKey: incident.dedupKey, routingKey: incident.pagedRoutingKey, severity: incident.severity });
    }
    const endpoints = policy.webhooks.filter((route) => route.severities.includes(incident.severity)).map((route) => route.endpointId);
    for (const endpointId of endpoints) {
      if (!incident.notifiedEndpointIds.includes(endpointId)) incident.notifiedEndpointIds.push(endpointId);
    }
    this.pushWebhook(actions, incident, event, endpoints);
    if (incident.severity === 'critical' && incident.keyId !== undefined && policy.autoSuspend[incident.family] && !incident.suspendRequested) {
      incident.suspendRequested = true;
      actions.push({
        type: 'suspend-key',
        incidentId: incident.id,
        accountId: incident.accountId,
        keyId: incident.keyId,
        family: incident.family,
        reason: `auto-suspend: critical ${incident.family} incident ${incident.id}`,
      });
    }
    return actions;
  }

  private pushWebhook(actions: EscalationAction[], incident: Incident, event: WebhookEventType, endpointIds: string[]): void {
    if (endpointIds.length > 0) actions.push({ type: 'webhook', incidentId: incident.id, event, endpointIds: [...endpointIds] });
  }

  private absorb(incident: Incident, finding: Finding, now: number): void {
    incident.findingCount += 1;
    incident.lastFindingAt = now;
    incident.updatedAt = now;
    if (!incident.detectors.includes(finding.detector)) incident.detectors.push(finding.detector);
    if (finding.value !== undefined && !incident.novelValues.includes(finding.value) && incident.novelValues.length < MAX_NOVEL_VALUES) {
      incident.novelValues.push(finding.value);
    }
    incident.recentFindingIds.push(finding.id);
    if (incident.recentFindingIds.length > MAX_RECENT_FINDING_IDS) incident.recentFindingIds.shift();
    const worse =
      SEVERITY_RANK[finding.severity] > SEVERITY_RANK[incident.severity] ||
      (finding.severity === incident.severity && finding.observed > incident.peak.observed);
    if (worse) incident.peak = peakOf(finding);
  }

  private transition(
    incident: Incident,
    now: number,
    to: IncidentState,
    severityTo: Severity,
    reason: TransitionReason,
    extra: { findingId?: string; actor?: string; note?: string },
    from: IncidentState | null = incident.state,
    severityFrom: Severity | null = incident.severity,
  ): IncidentTransition {
    const transition: IncidentTransition = {
      incidentId: incident.id,
      dedupKey: incident.dedupKey,
      at: now,
      from,
      to,
      severityFrom,
      severityTo,
      reason,
      ...(extra.findingId !== undefined ? { findingId: extra.findingId } : {}),
      ...(extra.actor !== undefined ? { actor: extra.actor } : {}),
      ...(extra.note !== undefined ? { note: extra.note } : {}),
    };
    incident.state = to;
    incident.updatedAt = now;
    incident.transitions.push(transition);
    if (incident.transitions.length > this.config.maxTransitionsPerIncident) incident.transitions.shift();
    return { ...transition };
  }

  private findById(id: string): Incident | undefined {
    const dedupKey = this.dedupKeyById.get(id);
    return dedupKey === undefined ? undefined : this.byDedupKey.get(dedupKey);
  }

  private evict(incident: Incident): void {
    this.byDedupKey.delete(incident.dedupKey);
    this.dedupKeyById.delete(incident.id);
  }

  private restore(snapshot: IncidentEngineSnapshot): void {
    if (snapshot.version !== INCIDENT_SNAPSHOT_VERSION) {
      throw new Error(`unsupported incident snapshot version ${String(snapshot.version)}`);
    }
    for (const incident of snapshot.incidents) {
      const copy = clone(incident);
      this.byDedupKey.set(copy.dedupKey, copy);
      this.dedupKeyById.set(copy.id, copy.dedupKey);
    }
  }
}

function peakOf(finding: Finding): Incident['peak'] {
  return {
    findingId: finding.id,
    detector: finding.detector,
    metric: finding.metric,
    observed: finding.observed,
    expected: finding.expected,
    score: finding.score,
    threshold: finding.threshold,
    explanation: finding.explanation,
    time: finding.time,
  };
}
