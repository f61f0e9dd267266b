import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, Message } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { parseUsageEventJson } from '@spendguard/contracts';
import { toUsageEventRow, UsageEventsRepository, type UsageEventRow } from '@spendguard/clickhouse';
import { KAFKA, KafkaProducerService, superviseConsumer } from '@spendguard/kafka';
import { Metrics } from '@spendguard/observability';
import { deadLetterMessage } from './dead-letter';
import { FlushAbandoned, FlushBuffer } from './flush-buffer';
import { RecentEventIds } from './recent-event-ids';
import { RedeliveryFilter } from './redelivery-filter';

const HEARTBEAT_EVERY_MS = 3000;

/**
 * Sink: usage-events topic → ClickHouse `usage_events`.
 *
 * Delivery: at-least-once into ClickHouse, duplicates removed before insert
 * (redelivery filter + recent ids) and at merge (ReplacingMergeTree).
 * - `eachBatch` with auto-resolve off; a batch's offsets are resolved and
 *   committed only after its rows are in ClickHouse and its invalid messages
 *   are acknowledged by the dead-letter topic.
 * - Batches of all partitions share one {@link FlushBuffer}: an insert goes out
 *   at SINK_FLUSH_ROWS rows or SINK_FLUSH_INTERVAL_MS, whichever first, or as
 *   soon as every batch being handled is waiting for the buffer: kafkajs fetches
 *   again from a broker only after all batches of its last fetch were handled,
 *   so waiting longer would not gather more rows, only delay (the broker-side
 *   wait, maxWaitTimeInMs/minBytes, does the gathering instead).
 * - ClickHouse down: the insert is retried with backoff while the handler keeps
 *   heartbeating; no new batch is fetched for that partition (memory stays
 *   bounded), nothing is committed, the process does not exit.
 * - Rebalance or shutdown mid-wait: the batch is abandoned uncommitted; Kafka
 *   redelivers it and the redelivery filter drops what was stored meanwhile.
 */
@Injectable()
export class SinkConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SinkConsumer.name);
  private readonly consumer: Consumer;
  private readonly buffer: FlushBuffer<UsageEventRow>;
  private readonly recentIds: RecentEventIds;
  private readonly redelivery: RedeliveryFilter;
  /** Batches being handled that have not yet handed their rows to the buffer. */
  private preparing = 0;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: KafkaProducerService,
    private readonly repository: UsageEventsRepository,
    private readonly metrics: Metrics,
  ) {
    this.consumer = kafka.consumer({
      groupId: config.SINK_GROUP_ID,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      // The broker gathers rows for an insert: a fetch returns at 2 MiB (~5k events) or after the flush interval.
      minBytes: 2 * 1024 * 1024,
      maxWaitTimeInMs: config.SINK_FLUSH_INTERVAL_MS,
    });
    this.recentIds = new RecentEventIds(config.SINK_DEDUPE_IDS);
    this.redelivery = new RedeliveryFilter(repository);
    this.buffer = new FlushBuffer<UsageEventRow>({
      insert: (rows) => repository.insert(rows),
      maxRows: config.SINK_FLUSH_ROWS,
      maxDelayMs: config.SINK_FLUSH_INTERVAL_MS,
      maxBackoffMs: config.SINK_RETRY_MAX_MS,
      onInsertFailure: (error, attempt, delayMs) => {
        this.metrics.sinkInsertFailures.inc();
        this.logger.warn(`ClickHouse insert failed attempt=${attempt} retryInMs=${delayMs}: ${error.message}`);
      },
      onFlushed: (rowCount, seconds) => {
        this.metrics.sinkRows.inc(rowCount);
        this.metrics.sinkFlushSeconds.observe(seconds);
      },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.redelivery.reset());
    superviseConsumer(this.consumer, this.logger, 'sink');
  }

  async onModuleInit(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.TOPIC_USAGE_EVENTS, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      // Only resolved offsets are ever committed, and we resolve after the insert.
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: this.config.TOPIC_PARTITIONS,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log(`sink consuming topic=${this.config.TOPIC_USAGE_EVENTS} group=${this.config.SINK_GROUP_ID}`);
  }

  /** Shutdown order: stop retrying, let kafkajs finish the in-flight batch, leave the group. */
  async onApplicationShutdown(): Promise<void> {
    this.buffer.close();
    await this.consumer.disconnect();
    this.logger.log('sink stopped');
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    this.preparing++;
    let prepared: { flushed: Promise<void>; batchIds: Set<string> };
    try {
      prepared = await this.prepareBatch(batch);
    } finally {
      this.preparing--;
      // Once every batch in hand waits for the buffer, no more rows can come before the flush.
      setImmediate(() => {
        if (this.preparing === 0) this.buffer.flushSoon();
      });
    }
    const { flushed, batchIds } = prepared;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
    try {
      await flushed;
    } catch (error) {
      if (error instanceof FlushAbandoned) return;
      throw error;
    } finally {
      clearInterval(beat);
    }
    for (const id of batchIds) this.recentIds.add(id);
    if (!isRunning() || isStale()) return;
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary();
  }

  /** Validates a batch, dead-letters the invalid messages, drops duplicates and hands the rows to the buffer. */
  private async prepareBatch(batch: EachBatchPayload['batch']): Promise<{ flushed: Promise<void>; batchIds: Set<string> }> {
    const now = Date.now();
    const source = { topic: batch.topic, partition: batch.partition };
    const valid: { offset: string; row: UsageEventRow }[] = [];
    const deadLetters: Message[] = [];
    for (const message of batch.messages) {
      const reference = Number(message.timestamp) || now;
      const parsed = parseUsageEventJson(message.value?.toString('utf8') ?? '', {
        now: reference,
        maxPastMs: this.config.EVENT_MAX_PAST_SECONDS * 1000,
        maxFutureMs: this.config.EVENT_MAX_FUTURE_SECONDS * 1000,
      });
      if (parsed.ok) valid.push({ offset: message.offset, row: toUsageEventRow(parsed.event, { ...source, offset: message.offset }, now) });
      else deadLetters.push(deadLetterMessage(source, message, parsed.reason));
    }

    const stored = await this.redelivery.alreadyStored(
      batch.topic,
      batch.partition,
      valid.map((v) => ({ offset: v.offset, id: v.row.event_id })),
    );
    const rows: UsageEventRow[] = [];
    const batchIds = new Set<string>();
    for (const { row } of valid) {
      if (stored.has(row.event_id)) this.metrics.sinkDuplicates.inc({ reason: 'redelivered' });
      else if (this.recentIds.has(row.event_id) || batchIds.has(row.event_id)) this.metrics.sinkDuplicates.inc({ reason: 'resent' });
      else {
        batchIds.add(row.event_id);
        rows.push(row);
      }
    }

    if (deadLetters.length > 0) {
      await this.producer.send(this.config.TOPIC_USAGE_EVENTS_DLQ, deadLetters);
      this.metrics.deadLettered.inc({ topic: batch.topic }, deadLetters.length);
    }

    const flushed = this.buffer.add(rows);
    // Observed by handleBatch; a rejection before then must not count as unhandled.
    void flushed.catch(() => undefined);
    this.metrics.sinkBufferedRows.set(this.buffer.bufferedRows);
    return { flushed, batchIds };
  }
}
