import type { INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka, Producer } from 'kafkajs';
import type { AppConfig } from '@spendguard/config';
import { incidentDedupKey } from '@spendguard/escalation';
import { clickhouseFor, consumerLag, kafkaFor, queryRows, startWorker, testConfig, testEnv, waitFor } from '../support/spendguard';
import { uniqueName } from '../support/services';
import {
  burstFinding,
  connectedProducer,
  escalationEnv,
  KeyStatusWatcher,
  produceCommand,
  produceFinding,
  ROUTING_KEY,
  startContractServers,
  type ContractServers,
} from './escalation-harness';

/**
 * The escalate role alone, fed with findings and control commands produced straight to Kafka:
 * pages, signed webhooks, suspensions, persistence, restart, commands, and the two failure
 * modes of the channels (receiver down, PagerDuty 429).
 */
describe('escalate role', () => {
  const account = uniqueName('acct');
  let servers: ContractServers;
  let config: AppConfig;
  let worker: INestApplicationContext | undefined;
  let kafka: Kafka;
  let producer: Producer;
  let clickhouse: ClickHouseClient;
  let keyStatus: KeyStatusWatcher;

  beforeAll(async () => {
    servers = await startContractServers();
    // Quiet period 0.4 min = 24 s: long enough to restart the worker mid-incident.
    config = testConfig(testEnv(escalationEnv(servers, { WORKER_ROLES: 'escalate', INCIDENT_QUIET_MINUTES: '0.4', INCIDENT_COOLDOWN_MINUTES: '0' })));
    worker = await startWorker(config);
    kafka = kafkaFor();
    producer = await connectedProducer(kafka);
    clickhouse = clickhouseFor(config);
    keyStatus = await KeyStatusWatcher.start(kafka, config);
  });

  afterAll(async () => {
    await worker?.close();
    await keyStatus?.stop();
    await producer?.disconnect();
    await clickhouse?.close();
    await servers?.stop();
  });

  const drainedKey = `${account}-k1`;
  const dedupKey = (): string => incidentDedupKey(account, drainedKey, 'burst');

  it('opens an incident on a critical finding: one page, a signed webhook, the key suspended, all recorded', async () => {
    await produceFinding(producer, config, burstFinding(account, drainedKey));

    await servers.pagerduty.waitFor((pd) => pd.alertsFor(dedupKey()).length === 1, 20_000);
    const [alert] = servers.pagerduty.alertsFor(dedupKey(), ROUTING_KEY);
    expect(alert).toMatchObject({ status: 'triggered', severity: 'critical' });
    expect(alert.summary).toContain(drainedKey);
    expect(alert.links).toEqual([{ href: expect.stringMatching(/^http:\/\/127\.0\.0\.1:3999\/v1\/incidents\/inc_[0-9a-f]+\/report$/), text: 'spendguard incident report' }]);

    const [delivery] = await servers.receiver.waitForDeliveries(1, 20_000);
    expect(delivery.payload).toMatchObject({ type: 'incident.opened', data: { accountId: account, keyId: drainedKey, family: 'burst', state: 'open' } });

    await waitFor('key suspended on key-status', () => keyStatus.latest(drainedKey)?.status === 'suspended', 20_000);
    expect(keyStatus.latest(drainedKey)).toMatchObject({ accountId: account, changedBy: 'policy:auto-suspend', incidentId: alert.lastPayload.custom_details && (alert.lastPayload.custom_details as Record<string, unknown>).incident_id });

    await waitFor('incident and transition rows', async () => {
      const rows = await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM incident_transitions WHERE dedup_key = '${dedupKey()}'`);
      return Number(rows[0]?.n) >= 1;
    }, 20_000);
    const [incident] = await queryRows<{ latest_state: string; latest_count: string }>(
      clickhouse,
      `SELECT argMax(state, updated_at_ms) AS latest_state, argMax(finding_count, updated_at_ms) AS latest_count FROM incidents WHERE dedup_key = '${dedupKey()}' GROUP BY incident_id`,
    );
    expect(incident).toEqual({ latest_state: 'open', latest_count: '1' });
    const audit = await queryRows<{ status: string; changed_by: string }>(clickhouse, `SELECT status, changed_by FROM key_status_changes WHERE key_id = '${drainedKey}'`);
    expect(audit).toEqual([{ status: 'suspended', changed_by: 'policy:auto-suspend' }]);
  });

  it('keeps the live incident across a restart: the ongoing drain is not paged twice', async () => {
    await worker?.close();
    worker = undefined;
    await produceFinding(producer, config, burstFinding(account, drainedKey, { observed: 80 }));
    worker = await startWorker(config);

    await waitFor('second finding absorbed by the restored incident', async () => {
      const rows = await queryRows<{ n: string }>(clickhouse, `SELECT max(finding_count) AS n FROM incidents WHERE dedup_key = '${dedupKey()}'`);
      return Number(rows[0]?.n) === 2;
    }, 30_000);
    expect(servers.pagerduty.alertsFor(dedupKey())).toHaveLength(1);
    expect(servers.pagerduty.alertsFor(dedupKey())[0]?.triggerCount).toBe(1);
    expect(servers.receiver.uniqueMessageIds()).toHaveLength(1);
    expect(keyStatus.statuses.filter((s) => s.keyId === drainedKey)).toHaveLength(1);
  });

  it('auto-resolves after the quiet period: PagerDuty resolve and a resolved webhook', async () => {
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(dedupKey())[0]?.status === 'resolved', 60_000);
    const deliveries = await servers.receiver.waitForDeliveries(2, 10_000);
    expect(deliveries.map((d) => (d.payload as { type: string }).type)).toEqual(['incident.opened', 'incident.resolved']);
    // Resolving never resumes the key.
    expect(keyStatus.latest(drainedKey)?.status).toBe('suspended');
    const transitions = await queryRows<{ to_state: string; reason: string }>(
      clickhouse,
      `SELECT to_state, reason FROM incident_transitions WHERE dedup_key = '${dedupKey()}' ORDER BY at_ms LIMIT 1 BY at_ms, to_state`,
    );
    expect(transitions).toEqual([
      { to_state: 'open', reason: 'finding-opened' },
      { to_state: 'resolved', reason: 'auto-resolved-quiet' },
    ]);
  });

  it('acknowledges and resolves on control commands, with the actor recorded', async () => {
    const key = `${account}-k2`;
    await produceFinding(producer, config, burstFinding(account, key));
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(incidentDedupKey(account, key, 'burst')).length === 1, 20_000);
    const incidentId = (servers.pagerduty.alertsFor(incidentDedupKey(account, key, 'burst'))[0]!.lastPayload.custom_details as { incident_id: string }).incident_id;
    const base = { v: 1 as const, accountId: account, at: Date.now(), actor: 'admin:alice' };
    await produceCommand(producer, config, { ...base, commandId: uniqueName('c'), type: 'incident.acknowledge', incidentId });
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(incidentDedupKey(account, key, 'burst'))[0]?.status === 'acknowledged', 20_000);
    await produceCommand(producer, config, { ...base, at: Date.now(), commandId: uniqueName('c'), type: 'incident.resolve', incidentId, note: 'key rotated' });
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(incidentDedupKey(account, key, 'burst'))[0]?.status === 'resolved', 20_000);
    const rows = await queryRows<{ reason: string; actor: string; note: string }>(
      clickhouse,
      `SELECT reason, actor, note FROM incident_transitions WHERE incident_id = '${incidentId}' AND actor != '' ORDER BY at_ms`,
    );
    expect(rows).toEqual([
      { reason: 'acknowledged', actor: 'admin:alice', note: '' },
      { reason: 'resolved-manually', actor: 'admin:alice', note: 'key rotated' },
    ]);
  });

  it('opens a critical report incident on a leaked-key report and suspends the key by default', async () => {
    const key = `${account}-k3`;
    await produceCommand(producer, config, {
      v: 1,
      commandId: uniqueName('c'),
      accountId: account,
      at: Date.now(),
      actor: 'report:r1',
      type: 'report.leaked-key',
      reportId: 'r1',
      keyId: key,
      description: 'found on a public GitHub gist',
    });
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(incidentDedupKey(account, key, 'report')).length === 1, 20_000);
    expect(servers.pagerduty.alertsFor(incidentDedupKey(account, key, 'report'))[0]?.summary).toMatch(/^Key reported as leaked/);
    await waitFor('reported key suspended', () => keyStatus.latest(key)?.status === 'suspended', 20_000);
  });

  it('applies a replaced routing policy: an account that turned paging off is not paged', async () => {
    const quiet = uniqueName('acct');
    await produceCommand(producer, config, {
      v: 1,
      commandId: uniqueName('c'),
      accountId: quiet,
      at: Date.now(),
      actor: 'admin:alice',
      type: 'policy.replaced',
      policy: { routing: { pagerduty: null, autoSuspend: { burst: false } } },
    });
    // An invalid policy is ignored (logged), the valid one stays in force.
    await produceCommand(producer, config, {
      v: 1,
      commandId: uniqueName('c'),
      accountId: quiet,
      at: Date.now(),
      actor: 'admin:alice',
      type: 'policy.replaced',
      policy: { routing: { pagerduty: { routingKey: 'short', severities: [] } } },
    });
    // Findings and commands are different topics (no order between them): wait for the commands.
    await waitFor('policy commands consumed', async () => (await consumerLag(kafka, config.ESCALATE_GROUP_ID, config.TOPIC_CONTROL_COMMANDS)) === 0, 20_000);
    const messagesBefore = servers.receiver.uniqueMessageIds().length;
    await produceFinding(producer, config, burstFinding(quiet, `${quiet}-k1`));
    await servers.receiver.waitForDeliveries(messagesBefore + 1, 20_000);
    expect(servers.pagerduty.alertsFor(incidentDedupKey(quiet, `${quiet}-k1`, 'burst'))).toEqual([]);
    expect(keyStatus.latest(`${quiet}-k1`)).toBeUndefined();
  });

  it('delivers a webhook after the receiver was down for a while', async () => {
    const key = `${account}-k4`;
    const before = servers.receiver.uniqueMessageIds().length;
    await servers.receiver.goDown();
    await produceFinding(producer, config, burstFinding(account, key));
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(incidentDedupKey(account, key, 'burst')).length === 1, 20_000);
    await waitFor('a failed attempt in the delivery log', async () => {
      const rows = await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM webhook_attempts WHERE outcome = 'retry-scheduled'`);
      return Number(rows[0]?.n) >= 2;
    }, 20_000);
    await servers.receiver.comeBack();
    await waitFor('delivery after the receiver came back', () => servers.receiver.uniqueMessageIds().length === before + 1, 30_000);
  });

  it('opens exactly one PagerDuty incident when PagerDuty answers 429 several times', async () => {
    const key = `${account}-k5`;
    servers.pagerduty.failNext(3, 429, '1');
    const requestsBefore = servers.pagerduty.requestCount;
    await produceFinding(producer, config, burstFinding(account, key));
    await produceFinding(producer, config, burstFinding(account, key, { observed: 99 }));
    await servers.pagerduty.waitFor((pd) => pd.alertsFor(incidentDedupKey(account, key, 'burst')).length === 1, 40_000);
    expect(servers.pagerduty.requestCount - requestsBefore).toBeGreaterThanOrEqual(4);
    expect(servers.pagerduty.alertsFor(incidentDedupKey(account, key, 'burst'))).toHaveLength(1);
    expect(servers.pagerduty.alertsFor(incidentDedupKey(account, key, 'burst'))[0]?.triggerCount).toBe(1);
  });
});
