import type { INestApplication } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '@spendguard/config';
import type { KeyStatus } from '@spendguard/contracts/key-status';
import { ADMIN_TOKEN, GATEWAY_TOKEN, clickhouseFor, kafkaFor, queryRows, startApi, testConfig, testEnv, waitFor } from '../support/spendguard';
import { TopicReader, call } from './control-plane-support';

const READER_TOKEN = 'test-reader-token-0123456789';

interface AuditRow {
  actor: string;
  action: string;
  target: string;
  request_id: string;
  outcome: string;
  details: string;
}

describe('admin auth, audit and the kill switch', () => {
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let clickhouse: ClickHouseClient;
  let keyStatusTopic: TopicReader;

  beforeAll(async () => {
    const env = testEnv();
    config = testConfig({ ...env, ADMIN_TOKENS: `${env.ADMIN_TOKENS},reader:${READER_TOKEN}`, ADMIN_SCOPES: 'reader:read' });
    // A suspension published before the api starts (as the worker's auto-suspend would) is loaded at start.
    const producer = kafkaFor().producer();
    await producer.connect();
    const earlier: KeyStatus = {
      v: 1,
      keyId: 'kf-preloaded',
      accountId: 'acct-1',
      status: 'suspended',
      changedAt: new Date().toISOString(),
      changedBy: 'policy:auto-suspend',
      reason: 'burst drain',
      incidentId: 'inc-pre',
    };
    const admin = kafkaFor().admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: config.TOPIC_KEY_STATUS, numPartitions: 4, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    await admin.disconnect();
    await producer.send({ topic: config.TOPIC_KEY_STATUS, messages: [{ key: earlier.keyId, value: JSON.stringify(earlier) }] });
    await producer.disconnect();

    api = await startApi(config);
    clickhouse = clickhouseFor(config);
    keyStatusTopic = new TopicReader(config.TOPIC_KEY_STATUS);
    await keyStatusTopic.start();
    await waitFor('readyz', async () => (await call(api.url, 'GET', '/readyz', { token: null })).status === 200, 30_000);
  });

  afterAll(async () => {
    await keyStatusTopic?.stop();
    await api?.app.close();
    await clickhouse?.close();
  });

  async function auditRows(where: string): Promise<AuditRow[]> {
    return queryRows<AuditRow>(clickhouse, `SELECT actor, action, target, request_id, outcome, details FROM admin_audit WHERE ${where}`);
  }

  it('reports key-status readiness in /readyz', async () => {
    const ready = await call<{ info: { keyStatus: { keys: number; suspended: number } } }>(api.url, 'GET', '/readyz', { token: null });
    expect(ready.body.info.keyStatus).toMatchObject({ keys: 1, suspended: 1, partitionsBehind: 0 });
  });

  it('refuses admin calls without a valid token (401) and audits them, never with the token', async () => {
    const none = await call(api.url, 'GET', '/v1/incidents', { token: null, headers: { 'x-request-id': 'req-no-token' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('x-request-id')).toBe('req-no-token');
    const bad = await call(api.url, 'POST', '/v1/keys/kf-1/suspend', { token: 'not-a-valid-token-at-all-xyz', body: {}, headers: { 'x-request-id': 'req-bad-token' } });
    expect(bad.status).toBe(401);
    await waitFor('audit rows of the 401s', async () => (await auditRows(`request_id IN ('req-no-token', 'req-bad-token')`)).length === 2, 15_000);
    const rows = await auditRows(`request_id IN ('req-no-token', 'req-bad-token') ORDER BY request_id`);
    expect(rows.map((r) => [r.request_id, r.actor, r.action, r.target, r.outcome])).toEqual([
      ['req-bad-token', 'anonymous', 'keys.suspend', 'key:kf-1', 'unauthenticated'],
      ['req-no-token', 'anonymous', 'incidents.read', '', 'unauthenticated'],
    ]);
    expect(JSON.parse(rows[0].details)).toMatchObject({ status: 401, error: 'invalid admin token' });
    expect(rows.some((r) => r.details.includes('not-a-valid-token'))).toBe(false);
  });

  it('authorises per action: a read-only admin may read but not suspend (403, audited)', async () => {
    expect((await call(api.url, 'GET', '/v1/keys/kf-1/history', { token: READER_TOKEN })).status).toBe(200);
    const denied = await call(api.url, 'POST', '/v1/keys/kf-1/suspend', {
      token: READER_TOKEN,
      body: { accountId: 'acct-1', reason: 'test' },
      headers: { 'x-request-id': 'req-denied' },
    });
    expect(denied.status).toBe(403);
    await waitFor('audit row of the 403', async () => (await auditRows(`request_id = 'req-denied'`)).length === 1, 15_000);
    const [row] = await auditRows(`request_id = 'req-denied'`);
    expect(row).toMatchObject({ actor: 'reader', action: 'keys.suspend', outcome: 'denied' });
  });

  it('answers the decision endpoint from memory: preloaded suspension, unknown keys active, gateway or admin token', async () => {
    const pre = await call(api.url, 'GET', '/v1/keys/kf-preloaded/status', { token: GATEWAY_TOKEN });
    expect(pre.status).toBe(200);
    expect(pre.body).toMatchObject({ keyId: 'kf-preloaded', status: 'suspended', reason: 'burst drain', incidentId: 'inc-pre' });
    const unknown = await call(api.url, 'GET', '/v1/keys/kf-never-seen/status', { token: ADMIN_TOKEN });
    expect(unknown.body).toEqual({ keyId: 'kf-never-seen', status: 'active' });
    expect((await call(api.url, 'GET', '/v1/keys/kf-1/status', { token: null })).status).toBe(401);
  });

  it('suspends and resumes idempotently, publishing to key-status and the audit trail', async () => {
    const body = { accountId: 'acct-1', reason: 'leaked in a public repo', incidentId: 'inc-42' };
    const first = await call<{ changed: boolean; key: Record<string, unknown> }>(api.url, 'POST', '/v1/keys/kf-1/suspend', { body, headers: { 'x-request-id': 'req-suspend-1' } });
    expect(first.status).toBe(200);
    expect(first.body.changed).toBe(true);
    expect(first.body.key).toMatchObject({ keyId: 'kf-1', status: 'suspended', changedBy: 'admin:tester', reason: body.reason, incidentId: 'inc-42' });

    const again = await call<{ changed: boolean }>(api.url, 'POST', '/v1/keys/kf-1/suspend', { body });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);

    const decision = await call(api.url, 'GET', '/v1/keys/kf-1/status', { token: GATEWAY_TOKEN });
    expect(decision.body).toMatchObject({ keyId: 'kf-1', status: 'suspended', reason: body.reason, incidentId: 'inc-42' });

    const published = await keyStatusTopic.waitForValue<KeyStatus>('suspension on key-status', (s) => s.keyId === 'kf-1' && s.status === 'suspended');
    expect(published).toMatchObject({ v: 1, accountId: 'acct-1', changedBy: 'admin:tester', incidentId: 'inc-42' });
    expect(keyStatusTopic.messages.find((m) => m.key?.toString() === 'kf-1')).toBeDefined();

    const conflict = await call(api.url, 'POST', '/v1/keys/kf-1/resume', { body: { accountId: 'acct-other', reason: 'x' } });
    expect(conflict.status).toBe(409);

    const resumed = await call<{ changed: boolean }>(api.url, 'POST', '/v1/keys/kf-1/resume', { body: { accountId: 'acct-1', reason: 'key rotated' } });
    expect(resumed.body.changed).toBe(true);
    expect((await call<{ changed: boolean }>(api.url, 'POST', '/v1/keys/kf-1/resume', { body: { accountId: 'acct-1', reason: 'again' } })).body.changed).toBe(false);
    expect((await call(api.url, 'GET', '/v1/keys/kf-1/status', { token: GATEWAY_TOKEN })).body).toMatchObject({ status: 'active', reason: 'key rotated' });
    // Exactly two messages for the key: the idempotent calls published nothing.
    await keyStatusTopic.waitForValue<KeyStatus>('resumption on key-status', (s) => s.keyId === 'kf-1' && s.status === 'active');
    expect(keyStatusTopic.values<KeyStatus>().filter((s) => s.keyId === 'kf-1')).toHaveLength(2);

    const history = await call<{ changes: KeyStatus[] }>(api.url, 'GET', '/v1/keys/kf-1/history');
    expect(history.body.changes.map((c) => [c.status, c.changedBy, c.reason])).toEqual([
      ['suspended', 'admin:tester', body.reason],
      ['active', 'admin:tester', 'key rotated'],
    ]);

    await waitFor('audit row of the suspension', async () => (await auditRows(`request_id = 'req-suspend-1'`)).length === 1, 15_000);
    const [row] = await auditRows(`request_id = 'req-suspend-1'`);
    expect(row).toMatchObject({ actor: 'tester', action: 'keys.suspend', target: 'key:kf-1', outcome: 'ok' });
    expect(JSON.parse(row.details)).toMatchObject({ changed: true, accountId: 'acct-1', reason: body.reason, incidentId: 'inc-42', status: 200 });
    expect(row.details).not.toContain(ADMIN_TOKEN);
  });

  it('follows suspensions other processes publish (the worker) on the topic', async () => {
    const producer = kafkaFor().producer();
    await producer.connect();
    const status: KeyStatus = { v: 1, keyId: 'kf-auto', accountId: 'acct-2', status: 'suspended', changedAt: new Date().toISOString(), changedBy: 'policy:auto-suspend', reason: 'cap breach' };
    await producer.send({ topic: config.TOPIC_KEY_STATUS, messages: [{ key: status.keyId, value: JSON.stringify(status) }] });
    await producer.disconnect();
    await waitFor('the api to see the worker suspension', async () => (await call(api.url, 'GET', '/v1/keys/kf-auto/status', { token: GATEWAY_TOKEN })).body.status === 'suspended', 15_000);
  });

  it('answers malformed requests with 4xx and every problem, never 500', async () => {
    const empty = await call<{ errors: string[] }>(api.url, 'POST', '/v1/keys/kf-1/suspend', { body: { reason: '', extra: 1 } });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^accountId:/), expect.stringMatching(/^reason:/), expect.stringMatching(/extra/)]));
    expect((await call(api.url, 'POST', '/v1/keys/kf-1/suspend', { body: '{not json' })).status).toBe(400);
    expect((await call(api.url, 'GET', `/v1/keys/${'x'.repeat(300)}/history`)).status).toBe(400);
  });
});
