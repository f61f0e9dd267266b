import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { ClickHouseModule, ClickHouseRetentionModule } from '@spendguard/clickhouse';
import { ConfigModule, type AppConfig } from '@spendguard/config';
import { KafkaModule } from '@spendguard/kafka';
import { MetricsController, MetricsModule } from '@spendguard/observability';
import { WorkerHealthController } from './health/worker-health.controller';
import { DetectorSnapshotsRepository, FindingsRepository } from '@spendguard/clickhouse/detection/findings.repository';
import { UsageRollupsRepository } from '@spendguard/clickhouse/detection/usage-rollups.repository';
import { ColdStartSeeder } from './detect/cold-start-seeder';
import { DetectConsumer } from './detect/detect.consumer';
import { escalateProviders } from './escalate/escalate.providers';
import { SinkConsumer } from './sink/sink.consumer';

/**
 * The worker runs the roles named in WORKER_ROLES in one process; several
 * processes with different roles (or the same roles, for scale) also work,
 * since each role is its own Kafka consumer group.
 */
@Module({})
export class WorkerModule {
  static forConfig(config: AppConfig): DynamicModule {
    const roles = new Set(config.WORKER_ROLES);
    const providers: Provider[] = [];
    if (roles.has('sink')) providers.push(SinkConsumer);
    if (roles.has('escalate')) providers.push(...escalateProviders);
    if (roles.has('detect')) providers.push(FindingsRepository, DetectorSnapshotsRepository, UsageRollupsRepository, ColdStartSeeder, DetectConsumer);
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forConfig(config),
        ScheduleModule.forRoot(),
        TerminusModule,
        MetricsModule,
        KafkaModule,
        ClickHouseModule,
        ...(roles.has('sink') ? [ClickHouseRetentionModule] : []),
      ],
      controllers: [WorkerHealthController, MetricsController],
      providers,
    };
  }
}
