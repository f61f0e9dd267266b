import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { createIdempotentProducer, ensureTopics } from './kafka-client';
import { KAFKA, ownedTopics } from './kafka-topics';

/**
 * The process's one idempotent producer. `send` resolves only after the
 * broker acknowledged every message (acks = all).
 */
@Injectable()
export class KafkaProducerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaProducerService.name);
  private readonly producer: Producer;
  private connected = false;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.producer = createIdempotentProducer(kafka);
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
  }

  async onModuleInit(): Promise<void> {
    await ensureTopics(this.kafka, ownedTopics(this.config));
    await this.producer.connect();
    this.logger.log(`producer connected (brokers=${this.config.KAFKA_BROKERS.join(',')})`);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async send(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send({ topic, messages, acks: -1 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
