import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '@spendguard/config';
import type { ControlCommand, PolicyReplacedCommand } from '@spendguard/contracts/control-command';
import { clickhouseFor, startApi, testConfig, testEnv } from '../support/spendguard';
import { TopicReader, call, insertIncident } from './control-plane-support';

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const HOUR = 3600_000;

interface IncidentBody {
  id: string;
  state: string;
  accountId: string;
  keyId?: string;
  transitions?: unknown[];
  reportUrl: string;
}

describe('control plane: incidents, policies, webhooks', () => {
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let clickhouse: ClickHouseClient;
  let commands: TopicReader;
  const now = Date.now();

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-webhooks-'));
    const endpointsFile = join(dir, 'endpoints.json');
    writeFileSync(
      endpointsFile,
      JSON.stringify([
        { id: 'ops-hook', url: 'https://hooks.example.com/spendguard?token=abc', secret: WEBHOOK_SECRET, description: 'ops channel' },
        { id: 'sec-hook', url: 'https://sec.example.com/in', secret: WEBHOOK_SECRET },
      ]),
    );
    config = testConfig(testEnv({ WEBHOOK_ENDPOINTS_FILE: endpointsFile, PUBLIC_BASE_URL: 'https://spendguard.example.com' }));
    api = await startApi(config);
    clickhouse = clickhouseFor(config);
    commands = new TopicReader(config.TOPIC_CONTROL_COMMANDS);
    await commands.start();

    await insertIncident(clickhouse, { id: 'inc-a', accountId: 'acct-1', keyId: 'kf-1', openedAt: now - 3 * HOUR });
    // A later version of inc-a, acknowledged (ReplacingMergeTree keeps both until merged).
    await insertIncident(clickhouse, { id: 'inc-a', accountId: 'acct-1', keyId: 'kf-1', openedAt: now - 3 * HOUR, updatedAt: now - 2 * HOUR, state: 'acknowledged' });
    await insertIncident(clickhouse, { id: 'inc-b', accountId: 'acct-1', keyId: 'kf-2', openedAt: now - 2 * HOUR });
    await insertIncident(clickhouse, { id: 'inc-c', accountId: 'acct-2', keyId: 'kf-9', openedAt: now - HOUR, state: 'resolved', resolvedAt: now - 30 * 60_000 });
    // Opened last month: another partition of the incidents table.
    await insertIncident(clickhouse, { id: 'inc-old', accountId: 'acct-2', openedAt: now - 40 * 24 * HOUR, family: 'cap' });
    await clickhouse.insert({
      table: 'webhook_attempts',
      format: 'JSONEachRow',
      values: [1, 2].map((attempt) => ({
        endpoint_id: 'ops-hook',
        message_id: 'msg_1',
        delivery_id: 'msg_1:ops-hook',
        event_type: 'incident.opened',
        attempt,
        at_ms: now - HOUR + attempt * 5000,
        status_code: attempt === 1 ? 503 : 200,
        outcome: attempt === 1 ? 'retry-scheduled' : 'delivered',
        latency_ms: 40,
        error: attempt === 1 ? 'HTTP 503' : '',
      })),
    });
  });

  afterAll(async () => {
    await commands?.stop();
    await api?.app.close();
    await clickhouse?.close();
  });

  it('lists incidents with filters, latest version of each', async () => {
    const all = await call<{ incidents: IncidentBody[] }>(api.url, 'GET', '/v1/incidents');
    expect(all.status).toBe(200);
    expect(all.body.incidents.map((i) => i.id)).toEqual(['inc-c', 'inc-b', 'inc-a', 'inc-old']);
    expect(all.body.incidents.find((i) => i.id === 'inc-a')?.state).toBe('acknowledged');
    expect(all.body.incidents[0].transitions).toBeUndefined();
    expect(JSON.stringify(all.body)).not.toContain('R0UT1NGKEY');

    const open = await call<{ incidents: IncidentBody[] }>(api.url, 'GET', '/v1/incidents?state=open&accountId=acct-1');
    expect(open.body.incidents.map((i) => i.id)).toEqual(['inc-b']);
    const byKey = await call<{ incidents: IncidentBody[] }>(api.url, 'GET', '/v1/incidents?keyId=kf-9&limit=1');
    expect(byKey.body.incidents.map((i) => i.id)).toEqual(['inc-c']);

    const bad = await call<{ errors: string[] }>(api.url, 'GET', '/v1/incidents?state=burning&limit=0&color=red');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toHaveLength(3);
  });

  it('gets one incident with its transitions and report link; 404 when unknown', async () => {
    const one = await call<IncidentBody>(api.url, 'GET', '/v1/incidents/inc-b');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'inc-b', state: 'open', accountId: 'acct-1', keyId: 'kf-2', reportUrl: 'https://spendguard.example.com/v1/incidents/inc-b/report' });
    expect(one.body.transitions).toHaveLength(1);
    expect((await call(api.url, 'GET', '/v1/incidents/inc-nope')).status).toBe(404);
  });

  it('acknowledges and resolves through commands to the worker (202), 409 on a resolved incident', async () => {
    const ack = await call<{ commandId: string }>(api.url, 'POST', '/v1/incidents/inc-b/acknowledge', { body: { note: 'looking' } });
    expect(ack.status).toBe(202);
    const resolve = await call<{ commandId: string }>(api.url, 'POST', '/v1/incidents/inc-b/resolve', { body: {} });
    expect(resolve.status).toBe(202);
    const ackCommand = await commands.waitForValue<ControlCommand>('ack command', (c) => c.commandId === ack.body.commandId);
    expect(ackCommand).toMatchObject({ v: 1, type: 'incident.acknowledge', incidentId: 'inc-b', accountId: 'acct-1', actor: 'admin:tester', note: 'looking' });
    await commands.waitForValue<ControlCommand>('resolve command', (c) => c.commandId === resolve.body.commandId && c.type === 'incident.resolve');

    expect((await call(api.url, 'POST', '/v1/incidents/inc-c/resolve', { body: {} })).status).toBe(409);
    expect((await call(api.url, 'POST', '/v1/incidents/inc-zzz/acknowledge', { body: {} })).status).toBe(404);
    expect((await call(api.url, 'POST', '/v1/incidents/inc-b/acknowledge', { body: { note: 'n'.repeat(1001) } })).status).toBe(400);
  });

  it('validates a policy with both libraries and lists every error at once', async () => {
    const res = await call<{ message: string; errors: string[] }>(api.url, 'PUT', '/v1/accounts/acct-1/policy', {
      body: {
        detection: { caps: { dayUsd: -5 }, thresholds: { zscore: 'high' }, bogus: 1 },
        routing: { pagerduty: { routingKey: 'short', severities: [] }, webhooks: [{ endpointId: 'not-configured', severities: ['critical'] }] },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^detection\.caps\.dayUsd: /),
        expect.stringMatching(/^detection\.thresholds\.zscore: /),
        expect.stringMatching(/^detection(\.bogus)?: .*bogus|^detection: .*Unrecognized/),
        expect.stringMatching(/^routing\.pagerduty\.routingKey: /),
        expect.stringMatching(/^routing\.pagerduty\.severities: /),
      ]),
    );
    expect(res.body.errors.length).toBeGreaterThanOrEqual(5);
    const unknownEndpoint = await call<{ errors: string[] }>(api.url, 'PUT', '/v1/accounts/acct-1/policy', {
      body: { routing: { webhooks: [{ endpointId: 'not-configured', severities: ['critical'] }] } },
    });
    expect(unknownEndpoint.body.errors).toEqual(['routing.webhooks.0.endpointId: unknown endpoint not-configured']);
    expect((await call(api.url, 'PUT', '/v1/accounts/acct-1/policy', { body: { detections: {} } })).status).toBe(400);
  });

  it('stores a valid policy with a version, serves it, and tells the worker', async () => {
    expect((await call(api.url, 'GET', '/v1/accounts/acct-1/policy')).body).toEqual({ accountId: 'acct-1', version: 0, policy: {} });
    const policy = { detection: { caps: { dayUsd: 200 } }, routing: { autoSuspend: { novelty: true }, webhooks: [{ endpointId: 'ops-hook', severities: ['critical'] }] } };
    const first = await call<{ version: number; commandId: string }>(api.url, 'PUT', '/v1/accounts/acct-1/policy', { body: policy });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(1);
    const second = await call<{ version: number; commandId: string }>(api.url, 'PUT', '/v1/accounts/acct-1/policy', { body: { routing: { pagerduty: null } } });
    expect(second.body.version).toBe(2);
    expect((await call(api.url, 'GET', '/v1/accounts/acct-1/policy')).body).toEqual({ accountId: 'acct-1', version: 2, policy: { routing: { pagerduty: null } }, changedBy: 'admin:tester' });
    const command = await commands.waitForValue<PolicyReplacedCommand>('policy.replaced', (c) => c.commandId === first.body.commandId);
    expect(command).toMatchObject({ type: 'policy.replaced', accountId: 'acct-1', policy });
  });

  it('lists webhook endpoints without secrets, and their delivery log', async () => {
    const list = await call<{ endpoints: Record<string, unknown>[] }>(api.url, 'GET', '/v1/webhooks/endpoints');
    expect(list.body.endpoints).toEqual([
      { id: 'ops-hook', url: 'https://hooks.example.com/spendguard?…', description: 'ops channel' },
      { id: 'sec-hook', url: 'https://sec.example.com/in' },
    ]);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const log = await call<{ attempts: { attempt: number; statusCode: number; outcome: string }[] }>(api.url, 'GET', '/v1/webhooks/endpoints/ops-hook/deliveries?limit=10');
    expect(log.body.attempts.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [2, 200, 'delivered'],
      [1, 503, 'retry-scheduled'],
    ]);
    expect((await call(api.url, 'GET', '/v1/webhooks/endpoints/nope/deliveries')).status).toBe(404);
    expect((await call(api.url, 'GET', '/v1/webhooks/endpoints/ops-hook/deliveries?limit=abc')).status).toBe(400);
  });

  it('serves the OpenAPI document with the control-plane routes', async () => {
    const doc = await call<{ paths: Record<string, unknown> }>(api.url, 'GET', '/openapi.json', { token: null });
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/keys/{keyId}/suspend',
        '/v1/keys/{keyId}/resume',
        '/v1/keys/{keyId}/status',
        '/v1/keys/{keyId}/history',
        '/v1/reports',
        '/v1/incidents',
        '/v1/incidents/{incidentId}',
        '/v1/incidents/{incidentId}/report',
        '/v1/incidents/{incidentId}/acknowledge',
        '/v1/incidents/{incidentId}/resolve',
        '/v1/accounts/{accountId}/policy',
        '/v1/webhooks/endpoints',
        '/v1/webhooks/endpoints/{endpointId}/deliveries',
        '/v1/audit',
      ]),
    );
  });
});
