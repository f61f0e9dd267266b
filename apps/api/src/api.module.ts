import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { ClickHouseModule } from '@spendguard/clickhouse';
import { AbuseReportsRepository } from '@spendguard/clickhouse/control-plane/abuse-reports.repository';
import { AccountPoliciesRepository } from '@spendguard/clickhouse/control-plane/account-policies.repository';
import { AdminAuditRepository } from '@spendguard/clickhouse/control-plane/admin-audit.repository';
import { IncidentReportQueries } from '@spendguard/clickhouse/control-plane/incident-report.queries';
import { IncidentsRepository } from '@spendguard/clickhouse/control-plane/incidents.repository';
import { KeyDirectoryRepository } from '@spendguard/clickhouse/control-plane/key-directory.repository';
import { WebhookAttemptsRepository } from '@spendguard/clickhouse/control-plane/webhook-attempts.repository';
import { APP_CONFIG, ConfigModule, type AppConfig } from '@spendguard/config';
import { KafkaModule } from '@spendguard/kafka';
import { MetricsController, MetricsModule } from '@spendguard/observability';
import { AdminAuditController } from './audit/admin-audit.controller';
import { AdminAuditInterceptor } from './audit/admin-audit.interceptor';
import { AdminAuditService } from './audit/admin-audit.service';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { DecisionAuthGuard } from './auth/decision-auth.guard';
import { GatewayAuthGuard } from './auth/gateway-auth.guard';
import { GATEWAY_TRACKER_PREFIX, GatewayThrottlerGuard, INGEST_THROTTLER } from './ingest/gateway-throttler.guard';
import { ControlCommandPublisher } from './control/control-command.publisher';
import { HealthController } from './health/health.controller';
import { BuildIncidentReportUseCase } from './incidents/build-incident-report.use-case';
import { IncidentsController } from './incidents/incidents.controller';
import { IngestController } from './ingest/ingest.controller';
import { IngestEventsUseCase } from './ingest/ingest-events.use-case';
import { ChangeKeyStatusUseCase } from './keys/change-key-status.use-case';
import { KeyDecisionController } from './keys/key-decision.controller';
import { KeyStatusCache } from './keys/key-status-cache.service';
import { KeysController } from './keys/keys.controller';
import { AccountPolicyController } from './policies/account-policy.controller';
import { ReplaceAccountPolicyUseCase } from './policies/replace-account-policy.use-case';
import { ReportsController } from './reports/reports.controller';
import { SubmitReportUseCase } from './reports/submit-report.use-case';
import { WebhookEndpointsReader } from './webhooks/webhook-endpoints.reader';
import { WebhooksController } from './webhooks/webhooks.controller';

/** Per-IP limit window of POST /v1/reports. */
const REPORTS_WINDOW_MS = 60_000;
/** Per-gateway limit window of POST /v1/events. */
const INGEST_WINDOW_MS = 1000;

/**
 * The HTTP API: ingest; the decision endpoint and kill switch (keys); abuse reports;
 * the control plane (incidents, incident reports, policies, webhooks, audit); health,
 * metrics and the OpenAPI document.
 */
@Module({})
export class ApiModule {
  static forConfig(config?: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        config ? ConfigModule.forConfig(config) : ConfigModule,
        MetricsModule,
        KafkaModule,
        ClickHouseModule,
        TerminusModule,
        ThrottlerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({
            throttlers: [
              { name: 'reports', ttl: REPORTS_WINDOW_MS, limit: c.REPORTS_PER_MINUTE },
              { name: INGEST_THROTTLER, ttl: INGEST_WINDOW_MS, limit: c.INGEST_REQUESTS_PER_SECOND },
            ],
            errorMessage: (_context, detail) =>
              detail.tracker.startsWith(GATEWAY_TRACKER_PREFIX)
                ? `too many ingest requests from this gateway; at most ${c.INGEST_REQUESTS_PER_SECOND} per second, retry later`
                : `too many reports from this address; at most ${c.REPORTS_PER_MINUTE} per minute`,
          }),
        }),
      ],
      controllers: [
        IngestController,
        KeyDecisionController,
        KeysController,
        ReportsController,
        IncidentsController,
        AccountPolicyController,
        WebhooksController,
        AdminAuditController,
        HealthController,
        MetricsController,
      ],
      providers: [
        IngestEventsUseCase,
        GatewayAuthGuard,
        GatewayThrottlerGuard,
        DecisionAuthGuard,
        AdminAuthGuard,
        AdminAuditService,
        AdminAuditInterceptor,
        KeyStatusCache,
        ChangeKeyStatusUseCase,
        ControlCommandPublisher,
        SubmitReportUseCase,
        BuildIncidentReportUseCase,
        ReplaceAccountPolicyUseCase,
        WebhookEndpointsReader,
        AbuseReportsRepository,
        AccountPoliciesRepository,
        AdminAuditRepository,
        IncidentReportQueries,
        IncidentsRepository,
        KeyDirectoryRepository,
        WebhookAttemptsRepository,
      ],
    };
  }
}
