import { ManualClock } from '../testing/manual-clock';
import { InMemoryWebhookDeliveryStore, InMemoryWebhookEndpointStore, type WebhookEndpoint } from './delivery-store';
import { STANDARD_WEBHOOK_RETRY_SCHEDULE_MS, parseRetryAfter, withJitter } from './retry-schedule';
import { WebhookDispatcher, type DispatcherEvent, type WebhookDispatcherOptions } from './webhook-dispatcher';
import { generateWebhookSecret, isValidWebhookSecret } from './webhook-secret';
import type { WebhookRequest, WebhookTransport, WebhookTransportResult } from './webhook-transport';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

type Responder = (request: WebhookRequest, endpointUrl: string) => WebhookTransportResult | Promise<WebhookTransportResult>;

/** Records every attempt with the clock time it was made at. */
class ScriptedTransport implements WebhookTransport {
  readonly calls: Array<{ url: string; at: number; headers: Record<string, string> }> = [];
  constructor(private readonly clock: ManualClock, private readonly responder: Responder) {}
  async send(request: WebhookRequest): Promise<WebhookTransportResult> {
    this.calls.push({ url: request.url, at: this.clock.now(), headers: request.headers });
    return this.responder(request, request.url);
  }
}

const status = (code: number, retryAfter?: string): WebhookTransportResult => ({ kind: 'response', status: code, latencyMs: 3, ...(retryAfter ? { retryAfter } : {}) });

function endpoint(id: string): WebhookEndpoint {
  return { id, url: `https://${id}.example.com/hook`, secret: generateWebhookSecret(), enabled: true };
}

function setup(responder: Responder, options: WebhookDispatcherOptions = {}, endpoints = [endpoint('a'), endpoint('b')]) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const endpointStore = new InMemoryWebhookEndpointStore(endpoints);
  const deliveries = new InMemoryWebhookDeliveryStore();
  const transport = new ScriptedTransport(clock, responder);
  const events: DispatcherEvent[] = [];
  const dispatcher = new WebhookDispatcher(
    { endpoints: endpointStore, deliveries, transport, clock, random: () => 0.5, onEvent: (e) => events.push(e) },
    { jitterRatio: 0, ...options },
  );
  return { clock, endpointStore, deliveries, transport, events, dispatcher, start: clock.now() };
}

describe('webhook secrets', () => {
  it('generates whsec_ + base64 of 24–64 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(isValidWebhookSecret(secret)).toBe(true);
    expect(isValidWebhookSecret(generateWebhookSecret(24))).toBe(true);
    expect(isValidWebhookSecret(generateWebhookSecret(64))).toBe(true);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(() => generateWebhookSecret(16)).toThrow(RangeError);
    expect(isValidWebhookSecret('whsec_' + Buffer.alloc(8).toString('base64'))).toBe(false);
    expect(isValidWebhookSecret('changeme')).toBe(false);
  });
});

describe('retry schedule helpers', () => {
  it('follows the Standard Webhooks schedule', () => {
    expect(STANDARD_WEBHOOK_RETRY_SCHEDULE_MS).toEqual([0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR]);
  });

  it('jitters within ± ratio', () => {
    expect(withJitter(1000, 0.2, () => 0)).toBe(800);
    expect(withJitter(1000, 0.2, () => 0.999999)).toBe(1200);
    expect(withJitter(0, 0.2, () => 0.9)).toBe(0);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('WebhookDispatcher (fake clock)', () => {
  it('delivers immediately with the same webhook-id and a delivery log', async () => {
    const { dispatcher, transport, deliveries, clock } = setup(() => status(200));
    await dispatcher.start();
    await dispatcher.enqueue({ messageId: 'msg_1', eventType: 'incident.opened', payload: { x: 1 }, endpointIds: ['a', 'b'] });
    await clock.advance(0);
    expect(transport.calls.map((c) => c.url)).toEqual(['https://a.example.com/hook', 'https://b.example.com/hook']);
    expect(transport.calls.every((c) => c.headers['webhook-id'] === 'msg_1')).toBe(true);
    expect(await deliveries.listPending()).toEqual([]);
    const log = await deliveries.listAttempts({ endpointId: 'a' });
    expect(log).toEqual([expect.objectContaining({ attempt: 1, status: 200, outcome: 'delivered', latencyMs: 3, messageId: 'msg_1' })]);
  });

  it('retries on the full Standard Webhooks schedule, then fails and disables the endpoint', async () => {
    const { dispatcher, transport, clock, start, endpointStore, events } = setup(() => status(500), {}, [endpoint('a')]);
    await dispatcher.start();
    await dispatcher.enqueue({ eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(4 * 24 * HOUR);
    const expectedOffsets = STANDARD_WEBHOOK_RETRY_SCHEDULE_MS.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], []);
    expect(transport.calls.map((c) => c.at - start)).toEqual(expectedOffsets);
    expect((await endpointStore.get('a'))?.enabled).toBe(false);
    expect((await endpointStore.get('a'))?.disabledReason).toBe('retries-exhausted');
    expect(events.map((e) => e.type).slice(-2)).toEqual(['failed', 'endpoint-disabled']);
    expect(dispatcher.pendingCount()).toBe(0);
  });

  it('applies jitter to the schedule', async () => {
    const clock = new ManualClock();
    const transport = new ScriptedTransport(clock, () => status(503));
    const dispatcher = new WebhookDispatcher(
      { endpoints: new InMemoryWebhookEndpointStore([endpoint('a')]), deliveries: new InMemoryWebhookDeliveryStore(), transport, clock, random: () => 0 },
      { retryScheduleMs: [0, 1000, 2000], jitterRatio: 0.5 },
    );
    const start = clock.now();
    await dispatcher.start();
    await dispatcher.enqueue({ eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(10_000);
    expect(transport.calls.map((c) => c.at - start)).toEqual([0, 500, 1500]);
  });

  it('honours Retry-After on 429, 502 and 504 when longer than the schedule', async () => {
    const answers = [status(429, '120'), status(502, '30'), status(504), status(200)];
    const { dispatcher, transport, clock, start } = setup(() => answers.shift()!, { retryScheduleMs: [0, 1000, 1000, 1000, 1000] }, [endpoint('a')]);
    await dispatcher.start();
    await dispatcher.enqueue({ eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(10 * MINUTE);
    expect(transport.calls.map((c) => c.at - start)).toEqual([0, 120_000, 150_000, 151_000]);
  });

  it('ignores Retry-After on other statuses and caps it', async () => {
    const answers = [status(500, '600'), status(429, '999999'), status(200)];
    const { dispatcher, transport, clock, start } = setup(() => answers.shift()!, { retryScheduleMs: [0, 1000, 1000], maxRetryAfterMs: 5000 }, [endpoint('a')]);
    await dispatcher.start();
    await dispatcher.enqueue({ eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(HOUR);
    expect(transport.calls.map((c) => c.at - start)).toEqual([0, 1000, 6000]);
  });

  it('treats 3xx as a failure and retries', async () => {
    const answers = [status(302), status(301), status(204)];
    const { dispatcher, clock, deliveries } = setup(() => answers.shift()!, { retryScheduleMs: [0, 10, 10] }, [endpoint('a')]);
    await dispatcher.start();
    await dispatcher.enqueue({ messageId: 'm', eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(100);
    const log = (await deliveries.listAttempts({ messageId: 'm' })).reverse();
    expect(log.map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [1, 302, 'retry-scheduled'],
      [2, 301, 'retry-scheduled'],
      [3, 204, 'delivered'],
    ]);
    expect(log[0]?.error).toMatch(/redirect 302/);
  });

  it('disables the endpoint on 410 and drops its other pending deliveries', async () => {
    const { dispatcher, clock, endpointStore, deliveries, transport } = setup((_req, url) => (url.includes('a.') ? status(410) : status(200)));
    await dispatcher.start();
    await dispatcher.enqueue({ messageId: 'm1', eventType: 't', payload: {}, endpointIds: ['a', 'b'] });
    await dispatcher.enqueue({ messageId: 'm2', eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(HOUR);
    expect(await endpointStore.get('a')).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect(transport.calls.filter((c) => c.url.includes('a.'))).toHaveLength(1);
    expect(await deliveries.listPending()).toEqual([]);
    const aLog = await deliveries.listAttempts({ endpointId: 'a' });
    expect(aLog.map((a) => a.outcome).sort()).toEqual(['endpoint-disabled', 'failed']);
    expect((await deliveries.listAttempts({ endpointId: 'b' }))[0]?.outcome).toBe('delivered');
  });

  it('fails SSRF-refused deliveries at once without disabling the endpoint', async () => {
    const { dispatcher, clock, endpointStore, transport } = setup(() => ({ kind: 'error', error: 'ssrf-blocked', message: 'private', latencyMs: 0 }), {}, [endpoint('a')]);
    await dispatcher.start();
    await dispatcher.enqueue({ eventType: 't', payload: {}, endpointIds: ['a'] });
    await clock.advance(HOUR);
    expect(transport.calls).toHaveLength(1);
    expect((await endpointStore.get('a'))?.enabled).toBe(true);
  });

  it('keeps pending retries across a restart', async () => {
    const { dispatcher, clock, deliveries, endpointStore, transport, start } = setup(() => status(503), { retryScheduleMs: [0, 5000, 5000] }, [endpoint('a')]);
    await dispatcher.start();
    await dispatcher.enqueue({ messageId: 'm', eventType: 't', payload: { n: 1 }, endpointIds: ['a'] });
    await clock.advance(1000);
    await dispatcher.stop();
    expect(await deliveries.listPending()).toEqual([expect.objectContaining({ attempts: 1, nextAttemptAt: start + 5000 })]);

    const okTransport = new ScriptedTransport(clock, () => status(200));
    const restarted = new WebhookDispatcher({ endpoints: endpointStore, deliveries, transport: okTransport, clock }, { retryScheduleMs: [0, 5000, 5000], jitterRatio: 0 });
    await restarted.start();
    await clock.advance(3000);
    expect(okTransport.calls).toHaveLength(0);
    await clock.advance(2000);
    expect(okTransport.calls.map((c) => [c.at - start, c.headers['webhook-id']])).toEqual([[5000, 'm']]);
    expect(transport.calls).toHaveLength(1);
    expect(await deliveries.listPending()).toEqual([]);
  });

  it('a stuck endpoint does not delay the others', async () => {
    const { dispatcher, clock, transport } = setup((_req, url) => (url.includes('a.') ? new Promise<WebhookTransportResult>(() => undefined) : status(200)));
    await dispatcher.start();
    for (let i = 0; i < 5; i += 1) await dispatcher.enqueue({ eventType: 't', payload: { i }, endpointIds: ['a', 'b'] });
    await clock.advance(0);
    expect(transport.calls.filter((c) => c.url.includes('b.'))).toHaveLength(5);
    expect(transport.calls.filter((c) => c.url.includes('a.'))).toHaveLength(1);
  });
});
