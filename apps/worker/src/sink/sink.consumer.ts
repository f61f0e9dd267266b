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
const ROOM_POLL_MS = 50;

/**
 * Sink: usage-events topic → ClickHouse `usage_events`.
 *
 * Delivery: at-least-once into ClickHouse, duplicates removed before insert
 * (redelivery filter + recent ids) and at merge (ReplacingMergeTree).
 * - kafkajs `autoCommit` is off: an offset is committed only by
 *   {@link commitAfterInsert}, after the batch's rows are in ClickHouse and its
 *   invalid messages were acknowledged by the dead-letter topic. Commits run
 *   one at a time, in insert order, so a partition's committed offset only grows.
 * - Pipelined: a batch's offsets are *resolved* (which only lets kafkajs fetch
 *   on) as soon as its rows are handed to the shared {@link FlushBuffer}, so
 *   parsing the next batches overlaps the insert. An insert goes out at
 *   SINK_FLUSH_ROWS rows or SINK_FLUSH_INTERVAL_MS after its first row.
 * - Bounded memory: a new batch waits (heartbeating) while SINK_MAX_BUFFER_ROWS
 *   rows are handed over but not yet inserted.
 * - ClickHouse down: the insert is retried with capped backoff; rows pile up to
 *   the bound, then consumption pauses; nothing is committed; the process lives.
 * - Rebalance: before the first batch after a join, in-flight inserts finish,
 *   then the redelivery filter re-reads what ClickHouse holds, so messages
 *   redelivered from the last commit are recognised as stored.
 * - Shutdown: the buffer is abandoned uncommitted; Kafka redelivers.
 */
@Injectable()
export class SinkConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SinkConsumer.name);
  private readonly consumer: Consumer;
  private readonly buffer: FlushBuffer<UsageEventRow>;
  private readonly recentIds: RecentEventIds;
  private readonly redelivery: RedeliveryFilter;
  /** Rows handed to the buffer and not yet inserted. */
  private inFlightRows = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private commits: Promise<void> = Promise.resolve();
  /** Set on every group join; the next batch first settles in-flight inserts. */
  private settling: Promise<void> | undefined = Promise.resolve();
  private rejoined = false;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: KafkaProducerService,
    repository: UsageEventsRepository,
    private readonly metrics: Metrics,
  ) {
    this.consumer = kafka.consumer({
      groupId: config.SINK_GROUP_ID,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      // The buffer gathers rows for an insert; the broker only saves us from tiny fetches.
      minBytes: 256 * 1024,
      maxWaitTimeInMs: Math.min(250, config.SINK_FLUSH_INTERVAL_MS),
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
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.rejoined = true));
    superviseConsumer(this.consumer, this.logger, 'sink');
  }

  async onModuleInit(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.TOPIC_USAGE_EVENTS, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      partitionsConsumedConcurrently: this.config.TOPIC_PARTITIONS,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log(`sink consuming topic=${this.config.TOPIC_USAGE_EVENTS} group=${this.config.SINK_GROUP_ID}`);
  }

  /** Shutdown order: abandon uninserted rows (uncommitted), let kafkajs finish the batch in hand, leave the group. */
  async onApplicationShutdown(): Promise<void> {
    this.buffer.close();
    await this.consumer.disconnect();
    this.logger.log('sink stopped');
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    await this.settleAfterRejoin();
    await this.waitForRoom(heartbeat, isRunning);
    if (!isRunning() || isStale()) return;
    const { flushed, rowCount } = await this.prepareBatch(batch);
    if (!isRunning() || isStale()) return;
    resolveOffset(batch.lastOffset());
    this.track(flushed, rowCount, { topic: batch.topic, partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) });
  }

  /** After a group join, inserts still in flight finish before ClickHouse is asked what it holds. */
  private async settleAfterRejoin(): Promise<void> {
    if (this.rejoined) {
      this.rejoined = false;
      this.settling = Promise.allSettled([...this.inFlight]).then(() => this.redelivery.reset());
    }
    await this.settling;
  }

  private async waitForRoom(heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    let lastBeat = Date.now();
    while (this.inFlightRows >= this.config.SINK_MAX_BUFFER_ROWS && isRunning()) {
      await new Promise((resolve) => setTimeout(resolve, ROOM_POLL_MS));
      if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
        lastBeat = Date.now();
        await heartbeat().catch(() => undefined);
      }
    }
  }

  private track(flushed: Promise<void>, rowCount: number, position: { topic: string; partition: number; offset: string }): void {
    this.inFlightRows += rowCount;
    this.metrics.sinkBufferedRows.set(this.inFlightRows);
    const done = flushed.then(
      () => this.commitAfterInsert(position),
      (error: Error) => {
        if (!(error instanceof FlushAbandoned)) this.logger.error(`sink flush failed: ${error.message}`);
      },
    );
    const settled = done.finally(() => {
      this.inFlightRows -= rowCount;
      this.metrics.sinkBufferedRows.set(this.inFlightRows);
      this.inFlight.delete(settled);
    });
    this.inFlight.add(settled);
  }

  /** Commits run in insert order, one at a time. A failed commit only means redelivery, which is filtered. */
  private commitAfterInsert(position: { topic: string; partition: number; offset: string }): Promise<void> {
    this.commits = this.commits.then(() =>
      this.consumer.commitOffsets([position]).catch((error: Error) => {
        this.logger.warn(`commit failed topic=${position.topic} partition=${position.partition} offset=${position.offset}: ${error.message}`);
      }),
    );
    return this.commits;
  }

  /** Validates a batch, dead-letters the invalid messages (acknowledged), drops duplicates and hands the rows to the buffer. */
  private async prepareBatch(batch: EachBatchPayload['batch']): Promise<{ flushed: Promise<void>; rowCount: number }> {
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

    // Remembered at hand-over: a resend in the next batch must not race this batch's insert.
    for (const id of batchIds) this.recentIds.add(id);
    return { flushed: this.buffer.add(rows), rowCount: rows.length };
  }
}
