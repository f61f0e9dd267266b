import type { Provider } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { CLICKHOUSE_CLIENT } from '@spendguard/clickhouse';
import { IncidentEvidenceRepository } from '@spendguard/clickhouse/escalation/incident-evidence.repository';
import { ClickHouseIncidentRepository } from '@spendguard/clickhouse/escalation/incident.repository';
import { ClickHouseWebhookDeliveryRepository } from '@spendguard/clickhouse/escalation/webhook-delivery.repository';
import { ClickHouseIncidentContextProvider } from './clickhouse-incident-context';
import { EscalateConsumer } from './escalate.consumer';
import { KeyStatusKillSwitch } from './key-status-kill-switch';
import { loadRoutingPolicy, RoutingPolicyRegistry } from './routing-policy-registry';
import { loadWebhookEndpointsFile, WebhookEndpointRegistry } from './webhook-endpoints';

/**
 * Providers of the escalate role (registered by WorkerModule when WORKER_ROLES has 'escalate').
 * The webhook endpoints file and the routing policy file are validated here, at boot: a bad
 * file stops the worker with every problem listed.
 */
export const escalateProviders: Provider[] = [
  {
    provide: WebhookEndpointRegistry,
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => new WebhookEndpointRegistry(loadWebhookEndpointsFile(config.WEBHOOK_ENDPOINTS_FILE, { allowHttp: config.WEBHOOK_ALLOW_HTTP })),
  },
  {
    provide: RoutingPolicyRegistry,
    inject: [APP_CONFIG, WebhookEndpointRegistry],
    useFactory: (config: AppConfig, endpoints: WebhookEndpointRegistry) =>
      new RoutingPolicyRegistry(
        loadRoutingPolicy(config.ROUTING_POLICY_FILE, { webhookEndpointIds: endpoints.ids(), pagerdutyRoutingKey: config.PAGERDUTY_ROUTING_KEY }),
        new Set(endpoints.ids()),
      ),
  },
  {
    provide: ClickHouseIncidentRepository,
    inject: [CLICKHOUSE_CLIENT, APP_CONFIG],
    useFactory: (client: ClickHouseClient, config: AppConfig) => new ClickHouseIncidentRepository(client, config.ESCALATE_GROUP_ID),
  },
  { provide: ClickHouseWebhookDeliveryRepository, inject: [CLICKHOUSE_CLIENT], useFactory: (client: ClickHouseClient) => new ClickHouseWebhookDeliveryRepository(client) },
  { provide: IncidentEvidenceRepository, inject: [CLICKHOUSE_CLIENT], useFactory: (client: ClickHouseClient) => new IncidentEvidenceRepository(client) },
  KeyStatusKillSwitch,
  ClickHouseIncidentContextProvider,
  EscalateConsumer,
];
