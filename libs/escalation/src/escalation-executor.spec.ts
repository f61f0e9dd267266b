import type { Finding } from '@spendguard/contracts/finding';
import { PagerDutyServer } from '../../../test/support/contract-servers/pagerduty-server';
import { WebhookReceiver } from '../../../test/support/contract-servers/webhook-receiver';
import { EscalationExecutor, type KillSwitch } from './escalation-executor';
import { IncidentEngine } from './incidents/incident-engine';
import { PagerDutyClient } from './pagerduty/pagerduty-client';
import { RoutingPolicyBook, withGlobalChannels } from './policy/routing-policy';
import { InMemoryWebhookDeliveryStore, InMemoryWebhookEndpointStore } from './webhooks/delivery-store';
import { EgressGuard } from './webhooks/ssrf-guard';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { NodeHttpWebhookTransport } from './webhooks/webhook-transport';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const MINUTE = 60_000;

describe('EscalationExecutor: finding → incident → page, webhook, suspend → resolve', () => {
  let pd: PagerDutyServer;
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    [pd, receiver] = await Promise.all([PagerDutyServer.start(), WebhookReceiver.start()]);
  });
  afterEach(async () => {
    await Promise.all([pd.stop(), receiver.stop()]);
  });

  it('runs one drain end to end against the contract servers', async () => {
    const engine = new IncidentEngine(
      new RoutingPolicyBook(withGlobalChannels({ version: 1 }, { webhookEndpointIds: ['ep'], pagerdutyRoutingKey: ROUTING_KEY })),
      { quietPeriodMs: 5 * MINUTE },
    );
    const dispatcher = new WebhookDispatcher(
      {
        endpoints: new InMemoryWebhookEndpointStore([{ id: 'ep', url: receiver.url, secret: receiver.secret, enabled: true }]),
        deliveries: new InMemoryWebhookDeliveryStore(),
        transport: new NodeHttpWebhookTransport({ allowHttp: true, guard: new EgressGuard({ cidrs: ['127.0.0.0/8'] }) }),
      },
      { retryScheduleMs: [0, 10, 20] },
    );
    await dispatcher.start();
    const suspended: string[] = [];
    const killSwitch: KillSwitch = { suspendKey: async ({ keyId }) => void suspended.push(keyId) };
    const executor = new EscalationExecutor({
      pagerduty: new PagerDutyClient({ baseUrl: pd.url, baseDelayMs: 2, rateLimitDelayMs: 5 }),
      webhooks: dispatcher,
      killSwitch,
      context: { contextFor: async () => ({ keyDisplay: 'sk-…9f3c', spendSoFarUsd: 88, reportUrl: 'https://sg.example/r/1' }) },
    });

    pd.failNext(2, 429);
    const now = Date.now();
    const finding = (id: string): Finding => ({
      v: 1, id, time: new Date(now).toISOString(), accountId: 'acct', keyId: 'key', detector: 'spike-ratio', metric: 'cost_usd',
      observed: 88, expected: 1, score: 88, threshold: 10, severity: 'critical', explanation: '88x the baseline',
    });
    const opened = await executor.execute(engine.onFinding(finding('f1'), now)!);
    expect(suspended).toEqual(['key']);
    expect(await Promise.all(opened.pagerduty)).toEqual([expect.objectContaining({ ok: true, attempts: 3 })]);
    // more findings of the same drain: no new page, no new webhook
    const again = await executor.execute(engine.onFinding(finding('f2'), now + MINUTE)!);
    expect(again.pagerduty).toHaveLength(0);

    const [resolution] = engine.tick(now + 6 * MINUTE);
    const resolved = await executor.execute(resolution!);
    expect(await Promise.all(resolved.pagerduty)).toEqual([expect.objectContaining({ ok: true })]);

    expect(pd.alerts).toHaveLength(1);
    expect(pd.alerts[0]).toMatchObject({ dedupKey: 'sg:acct:key:burst', status: 'resolved', actions: ['trigger', 'resolve'] });
    expect(pd.alerts[0]?.summary).toContain('sk-…9f3c');
    const deliveries = await receiver.waitForDeliveries(2);
    expect(deliveries.map((d) => (d.payload as { type: string }).type)).toEqual(['incident.opened', 'incident.resolved']);
    await dispatcher.stop();
  });
});
