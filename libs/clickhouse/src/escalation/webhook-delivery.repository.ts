import type { ClickHouseClient } from '@clickhouse/client';
import type { DeliveryAttempt, DeliveryLogQuery, PendingDelivery, WebhookDeliveryStore } from '@spendguard/escalation';
import { sql } from '../sql-literal';

const DEFAULT_LOG_LIMIT = 100;
const MAX_LOG_LIMIT = 1000;

/**
 * Webhook deliveries in ClickHouse (tables from migration 0007), so retries survive a restart.
 * - `webhook_pending` (ReplacingMergeTree by `version`): each save writes a new version of the
 *   delivery; removal writes a version with `done = 1`. The live set is the latest version of
 *   each delivery that is not done (argMax, so unmerged parts never matter).
 * - `webhook_attempts`: the delivery log, one row per attempt.
 * Versions are strictly increasing within the process and start at the wall clock, so a later
 * process always writes newer versions than an earlier one.
 */
export class ClickHouseWebhookDeliveryRepository implements WebhookDeliveryStore {
  private lastVersion = 0;
  private readonly endpointOf = new Map<string, string>();

  constructor(private readonly client: ClickHouseClient) {}

  async savePending(delivery: PendingDelivery): Promise<void> {
    this.endpointOf.set(delivery.id, delivery.endpointId);
    await this.write(delivery.id, delivery.endpointId, 0, JSON.stringify(delivery));
  }

  async removePending(deliveryId: string): Promise<void> {
    // Delivery ids are `<messageId>:<endpointId>` and message ids hold no ':'.
    const endpointId = this.endpointOf.get(deliveryId) ?? deliveryId.slice(deliveryId.indexOf(':') + 1);
    await this.write(deliveryId, endpointId, 1, '');
    this.endpointOf.delete(deliveryId);
  }

  async listPending(): Promise<PendingDelivery[]> {
    const result = await this.client.query({
      query: `SELECT argMax(delivery_json, version) AS latest_json, argMax(done, version) AS is_done
        FROM webhook_pending GROUP BY endpoint_id, delivery_id HAVING is_done = 0`,
      format: 'JSONEachRow',
    });
    const deliveries = (await result.json<{ latest_json: string }>()).map((r) => JSON.parse(r.latest_json) as PendingDelivery);
    for (const d of deliveries) this.endpointOf.set(d.id, d.endpointId);
    return deliveries;
  }

  async appendAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.client.insert({
      table: 'webhook_attempts',
      format: 'JSONEachRow',
      values: [
        {
          endpoint_id: attempt.endpointId,
          message_id: attempt.messageId,
          delivery_id: attempt.deliveryId,
          event_type: attempt.eventType,
          attempt: attempt.attempt,
          at_ms: attempt.at,
          status_code: attempt.status ?? 0,
          outcome: attempt.outcome,
          latency_ms: Math.max(0, Math.round(attempt.latencyMs)),
          error: attempt.error ?? '',
        },
      ],
    });
  }

  async listAttempts(query: DeliveryLogQuery): Promise<DeliveryAttempt[]> {
    const limit = Math.min(MAX_LOG_LIMIT, Math.max(1, query.limit ?? DEFAULT_LOG_LIMIT));
    const endpoint = query.endpointId ?? '';
    const message = query.messageId ?? '';
    const result = await this.client.query({
      query: sql`SELECT endpoint_id, message_id, delivery_id, event_type, attempt, toString(at_ms) AS at_text, status_code, outcome, latency_ms, error
        FROM webhook_attempts
        WHERE (${endpoint} = '' OR endpoint_id = ${endpoint}) AND (${message} = '' OR message_id = ${message})
        ORDER BY at_ms DESC LIMIT ${limit}`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, string | number>>();
    return rows.map((r) => ({
      deliveryId: String(r.delivery_id),
      messageId: String(r.message_id),
      endpointId: String(r.endpoint_id),
      eventType: String(r.event_type),
      attempt: Number(r.attempt),
      at: Number(r.at_text),
      latencyMs: Number(r.latency_ms),
      outcome: String(r.outcome) as DeliveryAttempt['outcome'],
      ...(Number(r.status_code) > 0 ? { status: Number(r.status_code) } : {}),
      ...(r.error ? { error: String(r.error) } : {}),
    }));
  }

  private async write(deliveryId: string, endpointId: string, done: 0 | 1, json: string): Promise<void> {
    const version = Math.max(Date.now(), this.lastVersion + 1);
    this.lastVersion = version;
    await this.client.insert({
      table: 'webhook_pending',
      format: 'JSONEachRow',
      values: [{ delivery_id: deliveryId, endpoint_id: endpointId, version, done, delivery_json: json }],
    });
  }
}
