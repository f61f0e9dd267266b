import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '@spendguard/clickhouse';
import { KafkaProducerService } from '@spendguard/kafka';
import { KeyStatusCache } from '../keys/key-status-cache.service';

/** Liveness (the process answers) and readiness (Kafka and ClickHouse answer, key statuses loaded). */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly producer: KafkaProducerService,
    @Inject(CLICKHOUSE_CLIENT) private readonly clickhouse: ClickHouseClient,
    private readonly keyStatuses: KeyStatusCache,
  ) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('readyz')
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const check = this.indicator.check('kafka');
        return this.producer.isConnected ? check.up() : check.down({ message: 'producer not connected' });
      },
      async () => {
        const check = this.indicator.check('clickhouse');
        const ping = await this.clickhouse.ping();
        return ping.success ? check.up() : check.down({ message: String(ping.error?.message ?? 'ping failed') });
      },
      async () => {
        const check = this.indicator.check('keyStatus');
        const { ready, ...details } = this.keyStatuses.readiness();
        return ready ? check.up(details) : check.down({ message: 'key statuses still loading', ...details });
      },
    ]);
  }
}
