import { Kafka, Partitioners, logLevel, type LogEntry, type Producer } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { retryWhileSettling } from './retry-startup';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
}

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through Nest's logger, with the structured fields kept. */
function kafkaLogCreator() {
  const logger = new Logger('kafkajs');
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const method = LEVEL_NAMES[level] ?? 'debug';
      logger[method](`${message} ${JSON.stringify(fields)}`);
    };
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(),
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

/**
 * The idempotent producer: acks from all in-sync replicas and one request in
 * flight, so the broker drops the producer's own retry duplicates. Every
 * event still carries its own id for end-to-end deduplication.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

/**
 * Creates the topics that do not exist yet; harmless when they do, also when
 * another process creates them at the same moment.
 */
export async function ensureTopics(
  kafka: Kafka,
  topics: { topic: string; numPartitions: number; compacted?: boolean }[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await retryWhileSettling('creating topics', async () => {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
    });
  } finally {
    await admin.disconnect();
  }
}
