import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ClickHouseModule } from '@spendguard/clickhouse';
import { ConfigModule, type AppConfig } from '@spendguard/config';
import { KafkaModule } from '@spendguard/kafka';
import { MetricsController, MetricsModule } from '@spendguard/observability';
import { GatewayAuthGuard } from './auth/gateway-auth.guard';
import { HealthController } from './health/health.controller';
import { IngestController } from './ingest/ingest.controller';
import { IngestEventsUseCase } from './ingest/ingest-events.use-case';

/** The HTTP API: ingest, health, metrics. */
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
      ],
      controllers: [IngestController, HealthController, MetricsController],
      providers: [IngestEventsUseCase, GatewayAuthGuard],
    };
  }
}
