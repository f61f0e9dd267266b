import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@spendguard/config';
import { incidentDedupKey } from '@spendguard/escalation';
import { GATEWAY_TOKEN, kafkaFor, postEvents, startApi, startWorker, testConfig, testEnv, usageEvent, waitFor } from '../support/spendguard';
import { uniqueName } from '../support/services';
import { escalationEnv, KeyStatusWatcher, ROUTING_KEY, startContractServers, type ContractServers } from './escalation-harness';

const MINUTE = 60_000;
const HISTORY_MINUTES = 120;

/**
 * Issue 3, item 9: the whole product on real Kafka and ClickHouse, with only PagerDuty and the
 * webhook target played by local contract servers. Gateways POST usage through the ingest API;
 * the worker runs sink, detect and escalate.
 *
 * Clocks: detection works in event time (history is sent with past event times so baselines
 * exist at once); the escalate role opens incidents at the finding's production time and
 * auto-resolves on the wall clock, INCIDENT_QUIET_MINUTES (here 0.25 = 15 s) after the last
 * finding. Findings stop when the drained key stops sending, so the resolve is reachable.
 */
describe('drain to page (end to end)', () => {
  const runId = uniqueName('e2e');
  const acctA = `${runId}-a`;
  const acctB = `${runId}-b`;
  const keys = [
    { accountId: acctA, keyId: `${acctA}-k1` },
    { accountId: acctA, keyId: `${acctA}-k2` },
    { accountId: acctB, keyId: `${acctB}-k3` },
    { accountId: acctB, keyId: `${acctB}-k4` },
  ];
  const drained = keys[0]!;
  const drainedWhileDown = keys[2]!;
  let servers: ContractServers;
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let worker: INestApplicationContext;
  let kafka: Kafka;
  let keyStatus: KeyStatusWatcher;
  let seq = 0;

  const event = (accountId: string, keyId: string, time: number, costUsd: number, model = 'gpt-4o-mini') => {
    seq += 1;
    return usageEvent(seq, runId, { accountId, keyId, time, costUsd, model });
  };

  async function post(events: Record<string, unknown>[]): Promise<void> {
    const response = await postEvents(api.url, JSON.stringify(events));
    expect(response.status).toBe(202);
  }

  /** `perWave` expensive requests on one key, posted in `waves` one second apart. */
  async function drain(key: { accountId: string; keyId: string }, waves: number, perWave: number, usd: number): Promise<void> {
    for (let w = 0; w < waves; w += 1) {
      const now = Date.now();
      await post(Array.from({ length: perWave }, (_, i) => event(key.accountId, key.keyId, now + i, usd, 'o1-pro')));
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async function decision(keyId: string): Promise<string | undefined> {
    const response = await fetch(`${api.url}/v1/keys/${encodeURIComponent(keyId)}/status`, { headers: { authorization: `Bearer ${GATEWAY_TOKEN}` } });
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { status: string }).status;
  }

  beforeAll(async () => {
    servers = await startContractServers();
    config = testConfig(testEnv(escalationEnv(servers, { INCIDENT_QUIET_MINUTES: '0.25', INCIDENT_COOLDOWN_MINUTES: '1', DETECT_SNAPSHOT_INTERVAL_MS: '1000' })));
    worker = await startWorker(config);
    api = await startApi(config);
    kafka = kafkaFor();
    keyStatus = await KeyStatusWatcher.start(kafka, config);

    // Two hours of normal history per key, in time order, then a little live traffic.
    const start = Date.now() - (HISTORY_MINUTES + 2) * MINUTE;
    const history: Record<string, unknown>[] = [];
    for (let m = 0; m < HISTORY_MINUTES; m += 1) {
      for (const { accountId, keyId } of keys) history.push(event(accountId, keyId, start + m * MINUTE + 7_000, 0.02));
    }
    await post(history);
    await post(keys.map(({ accountId, keyId }) => event(accountId, keyId, Date.now(), 0.02)));
  });

  afterAll(async () => {
    await keyStatus?.stop();
    await api?.app.close();
    await worker?.close();
    await servers?.stop();
  });

  it('pages within 60 s of a drain, delivers a signed webhook and suspends the key; resolves when the drain stops', async () => {
    const dedupKey = incidentDedupKey(drained.accountId, drained.keyId, 'burst');
    // Watch from before the first attack request, so the latency is not bounded by the attack's length.
    const attackStart = Date.now();
    const triggeredAt = servers.pagerduty.waitFor((pd) => pd.alertsFor(dedupKey, ROUTING_KEY).length > 0, 60_000).then(() => Date.now());
    await drain(drained, 5, 12, 1.5);
    const latencyMs = (await triggeredAt) - attackStart;
    console.log(`drain-to-page: PagerDuty trigger ${latencyMs} ms after the attack's first event`);
    expect(latencyMs).toBeLessThan(60_000);
    const [alert] = servers.pagerduty.alertsFor(dedupKey);
    expect(alert.severity).toBe('critical');
    expect(alert.summary).toContain(drained.keyId);

    await waitFor(
      'a verified webhook about the drained key',
      () => servers.receiver.deliveries.some((d) => (d.payload as { data: { keyId?: string } }).data.keyId === drained.keyId),
      30_000,
    );
    await waitFor('suspended on the key-status topic', () => keyStatus.latest(drained.keyId)?.status === 'suspended', 30_000);
    expect(keyStatus.latest(drained.keyId)).toMatchObject({ accountId: drained.accountId, changedBy: 'policy:auto-suspend' });
    await waitFor('suspended on the decision endpoint', async () => (await decision(drained.keyId)) === 'suspended', 30_000);
    expect(await decision(keys[1]!.keyId)).toBe('active');

    // The attack stopped: no more findings, the incident resolves after the quiet period.
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(dedupKey)[0]?.status === 'resolved', 90_000);
    expect(servers.pagerduty.alertsFor(dedupKey)).toHaveLength(1);
    expect(servers.pagerduty.alertsFor(dedupKey)[0]?.actions).toEqual(expect.arrayContaining(['trigger', 'resolve']));
    await waitFor(
      'a resolved webhook',
      () => servers.receiver.deliveries.some((d) => (d.payload as { type: string; data: { keyId?: string } }).type === 'incident.resolved' && (d.payload as { data: { keyId?: string } }).data.keyId === drained.keyId),
      30_000,
    );
    // Resolving never resumes a leaked key.
    expect(keyStatus.latest(drained.keyId)?.status).toBe('suspended');
  });

  it('with the webhook receiver down and PagerDuty answering 429: one PagerDuty incident, the webhook delivered after the receiver returns', async () => {
    const dedupKey = incidentDedupKey(drainedWhileDown.accountId, drainedWhileDown.keyId, 'burst');
    await servers.receiver.goDown();
    servers.pagerduty.failNext(4, 429, '1');
    const requestsBefore = servers.pagerduty.requestCount;
    await drain(drainedWhileDown, 5, 12, 1.5);

    await servers.pagerduty.waitFor((pd) => pd.alertsFor(dedupKey).length > 0, 60_000);
    expect(servers.pagerduty.requestCount - requestsBefore).toBeGreaterThanOrEqual(5);
    await new Promise((r) => setTimeout(r, 2000)); // any retry still in flight would land now
    expect(servers.pagerduty.alertsFor(dedupKey)).toHaveLength(1);

    const keyDelivered = () => servers.receiver.deliveries.some((d) => (d.payload as { data: { keyId?: string } }).data.keyId === drainedWhileDown.keyId);
    expect(keyDelivered()).toBe(false);
    await servers.receiver.comeBack();
    await waitFor('the webhook after the receiver came back', keyDelivered, 30_000);
    await waitFor('suspended on the key-status topic', () => keyStatus.latest(drainedWhileDown.keyId)?.status === 'suspended', 30_000);
  });
});
