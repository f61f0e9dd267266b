import type { Finding } from '@spendguard/contracts/finding';
import { PagerDutyServer } from '../../../../test/support/contract-servers/pagerduty-server';
import { IncidentEngine } from '../incidents/incident-engine';
import type { Incident } from '../incidents/incident.types';
import { RoutingPolicyBook, withGlobalChannels } from '../policy/routing-policy';
import { ManualClock } from '../testing/manual-clock';
import { PagerDutyClient, type PagerDutyClientOptions } from './pagerduty-client';
import { buildTriggerEvent, incidentSummary, MAX_SUMMARY_LENGTH } from './pagerduty-event';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const OTHER_KEY = 'Z0123456789abcdef0123456789abcde';
const T0 = Date.UTC(2026, 2, 1, 3, 0, 0);

function openIncident(overrides: Partial<Finding> = {}): Incident {
  const engine = new IncidentEngine(new RoutingPolicyBook(withGlobalChannels({ version: 1 }, { pagerdutyRoutingKey: ROUTING_KEY })));
  const finding: Finding = {
    v: 1, id: 'f-1', time: new Date(T0).toISOString(), accountId: 'acct_1', keyId: 'key_1', detector: 'spike-ratio', metric: 'cost_usd',
    observed: 412.5, expected: 3.2, score: 129, threshold: 10, severity: 'critical', explanation: 'Spend is 129x the baseline', ...overrides,
  };
  return engine.onFinding(finding, T0 + 30_000)!.incident;
}

const context = {
  keyDisplay: 'sk-or-…a1b2', spendSoFarUsd: 1250.5, windowLabel: 'the current minute', reportUrl: 'https://spendguard.example/v1/incidents/inc_1/report',
  topModels: [{ model: 'gpt-4o', costUsd: 1000 }], ips: ['203.0.113.9'], countries: ['KP'],
};

/** Fast retries so the tests against the real server take milliseconds. */
const fast: PagerDutyClientOptions = { baseDelayMs: 2, maxDelayMs: 10, rateLimitDelayMs: 5, maxAttempts: 5, timeoutMs: 2000 };

describe('PagerDuty event building', () => {
  it('says what, which key, how much and since when', () => {
    const summary = incidentSummary(openIncident(), context);
    expect(summary).toBe(
      'Spend burst on key sk-or-…a1b2 (account acct_1): $413 in the current minute vs $3.20 expected (129x), $1250.50 spent so far, since 2026-03-01T03:00:00.000Z',
    );
  });

  it('keeps the summary within 1024 characters', () => {
    const summary = incidentSummary(openIncident(), { ...context, keyDisplay: 'k'.repeat(5000) });
    expect(summary.length).toBe(MAX_SUMMARY_LENGTH);
  });

  it('maps severity and fills component, group, class, custom_details and links', () => {
    const event = buildTriggerEvent(openIncident(), context, { routingKey: ROUTING_KEY });
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'sg:acct_1:key_1:burst',
      payload: { source: 'spendguard', severity: 'critical', component: 'key_1', group: 'acct_1', class: 'burst' },
      links: [{ href: context.reportUrl, text: 'spendguard incident report' }],
    });
    expect(event.payload?.custom_details).toMatchObject({
      observed: 412.5, expected: 3.2, ratio: 128.91, top_models: context.topModels, ips: ['203.0.113.9'], countries: ['KP'], spend_so_far_usd: 1250.5,
    });
    expect(buildTriggerEvent(openIncident({ severity: 'warning' }), {}, { routingKey: ROUTING_KEY }).payload?.severity).toBe('warning');
  });
});

describe('PagerDutyClient against the contract server', () => {
  let server: PagerDutyServer;
  beforeEach(async () => {
    server = await PagerDutyServer.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('triggers: 202 and one alert', async () => {
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    const event = buildTriggerEvent(openIncident(), context, { routingKey: ROUTING_KEY });
    const result = await client.send(event);
    expect(result).toEqual({ ok: true, status: 202, dedupKey: 'sg:acct_1:key_1:burst', attempts: 1 });
    expect(server.alerts).toEqual([expect.objectContaining({ dedupKey: 'sg:acct_1:key_1:burst', status: 'triggered', severity: 'critical' })]);
  });

  it('retries 429 a few times and still opens exactly one alert', async () => {
    server.failNext(3, 429);
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    const result = await client.send(buildTriggerEvent(openIncident(), context, { routingKey: ROUTING_KEY }));
    expect(result).toMatchObject({ ok: true, attempts: 4 });
    expect(server.requestCount).toBe(4);
    expect(server.alerts).toHaveLength(1);
  });

  it('retries 5xx and network errors, then gives up with a typed result', async () => {
    server.failNext(2, 503);
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    expect(await client.resolve(ROUTING_KEY, 'sg:x:*:cap')).toMatchObject({ ok: true, attempts: 3 });

    server.failNext(5, 500);
    expect(await client.acknowledge(ROUTING_KEY, 'sg:x:*:cap')).toEqual({ ok: false, reason: 'retries-exhausted', status: 500, error: 'HTTP 500', attempts: 5 });

    const unreachable = new PagerDutyClient({ ...fast, baseUrl: 'http://127.0.0.1:1' });
    expect(await unreachable.resolve(ROUTING_KEY, 'k')).toMatchObject({ ok: false, reason: 'retries-exhausted', attempts: 5 });
  });

  it('does not retry a 400', async () => {
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    const event = { ...buildTriggerEvent(openIncident(), context, { routingKey: ROUTING_KEY }), images: [{ src: 'http://insecure.example/chart.png' }] };
    const result = await client.send(event);
    expect(result).toEqual({ ok: false, reason: 'rejected', status: 400, errors: ["'images[0].src' must be an https URL"], attempts: 1 });
    expect(server.requestCount).toBe(1);
    expect(server.alerts).toEqual([]);
  });

  it('refuses locally an event that breaks the contract', async () => {
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    expect(await client.resolve('short', 'k')).toMatchObject({ ok: false, reason: 'invalid-event', errors: ['routing_key must be 32 characters'] });
    expect(await client.resolve(ROUTING_KEY, 'k'.repeat(256))).toMatchObject({ ok: false, reason: 'invalid-event' });
    expect(server.requestCount).toBe(0);
  });

  it('keeps a resolve behind its retried trigger (ordering per dedup key)', async () => {
    server.failNext(2, 429);
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    const incident = openIncident();
    const trigger = client.send(buildTriggerEvent(incident, context, { routingKey: ROUTING_KEY }));
    const ack = client.acknowledge(ROUTING_KEY, incident.dedupKey);
    const resolve = client.resolve(ROUTING_KEY, incident.dedupKey);
    const results = await Promise.all([trigger, ack, resolve]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(server.alerts).toHaveLength(1);
    expect(server.alerts[0]).toMatchObject({ status: 'resolved', actions: ['trigger', 'acknowledge', 'resolve'] });
  });

  it('plays PagerDuty dedup semantics: update while open, new alert after resolve, other routing key dropped', async () => {
    const client = new PagerDutyClient({ ...fast, baseUrl: server.url });
    const incident = openIncident();
    const event = buildTriggerEvent(incident, context, { routingKey: ROUTING_KEY });
    await client.send(event);
    await client.send(event);
    expect(server.alerts).toHaveLength(1);
    expect(server.alerts[0]?.triggerCount).toBe(2);
    await client.resolve(OTHER_KEY, incident.dedupKey);
    expect(server.received.at(-1)?.effect).toBe('dropped');
    expect(server.openAlerts()).toHaveLength(1);
    await client.resolve(ROUTING_KEY, incident.dedupKey);
    await client.send(event);
    expect(server.alertsFor(incident.dedupKey).map((a) => a.status)).toEqual(['resolved', 'triggered']);
  });

  it('the server enforces the contract field by field', async () => {
    const post = (body: unknown) => fetch(`${server.url}/v2/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ routing_key: 'x', event_action: 'trigger', dedup_key: 'd'.repeat(300), payload: { summary: 's'.repeat(1025), severity: 'urgent' } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: string[] };
    expect(body.errors).toEqual([
      "'routing_key' must be a 32 character string",
      "'dedup_key' must be a string of at most 255 characters",
      "'payload.summary' must be at most 1024 characters",
      "'payload.source' is required",
      "'payload.severity' must be one of critical, error, warning, info",
    ]);
    const badAction = await post({ routing_key: ROUTING_KEY, event_action: 'explode' });
    expect(((await badAction.json()) as { errors: string[] }).errors).toEqual(["'event_action' must be one of trigger, acknowledge, resolve"]);
    const resolveWithoutKey = await post({ routing_key: ROUTING_KEY, event_action: 'resolve' });
    expect(((await resolveWithoutKey.json()) as { errors: string[] }).errors).toEqual(["'dedup_key' is required for resolve"]);
    const huge = await post({ routing_key: ROUTING_KEY, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info', custom_details: { blob: 'x'.repeat(600 * 1024) } } });
    expect(huge.status).toBe(400);
    const noKey = await post({ routing_key: ROUTING_KEY, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } });
    expect(noKey.status).toBe(202);
    expect(((await noKey.json()) as { status: string; message: string; dedup_key: string })).toMatchObject({ status: 'success', message: 'Event processed', dedup_key: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });
});

describe('PagerDutyClient backoff (fake clock)', () => {
  function scripted(statuses: number[], retryAfter?: string) {
    const calls: number[] = [];
    const clock = new ManualClock(T0);
    const fakeFetch: typeof fetch = async () => {
      calls.push(clock.now() - T0);
      const status = statuses.shift() ?? 202;
      return new Response(JSON.stringify(status === 202 ? { status: 'success', dedup_key: 'k' } : { errors: ['x'] }), {
        status,
        headers: retryAfter ? { 'retry-after': retryAfter } : {},
      });
    };
    return { calls, clock, fakeFetch };
  }

  it('backs off exponentially with jitter on 5xx, capped', async () => {
    const { calls, clock, fakeFetch } = scripted([500, 502, 503, 500, 500]);
    const client = new PagerDutyClient({ fetch: fakeFetch, clock, random: () => 0.5, baseDelayMs: 1000, maxDelayMs: 5000, maxAttempts: 6 });
    const result = client.resolve(ROUTING_KEY, 'k');
    await clock.advance(60_000);
    expect(await result).toMatchObject({ ok: true, attempts: 6 });
    expect(calls).toEqual([0, 1000, 3000, 7000, 12000, 17000]);
  });

  it('waits long after a 429 (PagerDuty suggests minutes), or as long as Retry-After says', async () => {
    const { calls, clock, fakeFetch } = scripted([429, 429]);
    const client = new PagerDutyClient({ fetch: fakeFetch, clock, random: () => 0.5 });
    const result = client.resolve(ROUTING_KEY, 'k');
    await clock.advance(10 * 60_000);
    expect(await result).toMatchObject({ ok: true, attempts: 3 });
    expect(calls).toEqual([0, 60_000, 120_000]);

    const withHeader = scripted([429], '300');
    const client2 = new PagerDutyClient({ fetch: withHeader.fakeFetch, clock: withHeader.clock, random: () => 0.5 });
    const result2 = client2.resolve(ROUTING_KEY, 'k');
    await withHeader.clock.advance(10 * 60_000);
    expect(await result2).toMatchObject({ ok: true, attempts: 2 });
    expect(withHeader.calls).toEqual([0, 300_000]);
  });
});
