import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock';
import type {
  AttemptOutcome,
  DeliveryAttempt,
  PendingDelivery,
  WebhookDeliveryStore,
  WebhookEndpointStore,
} from './delivery-store';
import { DEFAULT_JITTER_RATIO, parseRetryAfter, STANDARD_WEBHOOK_RETRY_SCHEDULE_MS, withJitter } from './retry-schedule';
import type { WebhookTransport, WebhookTransportResult } from './webhook-transport';
import { signWebhook } from './webhook-signer';

/**
 * Webhook delivery scheduler.
 *
 * Guarantees:
 * - At-least-once per (message, endpoint): a delivery is persisted before its first attempt and
 *   stays pending until it succeeded or failed for good; `start()` reloads pending deliveries
 *   after a restart. Every attempt carries the same `webhook-id`, so receivers can dedupe.
 * - Isolation: each endpoint has its own queue and its own concurrency limit; a slow or dead
 *   endpoint only delays its own deliveries.
 * - Outcomes: 2xx delivered; 410 disables the endpoint and drops its pending deliveries;
 *   3xx, other 4xx/5xx, timeouts and network errors are retried on the schedule (with
 *   jitter); 429/502/504 wait at least `Retry-After`; an SSRF-refused or invalid URL fails
 *   at once; after the last scheduled attempt the delivery fails and the endpoint is disabled.
 * - No ordering guarantee between messages (as in Standard Webhooks).
 */
export interface WebhookDispatcherOptions {
  /** Delay before each attempt; the first entry is the delay before the first attempt. */
  retryScheduleMs?: readonly number[];
  jitterRatio?: number;
  /** Per-attempt timeout (default 15 s). */
  timeoutMs?: number;
  /** Concurrent attempts per endpoint (default 1). */
  maxConcurrencyPerEndpoint?: number;
  /** Upper bound on a honoured Retry-After (default 24 h). */
  maxRetryAfterMs?: number;
}

export type DispatcherEvent =
  | { type: 'delivered'; delivery: PendingDelivery; attempt: DeliveryAttempt }
  | { type: 'retry-scheduled'; delivery: PendingDelivery; attempt: DeliveryAttempt }
  | { type: 'failed'; delivery: PendingDelivery; attempt: DeliveryAttempt }
  | { type: 'endpoint-disabled'; endpointId: string; reason: 'gone' | 'retries-exhausted' }
  | { type: 'error'; deliveryId: string; message: string };

export interface WebhookDispatcherDeps {
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  transport: WebhookTransport;
  clock?: Clock;
  random?: () => number;
  /** Observer for logs and metrics; must not throw. */
  onEvent?: (event: DispatcherEvent) => void;
}

export interface OutgoingWebhook {
  /** Stable id (e.g. from `webhookMessageId`) so a replayed message keeps its `webhook-id`. */
  messageId?: string;
  eventType: string;
  /** Serialised as JSON once; the same bytes are signed and sent on every attempt. */
  payload: unknown;
  endpointIds: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;
const THROTTLE_STATUSES = new Set([429, 502, 504]);
/** Retry delay used when a store call fails during bookkeeping. */
const STORE_FAILURE_RETRY_MS = 5_000;

interface EndpointQueue {
  pending: Map<string, PendingDelivery>;
  inFlight: Set<string>;
  timer?: TimerHandle;
  timerDueAt?: number;
}

export class WebhookDispatcher {
  private readonly queues = new Map<string, EndpointQueue>();
  private readonly running = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly schedule: readonly number[];
  private readonly jitterRatio: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly maxRetryAfterMs: number;
  private stopped = true;

  constructor(private readonly deps: WebhookDispatcherDeps, options: WebhookDispatcherOptions = {}) {
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.schedule = options.retryScheduleMs ?? STANDARD_WEBHOOK_RETRY_SCHEDULE_MS;
    if (this.schedule.length === 0) throw new Error('retry schedule needs at least one entry');
    this.jitterRatio = options.jitterRatio ?? DEFAULT_JITTER_RATIO;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.concurrency = Math.max(1, options.maxConcurrencyPerEndpoint ?? 1);
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  }

  /** Reloads pending deliveries from the store and starts delivering. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const delivery of await this.deps.deliveries.listPending()) this.queueOf(delivery.endpointId).pending.set(delivery.id, delivery);
    for (const endpointId of this.queues.keys()) this.pump(endpointId);
  }

  /** Persists one delivery per endpoint, then schedules the first attempts. */
  async enqueue(message: OutgoingWebhook): Promise<PendingDelivery[]> {
    const now = this.clock.now();
    const messageId = message.messageId ?? `msg_${randomUUID()}`;
    const body = JSON.stringify(message.payload);
    const created: PendingDelivery[] = [];
    for (const endpointId of new Set(message.endpointIds)) {
      const delivery: PendingDelivery = {
        id: `${messageId}:${endpointId}`,
        messageId,
        endpointId,
        eventType: message.eventType,
        body,
        attempts: 0,
        nextAttemptAt: now + withJitter(this.schedule[0] ?? 0, this.jitterRatio, this.random),
        createdAt: now,
      };
      await this.deps.deliveries.savePending(delivery);
      this.queueOf(endpointId).pending.set(delivery.id, delivery);
      created.push(delivery);
    }
    for (const delivery of created) this.pump(delivery.endpointId);
    return created;
  }

  /** Stops scheduling, cancels timers and waits for in-flight attempts. Pending deliveries stay in the store. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const queue of this.queues.values()) {
      queue.timer?.cancel();
      queue.timer = undefined;
      queue.timerDueAt = undefined;
    }
    await Promise.allSettled([...this.running]);
  }

  /** Deliveries not yet final, across endpoints (in memory). */
  pendingCount(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.pending.size;
    return count;
  }

  private queueOf(endpointId: string): EndpointQueue {
    let queue = this.queues.get(endpointId);
    if (!queue) {
      queue = { pending: new Map(), inFlight: new Set() };
      this.queues.set(endpointId, queue);
    }
    return queue;
  }

  /** Starts due attempts up to the endpoint's concurrency and arms a timer for the next one. */
  private pump(endpointId: string): void {
    if (this.stopped) return;
    const queue = this.queueOf(endpointId);
    const now = this.clock.now();
    const waiting = [...queue.pending.values()].filter((d) => !queue.inFlight.has(d.id)).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    for (const delivery of waiting) {
      if (queue.inFlight.size >= this.concurrency || delivery.nextAttemptAt > now) break;
      queue.inFlight.add(delivery.id);
      const run = this.attempt(delivery).finally(() => {
        queue.inFlight.delete(delivery.id);
        this.running.delete(run);
        this.pump(endpointId);
      });
      this.running.add(run);
    }
    const next = [...queue.pending.values()].filter((d) => !queue.inFlight.has(d.id)).reduce<number | undefined>((min, d) => (min === undefined || d.nextAttemptAt < min ? d.nextAttemptAt : min), undefined);
    if (next === undefined || queue.inFlight.size >= this.concurrency) {
      queue.timer?.cancel();
      queue.timer = undefined;
      queue.timerDueAt = undefined;
      return;
    }
    if (queue.timer && queue.timerDueAt !== undefined && queue.timerDueAt <= next) return;
    queue.timer?.cancel();
    queue.timerDueAt = next;
    queue.timer = this.clock.setTimer(() => {
      queue.timer = undefined;
      queue.timerDueAt = undefined;
      this.pump(endpointId);
    }, next - now);
  }

  private async attempt(delivery: PendingDelivery): Promise<void> {
    try {
      const endpoint = await this.deps.endpoints.get(delivery.endpointId);
      const attemptNumber = delivery.attempts + 1;
      if (!endpoint || !endpoint.enabled) {
        await this.finish(delivery, { attempt: 0, status: undefined, latencyMs: 0, outcome: 'failed', error: endpoint ? 'endpoint disabled' : 'endpoint not found' });
        return;
      }
      const at = this.clock.now();
      const headers = signWebhook(endpoint.secret, delivery.messageId, new Date(at), delivery.body);
      const result = await this.deps.transport.send({ url: endpoint.url, headers: { ...headers }, body: delivery.body, timeoutMs: this.timeoutMs });
      await this.handleResult(delivery, attemptNumber, at, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.emit({ type: 'error', deliveryId: delivery.id, message });
      const queue = this.queueOf(delivery.endpointId);
      const retry = { ...delivery, nextAttemptAt: this.clock.now() + STORE_FAILURE_RETRY_MS };
      if (queue.pending.has(delivery.id)) queue.pending.set(delivery.id, retry);
    }
  }

  private async handleResult(delivery: PendingDelivery, attemptNumber: number, at: number, result: WebhookTransportResult): Promise<void> {
    const base = { attempt: attemptNumber, latencyMs: result.latencyMs, at };
    if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
      await this.finish(delivery, { ...base, status: result.status, outcome: 'delivered' });
      return;
    }
    if (result.kind === 'response' && result.status === 410) {
      await this.finish(delivery, { ...base, status: 410, outcome: 'endpoint-disabled', error: 'endpoint answered 410 Gone' });
      await this.disableEndpoint(delivery.endpointId, 'gone');
      return;
    }
    if (result.kind === 'error' && (result.error === 'ssrf-blocked' || result.error === 'invalid-url')) {
      await this.finish(delivery, { ...base, status: undefined, outcome: 'failed', error: `${result.error}: ${result.message}` });
      return;
    }
    const status = result.kind === 'response' ? result.status : undefined;
    const error = result.kind === 'response' ? describeStatus(result.status) : `${result.error}: ${result.message}`;
    if (attemptNumber >= this.schedule.length) {
      await this.finish(delivery, { ...base, status, outcome: 'failed', error: `${error}; retries exhausted` });
      await this.disableEndpoint(delivery.endpointId, 'retries-exhausted');
      return;
    }
    const now = this.clock.now();
    let delay = withJitter(this.schedule[attemptNumber] ?? 0, this.jitterRatio, this.random);
    if (result.kind === 'response' && THROTTLE_STATUSES.has(result.status)) {
      const retryAfter = parseRetryAfter(result.retryAfter, now);
      if (retryAfter !== undefined) delay = Math.max(delay, Math.min(retryAfter, this.maxRetryAfterMs));
    }
    const next: PendingDelivery = { ...delivery, attempts: attemptNumber, nextAttemptAt: now + delay };
    const logged: DeliveryAttempt = { ...this.attemptRecord(delivery, { ...base, status, outcome: 'retry-scheduled', error }), nextAttemptAt: next.nextAttemptAt };
    await this.deps.deliveries.appendAttempt(logged);
    await this.deps.deliveries.savePending(next);
    const queue = this.queueOf(delivery.endpointId);
    if (queue.pending.has(delivery.id)) queue.pending.set(delivery.id, next);
    this.emit({ type: 'retry-scheduled', delivery: next, attempt: logged });
  }

  private async finish(
    delivery: PendingDelivery,
    result: { attempt: number; at?: number; status: number | undefined; latencyMs: number; outcome: AttemptOutcome; error?: string },
  ): Promise<void> {
    const logged = this.attemptRecord(delivery, result);
    await this.deps.deliveries.appendAttempt(logged);
    await this.deps.deliveries.removePending(delivery.id);
    this.queueOf(delivery.endpointId).pending.delete(delivery.id);
    const done = { ...delivery, attempts: Math.max(delivery.attempts, result.attempt) };
    this.emit({ type: result.outcome === 'delivered' ? 'delivered' : 'failed', delivery: done, attempt: logged });
  }

  private async disableEndpoint(endpointId: string, reason: 'gone' | 'retries-exhausted'): Promise<void> {
    await this.deps.endpoints.disable(endpointId, reason, this.clock.now());
    this.emit({ type: 'endpoint-disabled', endpointId, reason });
    const queue = this.queueOf(endpointId);
    for (const other of [...queue.pending.values()]) {
      if (queue.inFlight.has(other.id)) continue; // its own attempt will see the endpoint disabled
      await this.finish(other, { attempt: 0, status: undefined, latencyMs: 0, outcome: 'failed', error: `endpoint disabled (${reason})` });
    }
  }

  private attemptRecord(
    delivery: PendingDelivery,
    result: { attempt: number; at?: number; status?: number; latencyMs: number; outcome: AttemptOutcome; error?: string },
  ): DeliveryAttempt {
    return {
      deliveryId: delivery.id,
      messageId: delivery.messageId,
      endpointId: delivery.endpointId,
      eventType: delivery.eventType,
      attempt: result.attempt,
      at: result.at ?? this.clock.now(),
      latencyMs: result.latencyMs,
      outcome: result.outcome,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
  }

  private emit(event: DispatcherEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch {
      // observers must not break delivery
    }
  }
}

function describeStatus(status: number): string {
  if (status >= 300 && status < 400) return `redirect ${status} (not followed)`;
  return `HTTP ${status}`;
}
