import type { LookupAddress } from 'node:dns';
import { WebhookReceiver } from '../../../../test/support/contract-servers/webhook-receiver';
import { buildIncidentWebhookPayload, webhookMessageId } from './webhook-payload';
import { InMemoryWebhookDeliveryStore, InMemoryWebhookEndpointStore } from './delivery-store';
import { EgressGuard, isPrivateAddress, normalizeAddress, type Resolver } from './ssrf-guard';
import { WebhookDispatcher, type DispatcherEvent } from './webhook-dispatcher';
import { signWebhook } from './webhook-signer';
import { NodeHttpWebhookTransport, validateWebhookUrl } from './webhook-transport';

/** Resolves every name in `table`; anything else is unknown. */
function fakeResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { calls });
}

async function waitForEvents(events: DispatcherEvent[], type: DispatcherEvent['type'], count: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (events.filter((e) => e.type === type).length < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} ${type} events`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const loopbackAllowed = (resolver?: Resolver) => new NodeHttpWebhookTransport({ allowHttp: true, guard: new EgressGuard({ cidrs: ['127.0.0.0/8'] }, resolver) });

describe('SSRF address classification', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '0.1.2.3',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1', '::127.0.0.1', '224.0.0.1', '255.255.255.255', 'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('permits %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('normalizes IPv4-mapped forms to IPv4', () => {
    expect(normalizeAddress('::ffff:7f00:1')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(normalizeAddress('::FFFF:127.0.0.1')).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('allow-lists CIDRs and hosts', () => {
    const guard = new EgressGuard({ cidrs: ['127.0.0.0/8', 'fd00::/8'], hosts: ['hooks.internal'] });
    expect(guard.isAllowed('127.0.0.1')).toBe(true);
    expect(guard.isAllowed('::ffff:127.0.0.1')).toBe(true);
    expect(guard.isAllowed('fd00::5')).toBe(true);
    expect(guard.isAllowed('10.0.0.1')).toBe(false);
    expect(guard.isAllowed('10.0.0.1', 'HOOKS.internal')).toBe(true);
    expect(() => new EgressGuard({ cidrs: ['nonsense/8'] })).toThrow(/invalid CIDR/);
  });

  it('accepts only https URLs unless http is allowed', () => {
    expect(validateWebhookUrl('https://example.com/hook')).toBeUndefined();
    expect(validateWebhookUrl('http://example.com/hook')).toBe('URL must be https');
    expect(validateWebhookUrl('http://example.com/hook', { allowHttp: true })).toBeUndefined();
    expect(validateWebhookUrl('https://user:pw@example.com/')).toMatch(/credentials/);
    expect(validateWebhookUrl('ftp://example.com/')).toBe('URL must be https');
  });
});

describe('NodeHttpWebhookTransport against the contract receiver', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  const send = (transport: NodeHttpWebhookTransport, url: string, body = '{"ok":true}') =>
    transport.send({ url, body, timeoutMs: 2000, headers: { ...signWebhook(receiver.secret, 'msg_t', new Date(), body) } });

  it('signs so that the standardwebhooks verifier accepts it', async () => {
    const result = await send(loopbackAllowed(), receiver.url);
    expect(result).toMatchObject({ kind: 'response', status: 204 });
    expect(receiver.deliveries).toEqual([expect.objectContaining({ messageId: 'msg_t', payload: { ok: true } })]);
  });

  it('is rejected with 401 when signed with another secret or an old timestamp', async () => {
    const transport = loopbackAllowed();
    const body = '{}';
    const wrong = await transport.send({ url: receiver.url, body, timeoutMs: 2000, headers: { ...signWebhook('whsec_' + Buffer.alloc(32, 7).toString('base64'), 'm', new Date(), body) } });
    const old = await transport.send({ url: receiver.url, body, timeoutMs: 2000, headers: { ...signWebhook(receiver.secret, 'm', new Date(Date.now() - 10 * 60_000), body) } });
    expect([wrong, old].map((r) => r.kind === 'response' && r.status)).toEqual([401, 401]);
    expect(receiver.deliveries).toEqual([]);
    expect(receiver.rejected).toHaveLength(2);
  });

  it('refuses a hostname resolving to loopback at connect time, with no allow-list', async () => {
    const resolver = fakeResolver({ 'evil.test': ['127.0.0.1'], 'mapped.test': ['::ffff:127.0.0.1'] });
    const transport = new NodeHttpWebhookTransport({ allowHttp: true, guard: new EgressGuard({}, resolver) });
    const direct = await send(transport, `http://evil.test:${receiver.port}/hooks/spendguard`);
    const mapped = await send(transport, `http://mapped.test:${receiver.port}/hooks/spendguard`);
    expect(direct).toMatchObject({ kind: 'error', error: 'ssrf-blocked' });
    expect(mapped).toMatchObject({ kind: 'error', error: 'ssrf-blocked' });
    expect(resolver.calls).toEqual(['evil.test', 'mapped.test']);
    expect(receiver.requestCount).toBe(0);
  });

  it('checks the address of the connection itself: a rebinding answer at connect time is refused', async () => {
    let answer = '93.184.216.34';
    const rebinding: Resolver = async () => {
      const current = answer;
      answer = '127.0.0.1';
      return [{ address: current, family: 4 }];
    };
    const transport = new NodeHttpWebhookTransport({ allowHttp: true, guard: new EgressGuard({}, rebinding) });
    // a pre-flight check in the application would have seen the public address
    await rebinding('rebind.test');
    expect(await send(transport, `http://rebind.test:${receiver.port}/hooks/spendguard`)).toMatchObject({ kind: 'error', error: 'ssrf-blocked' });
    expect(receiver.requestCount).toBe(0);
  });

  it('refuses loopback IP literals, including IPv4-mapped IPv6, and localhost', async () => {
    const transport = new NodeHttpWebhookTransport({ allowHttp: true });
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]', 'localhost']) {
      expect(await send(transport, `http://${host}:${receiver.port}/hooks/spendguard`)).toMatchObject({ kind: 'error', error: 'ssrf-blocked' });
    }
    expect(receiver.requestCount).toBe(0);
  });

  it('connects to a pinned loopback address when the allow-list permits it', async () => {
    const resolver = fakeResolver({ 'hooks.test': ['::ffff:127.0.0.1'] });
    const result = await send(loopbackAllowed(resolver), `http://hooks.test:${receiver.port}/hooks/spendguard`);
    expect(result).toMatchObject({ kind: 'response', status: 204 });
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('refuses http:// unless allowed', async () => {
    const transport = new NodeHttpWebhookTransport({ guard: new EgressGuard({ cidrs: ['127.0.0.0/8'] }) });
    expect(await send(transport, receiver.url)).toMatchObject({ kind: 'error', error: 'invalid-url' });
  });

  it('does not follow redirects and reports Retry-After', async () => {
    receiver.respondNext(1, { kind: 'status', status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    receiver.respondNext(1, { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const transport = loopbackAllowed();
    expect(await send(transport, receiver.url)).toMatchObject({ kind: 'response', status: 302 });
    expect(await send(transport, receiver.url)).toMatchObject({ kind: 'response', status: 429, retryAfter: '7' });
    expect(receiver.requestCount).toBe(2);
  });

  it('times out a slow endpoint', async () => {
    receiver.respondNext(1, { kind: 'slow', delayMs: 500 });
    const transport = loopbackAllowed();
    const result = await transport.send({ url: receiver.url, body: '{}', timeoutMs: 50, headers: { ...signWebhook(receiver.secret, 'm', new Date(), '{}') } });
    expect(result).toMatchObject({ kind: 'error', error: 'timeout' });
  });
});

describe('WebhookDispatcher over HTTP (compressed schedule)', () => {
  const receivers: WebhookReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
  });

  async function setup(count: number, options: { timeoutMs?: number } = {}) {
    const started = await Promise.all(Array.from({ length: count }, () => WebhookReceiver.start()));
    receivers.push(...started);
    const endpoints = new InMemoryWebhookEndpointStore(started.map((r, i) => ({ id: `ep${i}`, url: r.url, secret: r.secret, enabled: true })));
    const deliveries = new InMemoryWebhookDeliveryStore();
    const events: DispatcherEvent[] = [];
    const dispatcher = new WebhookDispatcher(
      { endpoints, deliveries, transport: loopbackAllowed(), onEvent: (e) => events.push(e) },
      { retryScheduleMs: [0, 20, 40, 80, 160, 320], jitterRatio: 0.1, maxRetryAfterMs: 50, timeoutMs: options.timeoutMs ?? 2000 },
    );
    await dispatcher.start();
    return { receivers: started, endpoints, deliveries, events, dispatcher };
  }

  it('delivers a signed incident payload the receiver verifies', async () => {
    const { receivers: [receiver], dispatcher } = await setup(1);
    const incidentAt = Date.UTC(2026, 2, 1);
    const payload = buildIncidentWebhookPayload('incident.opened', {
      id: 'inc_1', dedupKey: 'sg:a:k:burst', accountId: 'a', keyId: 'k', family: 'burst', state: 'open', severity: 'critical',
      openedAt: incidentAt, updatedAt: incidentAt, lastFindingAt: incidentAt, firstFindingTime: new Date(incidentAt).toISOString(), findingCount: 1,
      detectors: ['spike-ratio'], novelValues: [], recentFindingIds: [], notifiedEndpointIds: [], suspendRequested: true, reopenCount: 0, transitions: [],
      peak: { findingId: 'f', detector: 'spike-ratio', metric: 'cost_usd', observed: 50, expected: 1, score: 50, threshold: 10, explanation: 'x', time: '' },
    }, incidentAt, { keyDisplay: 'sk-…a1b2', spendSoFarUsd: 50 });
    const messageId = webhookMessageId('inc_1', 'incident.opened', incidentAt);
    await dispatcher.enqueue({ messageId, eventType: 'incident.opened', payload, endpointIds: ['ep0'] });
    const [delivery] = await receiver!.waitForDeliveries(1);
    expect(delivery).toMatchObject({ messageId, payload: { type: 'incident.opened', data: { incidentId: 'inc_1', keyDisplay: 'sk-…a1b2', spendSoFarUsd: 50 } } });
    await dispatcher.stop();
  });

  it('delivers after the receiver comes back up, with the same webhook-id', async () => {
    const { receivers: [receiver], dispatcher, deliveries, events } = await setup(1);
    await receiver!.goDown();
    await dispatcher.enqueue({ messageId: 'msg_down', eventType: 't', payload: { n: 1 }, endpointIds: ['ep0'] });
    await waitForEvents(events, 'retry-scheduled', 2);
    await receiver!.comeBack();
    const [delivery] = await receiver!.waitForDeliveries(1);
    await waitForEvents(events, 'delivered', 1);
    expect(delivery?.messageId).toBe('msg_down');
    const log = (await deliveries.listAttempts({ messageId: 'msg_down' })).reverse();
    expect(log.slice(0, 2).map((a) => a.outcome)).toEqual(['retry-scheduled', 'retry-scheduled']);
    expect(log[0]?.error).toMatch(/network/);
    expect(log.at(-1)).toMatchObject({ outcome: 'delivered', status: 204 });
    await dispatcher.stop();
  });

  it('disables the endpoint on 410, retries a 302 and honours a capped Retry-After', async () => {
    const { receivers: [gone, flaky], dispatcher, endpoints, deliveries, events } = await setup(2);
    gone!.setDefault({ kind: 'status', status: 410 });
    flaky!.respondNext(1, { kind: 'status', status: 302, headers: { location: 'https://example.com' } });
    flaky!.respondNext(1, { kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    await dispatcher.enqueue({ messageId: 'm', eventType: 't', payload: {}, endpointIds: ['ep0', 'ep1'] });
    await flaky!.waitForDeliveries(1);
    await waitForEvents(events, 'delivered', 1);
    expect(flaky!.deliveries.map((d) => d.answeredWith)).toEqual([302, 429, 204]);
    expect(await endpoints.get('ep0')).toMatchObject({ enabled: false, disabledReason: 'gone' });
    expect(gone!.requestCount).toBe(1);
    const flakyLog = (await deliveries.listAttempts({ endpointId: 'ep1' })).reverse();
    expect(flakyLog[2]!.at - flakyLog[1]!.at).toBeGreaterThanOrEqual(45); // Retry-After 1 s capped at 50 ms, above the 40 ms step
    await dispatcher.stop();
  });

  it('one slow endpoint does not delay the others', async () => {
    const { receivers: [slow, fast], dispatcher } = await setup(2, { timeoutMs: 5000 });
    slow!.setDefault({ kind: 'slow', delayMs: 600 });
    const started = Date.now();
    for (let i = 0; i < 3; i += 1) await dispatcher.enqueue({ eventType: 't', payload: { i }, endpointIds: ['ep0', 'ep1'] });
    await fast!.waitForDeliveries(3);
    expect(Date.now() - started).toBeLessThan(500);
    expect(slow!.deliveries).toHaveLength(0);
    await slow!.stop();
    await dispatcher.stop();
  });
});
