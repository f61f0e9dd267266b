import type { Logger } from '@nestjs/common';
import type { Consumer } from 'kafkajs';

/**
 * kafkajs restarts a consumer after a retriable error but leaves it dead after a
 * non-retriable one, silently. A worker with a dead consumer must not look
 * alive: the process stops (exit code 1, through the normal SIGTERM shutdown)
 * so its supervisor restarts it.
 */
export function superviseConsumer(consumer: Consumer, logger: Logger, role: string): void {
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    if (restart) {
      logger.warn(`${role} consumer crashed; kafkajs restarts it: ${error.message}`);
      return;
    }
    logger.error(`${role} consumer crashed and cannot restart: ${error.message}; stopping the process`);
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  });
}
