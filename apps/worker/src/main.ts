import 'reflect-metadata';
import { Logger, ShutdownSignal } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { appConfig } from '@spendguard/config';
import { logLevelsFrom } from '@spendguard/observability';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = appConfig();
  const logger = new Logger('worker');
  const module = WorkerModule.forConfig(config);
  const options = { logger: logLevelsFrom(config.LOG_LEVEL) };
  // With a detection policy file, SIGHUP means "re-read it" (see DetectConsumer), not "shut down".
  const reloadsOnHangup = config.WORKER_ROLES.includes('detect') && Boolean(config.DETECTION_POLICY_FILE);
  const shutdownSignals = Object.values(ShutdownSignal).filter((s) => !(reloadsOnHangup && s === ShutdownSignal.SIGHUP));
  if (config.WORKER_HTTP_PORT > 0) {
    // The HTTP side only serves /healthz and /metrics for orchestrators and Prometheus.
    const app = await NestFactory.create(module, options);
    app.enableShutdownHooks(shutdownSignals);
    await app.listen(config.WORKER_HTTP_PORT, config.API_HOST);
    logger.log(`health and metrics on http://${config.API_HOST}:${config.WORKER_HTTP_PORT}`);
  } else {
    const app = await NestFactory.createApplicationContext(module, options);
    app.enableShutdownHooks(shutdownSignals);
    await app.init();
  }
  logger.log(`running roles=${config.WORKER_ROLES.join(',')}`);
}

main().catch((error: unknown) => {
  new Logger('worker').error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
