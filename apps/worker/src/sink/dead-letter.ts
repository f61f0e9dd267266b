import type { KafkaMessage, Message } from 'kafkajs';
import { KAFKA_HEADERS } from '@spendguard/contracts';

/** The dead-letter copy of a refused message: same key and value, the reason in headers. */
export function deadLetterMessage(source: { topic: string; partition: number }, message: KafkaMessage, reason: string): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [KAFKA_HEADERS.deadLetterReason]: reason.slice(0, 4096),
      [KAFKA_HEADERS.deadLetterSourceTopic]: source.topic,
      [KAFKA_HEADERS.deadLetterSourcePartition]: String(source.partition),
      [KAFKA_HEADERS.deadLetterSourceOffset]: message.offset,
    },
  };
}
