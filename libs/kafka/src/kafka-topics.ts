import type { AppConfig } from '@spendguard/config';

export const KAFKA = Symbol('KAFKA');

/** Topics spendguard owns, created at start-up when missing. */
export function ownedTopics(config: AppConfig) {
  return [
    { topic: config.TOPIC_USAGE_EVENTS, numPartitions: config.TOPIC_PARTITIONS },
    { topic: config.TOPIC_USAGE_EVENTS_DLQ, numPartitions: config.TOPIC_PARTITIONS },
    { topic: config.TOPIC_FINDINGS, numPartitions: config.TOPIC_PARTITIONS },
    { topic: config.TOPIC_KEY_STATUS, numPartitions: config.TOPIC_PARTITIONS, compacted: true },
    { topic: config.TOPIC_CONTROL_COMMANDS, numPartitions: config.TOPIC_PARTITIONS },
  ];
}
