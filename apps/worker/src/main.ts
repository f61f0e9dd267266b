import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { appConfig } from '@spendguard/config';
import { logLevelsFrom } from '@spendguard/observability';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = appConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forConfig(config), {
    logger: logLevelsFrom(config.LOG_LEVEL),
  });
  app.enableShutdownHooks();
  new Logger('worker').log(`running roles=${config.WORKER_ROLES.join(',')}`);
}

main().catch((error: unknown) => {
  new Logger('worker').error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
