import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import type { KeyStatus } from '@spendguard/contracts/key-status';
import { KafkaProducerService } from './kafka-producer.service';

/**
 * Publishes a key's new status to the compacted key-status topic (message key
 * = keyId, so compaction keeps each key's latest status). Gateways consume the
 * topic from the beginning to know which keys to block.
 */
@Injectable()
export class KeyStatusPublisher {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: KafkaProducerService,
  ) {}

  async publish(status: KeyStatus): Promise<void> {
    await this.producer.send(this.config.TOPIC_KEY_STATUS, [
      { key: status.keyId, value: JSON.stringify(status), headers: { 'content-type': 'application/json' } },
    ]);
  }
}
