import type { UsageEventsRepository } from '@spendguard/clickhouse';

/**
 * After a crash, Kafka redelivers messages whose rows may already be in
 * ClickHouse (inserted, but the offset commit never happened). The sink
 * learns, once per partition, the highest offset ClickHouse holds; messages
 * at or below it are checked against the stored event ids, newer ones are not.
 */
export class RedeliveryFilter {
  private readonly storedMax = new Map<string, bigint>();

  constructor(private readonly repository: UsageEventsRepository) {}

  /** Forget what was learnt, e.g. after a rebalance. */
  reset(): void {
    this.storedMax.clear();
  }

  /** Of the given (offset, id) pairs, the ids already stored in ClickHouse. */
  async alreadyStored(topic: string, partition: number, messages: { offset: string; id: string }[]): Promise<Set<string>> {
    const key = `${topic}:${partition}`;
    let max = this.storedMax.get(key);
    if (max === undefined) {
      max = await this.repository.storedMaxOffset(topic, partition);
      this.storedMax.set(key, max);
    }
    const limit = max;
    const suspects = messages.filter((m) => BigInt(m.offset) <= limit);
    if (suspects.length === 0) return new Set();
    return this.repository.storedEventIds(
      topic,
      partition,
      suspects[0].offset,
      suspects[suspects.length - 1].offset,
      suspects.map((m) => m.id),
    );
  }
}
