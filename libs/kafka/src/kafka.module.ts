import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { createIdempotentProducer, createKafka, ensureTopics } from './kafka-client';

export const KAFKA = Symbol('KAFKA');

/** Topics spendguard owns, created at start-up when missing. */
export function ownedTopics(config: AppConfig) {
  return [
    { topic: config.TOPIC_USAGE_EVENTS, numPartitions: config.TOPIC_PARTITIONS },
    { topic: config.TOPIC_USAGE_EVENTS_DLQ, numPartitions: config.TOPIC_PARTITIONS },
    { topic: config.TOPIC_FINDINGS, numPartitions: config.TOPIC_PARTITIONS },
    { topic: config.TOPIC_KEY_STATUS, numPartitions: config.TOPIC_PARTITIONS, compacted: true },
  ];
}

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

@Global()
@Module({
  providers: [
    {
      provide: KAFKA,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID }),
    },
    KafkaProducerService,
  ],
  exports: [KAFKA, KafkaProducerService],
})
export class KafkaModule {}
