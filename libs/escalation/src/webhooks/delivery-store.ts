/**
 * Storage behind the webhook dispatcher (to be backed by ClickHouse or a Kafka changelog).
 * Durability contract: a delivery is saved as pending before its first attempt; after each
 * attempt the attempt is logged, then the pending record is updated (retry) or removed (final).
 * On restart `listPending` gives back everything not final, so retries survive a restart; a
 * crash between an attempt and its bookkeeping repeats that attempt (at-least-once; receivers
 * dedupe by `webhook-id`).
 */
export type EndpointDisabledReason = 'gone' | 'retries-exhausted' | 'manual';

export interface WebhookEndpoint {
  id: string;
  accountId?: string;
  url: string;
  /** `whsec_…`; never logged. */
  secret: string;
  enabled: boolean;
  disabledReason?: EndpointDisabledReason;
  disabledAt?: number;
}

export interface WebhookEndpointStore {
  get(id: string): Promise<WebhookEndpoint | undefined>;
  disable(id: string, reason: EndpointDisabledReason, at: number): Promise<void>;
}

export interface PendingDelivery {
  /** `<messageId>:<endpointId>`. */
  id: string;
  /** The `webhook-id`: same for every attempt and every endpoint of one message. */
  messageId: string;
  endpointId: string;
  eventType: string;
  /** The exact body that is signed and sent. */
  body: string;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms of the next attempt. */
  nextAttemptAt: number;
  createdAt: number;
}

export type AttemptOutcome = 'delivered' | 'retry-scheduled' | 'failed' | 'endpoint-disabled';

export interface DeliveryAttempt {
  deliveryId: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  /** 1-based attempt number; 0 for a delivery dropped without an attempt. */
  attempt: number;
  at: number;
  status?: number;
  latencyMs: number;
  outcome: AttemptOutcome;
  error?: string;
  nextAttemptAt?: number;
}

export interface DeliveryLogQuery {
  endpointId?: string;
  messageId?: string;
  limit?: number;
}

export interface WebhookDeliveryStore {
  /** Inserts or replaces a pending delivery. */
  savePending(delivery: PendingDelivery): Promise<void>;
  removePending(deliveryId: string): Promise<void>;
  listPending(): Promise<PendingDelivery[]>;
  appendAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** Most recent first. */
  listAttempts(query: DeliveryLogQuery): Promise<DeliveryAttempt[]>;
}

export class InMemoryWebhookEndpointStore implements WebhookEndpointStore {
  private readonly endpoints = new Map<string, WebhookEndpoint>();

  constructor(endpoints: WebhookEndpoint[] = []) {
    for (const endpoint of endpoints) this.put(endpoint);
  }

  put(endpoint: WebhookEndpoint): void {
    this.endpoints.set(endpoint.id, { ...endpoint });
  }

  async get(id: string): Promise<WebhookEndpoint | undefined> {
    const endpoint = this.endpoints.get(id);
    return endpoint ? { ...endpoint } : undefined;
  }

  async disable(id: string, reason: EndpointDisabledReason, at: number): Promise<void> {
    const endpoint = this.endpoints.get(id);
    if (endpoint) this.endpoints.set(id, { ...endpoint, enabled: false, disabledReason: reason, disabledAt: at });
  }
}

export class InMemoryWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly pending = new Map<string, string>();
  private readonly attempts: DeliveryAttempt[] = [];

  async savePending(delivery: PendingDelivery): Promise<void> {
    this.pending.set(delivery.id, JSON.stringify(delivery));
  }

  async removePending(deliveryId: string): Promise<void> {
    this.pending.delete(deliveryId);
  }

  async listPending(): Promise<PendingDelivery[]> {
    return [...this.pending.values()].map((json) => JSON.parse(json) as PendingDelivery);
  }

  async appendAttempt(attempt: DeliveryAttempt): Promise<void> {
    this.attempts.push({ ...attempt });
  }

  async listAttempts(query: DeliveryLogQuery): Promise<DeliveryAttempt[]> {
    const matching = this.attempts
      .filter((a) => (query.endpointId === undefined || a.endpointId === query.endpointId) && (query.messageId === undefined || a.messageId === query.messageId))
      .reverse();
    return matching.slice(0, query.limit ?? matching.length).map((a) => ({ ...a }));
  }
}
