import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import type { ControlCommand } from '@spendguard/contracts/control-command';
import { KafkaProducerService } from '@spendguard/kafka';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type ControlCommandDraft = DistributiveOmit<ControlCommand, 'v' | 'commandId' | 'at'>;

/**
 * Sends control commands to the escalate role (topic TOPIC_CONTROL_COMMANDS, keyed by
 * account id so one account's commands and findings are applied in order). Resolves
 * once Kafka acknowledged the command; if Kafka is down the caller gets a 503 and the
 * command was not sent.
 */
@Injectable()
export class ControlCommandPublisher {
  private readonly logger = new Logger(ControlCommandPublisher.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: KafkaProducerService,
  ) {}

  async publish(draft: ControlCommandDraft, now = Date.now()): Promise<ControlCommand> {
    const command = { ...draft, v: 1, commandId: `cmd_${randomUUID()}`, at: now } as ControlCommand;
    try {
      await this.producer.send(this.config.TOPIC_CONTROL_COMMANDS, [
        { key: command.accountId, value: JSON.stringify(command), headers: { 'content-type': 'application/json' } },
      ]);
    } catch (error) {
      this.logger.error(`control command publish failed type=${command.type} accountId=${command.accountId}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('could not send the command to the worker (Kafka unavailable); nothing was changed, retry later');
    }
    return command;
  }
}
