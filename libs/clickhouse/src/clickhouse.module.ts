import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { CLICKHOUSE_CLIENT } from './clickhouse.tokens';
import { KeyStatusAuditRepository } from './key-status-audit.repository';
import { createClickHouseClient, createDatabase, type ClickHouseConnectionOptions } from './clickhouse-connection';
import { MIGRATIONS } from './migrations';
import { dropExpiredPartitions } from './retention';
import { runMigrations } from './run-migrations';
import { UsageEventsRepository } from './usage-events.repository';


export function connectionOptions(config: AppConfig): ClickHouseConnectionOptions {
  return {
    url: config.CLICKHOUSE_URL,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    requestTimeoutMs: config.CLICKHOUSE_REQUEST_TIMEOUT_MS,
  };
}

/** Creates the database and applies migrations before anything else uses ClickHouse. */
async function connect(config: AppConfig): Promise<ClickHouseClient> {
  const logger = new Logger('ClickHouse');
  const options = connectionOptions(config);
  await createDatabase(options);
  const client = createClickHouseClient(options, options.database);
  const applied = await runMigrations(client, MIGRATIONS, logger);
  logger.log(`schema ready (database=${options.database}, applied=${applied.length})`);
  return client;
}

@Injectable()
export class ClickHouseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/** Drops day partitions older than RETENTION_DAYS on the RETENTION_CRON schedule. */
@Injectable()
export class RetentionJob {
  private readonly logger = new Logger(RetentionJob.name);

  constructor(
    @Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    scheduler: SchedulerRegistry,
  ) {
    const job = CronJob.from({ cronTime: config.RETENTION_CRON, timeZone: 'UTC', onTick: () => void this.run(Date.now()) });
    scheduler.addCronJob('clickhouse-retention', job);
    job.start();
  }

  async run(now: number): Promise<string[]> {
    try {
      const dropped = await dropExpiredPartitions(this.client, this.config.CLICKHOUSE_DATABASE, this.config.RETENTION_DAYS, now);
      if (dropped.length > 0) this.logger.log(`retention dropped ${dropped.length} partitions: ${dropped.join(', ')}`);
      return dropped;
    } catch (error) {
      this.logger.error(`retention failed: ${(error as Error).message}`);
      return [];
    }
  }
}

@Global()
@Module({
  providers: [
    { provide: CLICKHOUSE_CLIENT, inject: [APP_CONFIG], useFactory: connect },
    { provide: UsageEventsRepository, inject: [CLICKHOUSE_CLIENT], useFactory: (c: ClickHouseClient) => new UsageEventsRepository(c) },
    KeyStatusAuditRepository,
    ClickHouseLifecycle,
  ],
  exports: [CLICKHOUSE_CLIENT, UsageEventsRepository, KeyStatusAuditRepository],
})
export class ClickHouseModule {}

/** Adds the retention job; run it in one role only (the worker). */
@Module({ providers: [RetentionJob], exports: [RetentionJob] })
export class ClickHouseRetentionModule {}

