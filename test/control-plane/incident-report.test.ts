import type { INestApplication } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '@spendguard/config';
import { webhookMessageId } from '@spendguard/escalation/webhooks/webhook-payload';
import { clickhouseFor, startApi, testConfig, testEnv } from '../support/spendguard';
import { call, insertIncident, insertUsage, type UsageRowSeed } from './control-plane-support';

const MINUTE = 60_000;

interface Report {
  period: { start: string; ongoing: boolean };
  totals: { requests: number; costUsd: number; excessOverBaselineUsd: number };
  baseline: { activeMinutes: number; medianActiveMinuteUsd: number };
  spendPerMinute: { minutes: { minute: string; costUsd: number; ratioToBaseline: number | null }[] };
  dimensions: Record<string, { value: string; requestsDuring: number; requestsUsual: number; firstSeen: boolean }[]>;
  firstSeen: Record<string, string[]>;
  timeline: { reason: string; to: string }[];
  actions: { keyStatusChanges: { status: string; incidentId: string }[]; webhookAttempts: { messageId: string; outcome: string }[] };
}

describe('GET /v1/incidents/{id}/report', () => {
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let clickhouse: ClickHouseClient;
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = now - 30 * MINUTE;
  const openedAt = start + 45_000;

  beforeAll(async () => {
    config = testConfig(testEnv());
    api = await startApi(config);
    clickhouse = clickhouseFor(config);
    const rows: UsageRowSeed[] = [];
    // Usual traffic: one $0.02 request every 10 minutes over the 3 days before the incident.
    for (let t = start - 3 * 24 * 60 * MINUTE; t < start; t += 10 * MINUTE) {
      rows.push({ time: t, accountId: 'acct-d', keyId: 'kf-drain', model: 'gpt-4o-mini', costUsd: 0.02 });
    }
    // The drain: 200 × $0.50 on a model, address, country and client never used before.
    for (let i = 0; i < 200; i++) {
      rows.push({
        time: start + i * 6000,
        accountId: 'acct-d',
        keyId: 'kf-drain',
        model: 'claude-3-opus',
        costUsd: 0.5,
        ip: '203.0.113.66',
        country: 'RU',
        userAgent: 'python-requests/2.31',
      });
    }
    // The owner keeps working during the incident; another key of the account is unaffected.
    rows.push({ time: start + 5 * MINUTE, accountId: 'acct-d', keyId: 'kf-drain', model: 'gpt-4o-mini', costUsd: 0.02 });
    rows.push({ time: start + 5 * MINUTE, accountId: 'acct-d', keyId: 'kf-other', model: 'o1', costUsd: 9 });
    await insertUsage(clickhouse, rows);

    await insertIncident(clickhouse, {
      id: 'inc-drain',
      accountId: 'acct-d',
      keyId: 'kf-drain',
      openedAt,
      firstFindingTime: new Date(start).toISOString(),
      transitions: [{ at: openedAt, from: null, to: 'open', reason: 'finding-opened' }],
    });
    await clickhouse.insert({
      table: 'key_status_changes',
      format: 'JSONEachRow',
      values: [
        { key_id: 'kf-drain', account_id: 'acct-d', status: 'suspended', changed_at_ms: openedAt + 1000, changed_by: 'policy:auto-suspend', reason: 'burst', incident_id: 'inc-drain' },
      ],
    });
    await clickhouse.insert({
      table: 'webhook_attempts',
      format: 'JSONEachRow',
      values: [
        {
          endpoint_id: 'ops-hook',
          message_id: webhookMessageId('inc-drain', 'incident.opened', openedAt),
          delivery_id: 'd1',
          event_type: 'incident.opened',
          attempt: 1,
          at_ms: openedAt + 500,
          status_code: 200,
          outcome: 'delivered',
          latency_ms: 30,
          error: '',
        },
        { endpoint_id: 'ops-hook', message_id: 'msg_other', delivery_id: 'd2', event_type: 'incident.opened', attempt: 1, at_ms: openedAt, status_code: 200, outcome: 'delivered', latency_ms: 30, error: '' },
      ],
    });
  });

  afterAll(async () => {
    await api?.app.close();
    await clickhouse?.close();
  });

  it('gives spend, baseline, what was new, the timeline and the actions', async () => {
    const res = await call<Report>(api.url, 'GET', '/v1/incidents/inc-drain/report');
    expect(res.status).toBe(200);
    const report = res.body;
    expect(report.period).toMatchObject({ start: new Date(start).toISOString(), ongoing: true });
    expect(report.totals.requests).toBe(201);
    expect(report.totals.costUsd).toBeCloseTo(100.02, 6);
    expect(report.totals.excessOverBaselineUsd).toBeGreaterThan(99);

    expect(report.baseline.activeMinutes).toBe(3 * 24 * 6);
    expect(report.baseline.medianActiveMinuteUsd).toBeCloseTo(0.02, 6);

    const minutes = report.spendPerMinute.minutes;
    expect(minutes[0].minute).toBe(new Date(start - 120 * MINUTE).toISOString());
    expect(minutes.length).toBe(151);
    const drainMinute = minutes.find((m) => m.minute === new Date(start + MINUTE).toISOString());
    expect(drainMinute).toMatchObject({ costUsd: 5, ratioToBaseline: 250 });

    expect(report.firstSeen).toEqual({
      model: ['claude-3-opus'],
      ip: ['203.0.113.66'],
      country: ['RU'],
      user_agent: ['python-requests/2.31'],
    });
    expect(report.dimensions.model).toEqual([
      expect.objectContaining({ value: 'claude-3-opus', requestsDuring: 200, requestsUsual: 0, firstSeen: true }),
      expect.objectContaining({ value: 'gpt-4o-mini', requestsDuring: 1, requestsUsual: 432, firstSeen: false }),
    ]);

    expect(report.timeline.map((t) => [t.reason, t.to])).toEqual([['finding-opened', 'open']]);
    expect(report.actions.keyStatusChanges).toEqual([expect.objectContaining({ status: 'suspended', incidentId: 'inc-drain' })]);
    expect(report.actions.webhookAttempts).toEqual([expect.objectContaining({ outcome: 'delivered' })]);
  });

  it('answers 404 for an unknown incident', async () => {
    expect((await call(api.url, 'GET', '/v1/incidents/inc-unknown/report')).status).toBe(404);
  });
});
