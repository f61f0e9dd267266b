import { systemClock, type Clock } from '../clock';
import { withJitter } from '../webhooks/retry-schedule';
import { parseRetryAfter } from '../webhooks/retry-schedule';
import { validatePagerDutyEvent, type PagerDutyEvent, type PagerDutyPayload } from './pagerduty-event';

/**
 * PagerDuty Events API v2 client (`POST {baseUrl}/v2/enqueue`).
 *
 * Guarantees:
 * - Typed results, never throws: 202 → `ok`; 400 (and any other 4xx but 429) → `rejected`,
 *   not retried; 429, 5xx, timeouts and network errors → retried with exponential backoff and
 *   jitter (429 waits at least `rateLimitDelayMs`, or `Retry-After` when given) until
 *   `maxAttempts`, then `retries-exhausted`.
 * - Ordering per dedup key: events with the same dedup key are sent one after another in call
 *   order, so a resolve never overtakes its trigger, even while the trigger is being retried.
 * - In memory only: retries in progress do not survive a restart (the incident engine re-emits
 *   the current state's action after a restart if the wiring asks it to).
 */
export interface PagerDutyClientOptions {
  /** Default `https://events.pagerduty.com` (config: PAGERDUTY_EVENTS_URL). */
  baseUrl?: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Total attempts including the first (default 8). */
  maxAttempts?: number;
  /** First backoff delay; doubles each attempt (default 1 s). */
  baseDelayMs?: number;
  /** Backoff ceiling (default 5 min). */
  maxDelayMs?: number;
  /** Minimum wait after a 429 (default 60 s; PagerDuty suggests minutes). */
  rateLimitDelayMs?: number;
  jitterRatio?: number;
  clock?: Clock;
  random?: () => number;
  fetch?: typeof fetch;
}

export type PagerDutyResult =
  | { ok: true; status: number; dedupKey: string; attempts: number }
  | { ok: false; reason: 'invalid-event'; errors: string[]; attempts: 0 }
  | { ok: false; reason: 'rejected'; status: number; errors: string[]; attempts: number }
  | { ok: false; reason: 'retries-exhausted'; status?: number; error: string; attempts: number };

export const DEFAULT_PAGERDUTY_BASE_URL = 'https://events.pagerduty.com';
const ENQUEUE_PATH = '/v2/enqueue';

interface AttemptOutcome {
  kind: 'done' | 'rejected' | 'retry';
  status?: number;
  dedupKey?: string;
  errors?: string[];
  error?: string;
  retryAfterMs?: number;
}

export class PagerDutyClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly rateLimitDelayMs: number;
  private readonly jitterRatio: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(options: PagerDutyClientOptions = {}) {
    this.url = new URL(ENQUEUE_PATH, options.baseUrl ?? DEFAULT_PAGERDUTY_BASE_URL).toString();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.rateLimitDelayMs = options.rateLimitDelayMs ?? 60_000;
    this.jitterRatio = options.jitterRatio ?? 0.2;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.fetchImpl = options.fetch ?? fetch;
  }

  trigger(routingKey: string, dedupKey: string, payload: PagerDutyPayload, extra: Pick<PagerDutyEvent, 'links' | 'images' | 'client' | 'client_url'> = {}): Promise<PagerDutyResult> {
    return this.send({ routing_key: routingKey, event_action: 'trigger', dedup_key: dedupKey, payload, ...extra });
  }

  acknowledge(routingKey: string, dedupKey: string): Promise<PagerDutyResult> {
    return this.send({ routing_key: routingKey, event_action: 'acknowledge', dedup_key: dedupKey });
  }

  resolve(routingKey: string, dedupKey: string): Promise<PagerDutyResult> {
    return this.send({ routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey });
  }

  /** Sends any event, after every earlier event with the same dedup key has finished. */
  send(event: PagerDutyEvent): Promise<PagerDutyResult> {
    const errors = validatePagerDutyEvent(event);
    if (errors.length > 0) return Promise.resolve({ ok: false, reason: 'invalid-event', errors, attempts: 0 });
    if (event.dedup_key === undefined) return this.deliver(event);
    const key = event.dedup_key;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(() => this.deliver(event));
    this.chains.set(key, result);
    void result.finally(() => {
      if (this.chains.get(key) === result) this.chains.delete(key);
    });
    return result;
  }

  private async deliver(event: PagerDutyEvent): Promise<PagerDutyResult> {
    const body = JSON.stringify(event);
    let last: AttemptOutcome = { kind: 'retry', error: 'not attempted' };
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      last = await this.attempt(body);
      if (last.kind === 'done') return { ok: true, status: last.status ?? 202, dedupKey: last.dedupKey ?? event.dedup_key ?? '', attempts: attempt };
      if (last.kind === 'rejected') return { ok: false, reason: 'rejected', status: last.status ?? 400, errors: last.errors ?? [], attempts: attempt };
      if (attempt < this.maxAttempts) await this.sleep(this.backoff(attempt, last));
    }
    return {
      ok: false,
      reason: 'retries-exhausted',
      ...(last.status !== undefined ? { status: last.status } : {}),
      error: last.error ?? `HTTP ${last.status ?? '?'}`,
      attempts: this.maxAttempts,
    };
  }

  private backoff(attempt: number, outcome: AttemptOutcome): number {
    const exponential = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    let delay = withJitter(exponential, this.jitterRatio, this.random);
    if (outcome.status === 429) delay = Math.max(delay, outcome.retryAfterMs ?? withJitter(this.rateLimitDelayMs, this.jitterRatio, this.random));
    return delay;
  }

  private async attempt(body: string): Promise<AttemptOutcome> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    const parsed = await readJson(response);
    if (response.status === 202 || (response.status >= 200 && response.status < 300)) {
      return { kind: 'done', status: response.status, dedupKey: typeof parsed?.dedup_key === 'string' ? parsed.dedup_key : undefined };
    }
    if (response.status === 429 || response.status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined, this.clock.now());
      return { kind: 'retry', status: response.status, error: `HTTP ${response.status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    const errors = Array.isArray(parsed?.errors) ? parsed.errors.map(String) : [typeof parsed?.message === 'string' ? parsed.message : `HTTP ${response.status}`];
    return { kind: 'rejected', status: response.status, errors };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(resolve, ms));
  }
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await response.json();
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
