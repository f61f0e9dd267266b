import type { IncidentContext } from './incident-context';
import type { Incident, IncidentUpdate } from './incidents/incident.types';
import type { PagerDutyClient, PagerDutyResult } from './pagerduty/pagerduty-client';
import { buildTriggerEvent } from './pagerduty/pagerduty-event';
import type { PendingDelivery } from './webhooks/delivery-store';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { buildIncidentWebhookPayload, webhookMessageId } from './webhooks/webhook-payload';

/**
 * Carries out the actions of one `IncidentUpdate`, in order of urgency: suspend the key,
 * persist the webhook deliveries, then send PagerDuty events.
 *
 * Guarantees: when `execute` resolves, the suspension was requested and the webhook deliveries
 * are persisted (the caller may then commit the finding's offset). PagerDuty sends are not
 * awaited (a 429 can mean minutes of backoff); their results are returned as promises to log.
 * Webhook message ids are derived from the transition, so re-executing an update after a
 * crash gives receivers the same `webhook-id`.
 */
export interface KillSwitch {
  /** Idempotent: suspending a suspended key is a no-op that still succeeds. */
  suspendKey(request: { accountId: string; keyId: string; incidentId: string; reason: string; actor: string }): Promise<void>;
}

export interface IncidentContextProvider {
  contextFor(incident: Incident): Promise<IncidentContext>;
}

export interface EscalationExecutorDeps {
  pagerduty: PagerDutyClient;
  webhooks: WebhookDispatcher;
  killSwitch?: KillSwitch;
  context?: IncidentContextProvider;
  /** PagerDuty `payload.source` (default `spendguard`). */
  source?: string;
}

export interface ExecutionResult {
  suspended: string[];
  deliveries: PendingDelivery[];
  pagerduty: Array<Promise<PagerDutyResult>>;
}

export class EscalationExecutor {
  constructor(private readonly deps: EscalationExecutorDeps) {}

  async execute(update: IncidentUpdate): Promise<ExecutionResult> {
    const { incident } = update;
    const at = update.transition?.at ?? incident.updatedAt;
    const result: ExecutionResult = { suspended: [], deliveries: [], pagerduty: [] };
    const context = update.actions.some((a) => a.type === 'webhook' || a.type === 'pagerduty-trigger')
      ? await this.deps.context?.contextFor(incident) ?? {}
      : {};
    for (const action of update.actions) {
      if (action.type === 'suspend-key' && this.deps.killSwitch) {
        await this.deps.killSwitch.suspendKey({ accountId: action.accountId, keyId: action.keyId, incidentId: action.incidentId, reason: action.reason, actor: 'policy' });
        result.suspended.push(action.keyId);
      }
    }
    for (const action of update.actions) {
      if (action.type !== 'webhook') continue;
      const payload = buildIncidentWebhookPayload(action.event, incident, at, context);
      result.deliveries.push(
        ...(await this.deps.webhooks.enqueue({ messageId: webhookMessageId(incident.id, action.event, at), eventType: action.event, payload, endpointIds: action.endpointIds })),
      );
    }
    for (const action of update.actions) {
      if (action.type === 'pagerduty-trigger') {
        result.pagerduty.push(this.deps.pagerduty.send(buildTriggerEvent(incident, context, { routingKey: action.routingKey, source: this.deps.source })));
      } else if (action.type === 'pagerduty-acknowledge') {
        result.pagerduty.push(this.deps.pagerduty.acknowledge(action.routingKey, action.dedupKey));
      } else if (action.type === 'pagerduty-resolve') {
        result.pagerduty.push(this.deps.pagerduty.resolve(action.routingKey, action.dedupKey));
      }
    }
    return result;
  }
}
