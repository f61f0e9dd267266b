import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka, Message, Producer } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { createIdempotentProducer, ensureTopics } from './kafka-client';
import { KAFKA, ownedTopics } from './kafka-topics';

/** Well under the broker's default 1 MiB `message.max.bytes`, even if every message lands in one partition. */
const MAX_REQUEST_BYTES = 768 * 1024;
/** Record headers and framing, roughly. */
const MESSAGE_OVERHEAD_BYTES = 64;

function byteLength(value: Message['value'] | Message['key']): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
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

  /**
   * Sends in requests of at most {@link MAX_REQUEST_BYTES}, one after the other
   * (so one key's messages keep their order); the broker refuses record batches
   * over its `message.max.bytes` (1 MiB by default).
   */
  async send(topic: string, messages: Message[]): Promise<void> {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const size = byteLength(messages[i].value) + byteLength(messages[i].key) + MESSAGE_OVERHEAD_BYTES;
      if (i > start && bytes + size > MAX_REQUEST_BYTES) {
        await this.producer.send({ topic, messages: messages.slice(start, i), acks: -1 });
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (start < messages.length) await this.producer.send({ topic, messages: messages.slice(start), acks: -1 });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
