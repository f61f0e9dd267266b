import { Partitioners, type Kafka, type PartitionMetadata } from 'kafkajs';

/** kafkajs's default partitioner: murmur2 of the key, the same as the Java client's. */
const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition a message keyed `key` lands on in a topic of `partitions` partitions, as
 * chosen by our producers (`createIdempotentProducer`) and every murmur2 producer (the Java
 * client; librdkafka with `partitioner=murmur2_random`).
 *
 * @example keyPartition('acme', 4) // => the partition of account acme's usage events
 */
export function keyPartition(key: string, partitions: number): number {
  // Only the count matters for a keyed message (murmur2(key) mod partitions).
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return defaultPartitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}

/** Number of partitions `topic` has now (the partitioner's modulus). */
export async function topicPartitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  } finally {
    await admin.disconnect();
  }
}
