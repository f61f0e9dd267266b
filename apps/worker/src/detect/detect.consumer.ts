import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Batch, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { parseUsageEventJson, type Finding } from '@spendguard/contracts';
import { CLICKHOUSE_CLIENT } from '@spendguard/clickhouse/clickhouse.tokens';
import { DetectorSnapshotsRepository, FindingsRepository } from '@spendguard/clickhouse/detection/findings.repository';
import { AccountPoliciesReader } from '@spendguard/clickhouse/escalation/account-routing-policies.repository';
import type { DetectionPolicy, EngineSnapshot } from '@spendguard/detectors';
import { KAFKA, KafkaProducerService, superviseConsumer } from '@spendguard/kafka';
import { ColdStartSeeder } from './cold-start-seeder';
import { DetectionPolicySource } from './detection-policy-source';
import { PartitionDetector } from './partition-detector';

/** Published finding ids older than the last snapshot are looked up in ClickHouse instead. */
const PUBLISHED_IDS_KEPT = 50_000;
/** How far back to read published finding ids when a partition's state is restored. */
const PUBLISHED_LOOKBACK_MS = 24 * 3600_000;

/**
 * Detect role: usage-events topic → detection engine → findings topic (and the
 * `findings` table).
 *
 * State and delivery:
 * - One engine per partition (the message key is the account id, so all keys
 *   of an account meet in one engine). Event time is the clock.
 * - Offsets are committed only together with a saved engine snapshot
 *   (`detector_snapshots`, every DETECT_SNAPSHOT_INTERVAL_MS), so after a crash
 *   the restored state plus the replayed messages rebuild exactly the state
 *   that was lost, baselines included.
 * - A partition without a snapshot (new group, lost snapshots) first learns its
 *   accounts' recent per-minute rollups from ClickHouse (`ColdStartSeeder`; cut-over
 *   rule in `seedUntil`), then replays Kafka as before.
 * - The policy is DETECTION_POLICY_FILE (re-read when it changes, and on SIGHUP) with
 *   each account's `detection` section set through the API in place of the file's
 *   (`DetectionPolicySource`); a new policy applies to every partition's engine,
 *   keeping baselines.
 * - Findings are published (acks = all) before their offsets can be committed;
 *   a replay regenerates the same finding ids, and ids already published
 *   (in memory, or in ClickHouse for restored partitions) are not sent again.
 * - Invalid messages are skipped here; the sink dead-letters them.
 */
@Injectable()
export class DetectConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DetectConsumer.name);
  private readonly consumer: Consumer;
  private readonly policySource: DetectionPolicySource;
  private readonly partitions = new Map<number, PartitionDetector>();
  private readonly lastSnapshotAt = new Map<number, number>();

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: KafkaProducerService,
    private readonly findings: FindingsRepository,
    private readonly snapshots: DetectorSnapshotsRepository,
    private readonly seeder: ColdStartSeeder,
    @Inject(CLICKHOUSE_CLIENT) clickhouse: ClickHouseClient,
  ) {
    this.policySource = new DetectionPolicySource({
      file: config.DETECTION_POLICY_FILE,
      reloadMs: config.DETECTION_POLICY_RELOAD_MS,
      accountPolicies: new AccountPoliciesReader(clickhouse),
      logger: this.logger,
      onChange: (policy) => this.applyPolicy(policy),
    });
    this.consumer = kafka.consumer({ groupId: config.DETECT_GROUP_ID, maxWaitTimeInMs: 200 });
    // A rebalance may move partitions elsewhere; state is reloaded from the last snapshot.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.partitions.clear();
      this.lastSnapshotAt.clear();
    });
    superviseConsumer(this.consumer, this.logger, 'detect');
  }

  async onModuleInit(): Promise<void> {
    await this.policySource.start();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.TOPIC_USAGE_EVENTS, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      partitionsConsumedConcurrently: this.config.TOPIC_PARTITIONS,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.logger.log(`detect consuming topic=${this.config.TOPIC_USAGE_EVENTS} group=${this.config.DETECT_GROUP_ID}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.policySource.stop();
    await this.consumer.disconnect();
    this.logger.log('detect stopped');
  }

  /** The file watcher checked the engine settings are unchanged (account sections cannot change them), so no engine refuses it. */
  private applyPolicy(policy: DetectionPolicy): void {
    for (const detector of this.partitions.values()) detector.engine.applyPolicy(policy);
  }

  private async detectorFor(batch: Batch, heartbeat: () => Promise<void>): Promise<PartitionDetector> {
    const { topic, partition } = batch;
    const existing = this.partitions.get(partition);
    if (existing) return existing;
    const saved = await this.snapshots.latest(this.config.DETECT_GROUP_ID, topic, partition);
    const seeded = saved ? undefined : await this.seeder.seed(topic, partition, firstEventTime(batch), this.policySource.policy, heartbeat);
    const detector = saved
      ? PartitionDetector.restored(JSON.parse(saved.snapshot) as EngineSnapshot, BigInt(saved.nextOffset), this.policySource.policy)
      : seeded
        ? PartitionDetector.seeded(seeded)
        : PartitionDetector.fresh(this.policySource.policy);
    // Messages after the snapshot (or all, without one) are replayed; their findings may be out already.
    detector.rememberPublished(await this.findings.publishedIds(partition, (saved?.savedAtMs ?? Date.now()) - PUBLISHED_LOOKBACK_MS));
    if (saved) this.logger.log(`restored detection state partition=${partition} nextOffset=${saved.nextOffset} keys=${detector.engine.trackedKeys}`);
    this.partitions.set(partition, detector);
    this.lastSnapshotAt.set(partition, Date.now());
    return detector;
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const detector = await this.detectorFor(batch, heartbeat);
    const found: Finding[] = [];
    for (const message of batch.messages) {
      const parsed = parseUsageEventJson(message.value?.toString('utf8') ?? '');
      for (const finding of detector.observe(BigInt(message.offset), parsed.ok ? parsed.event : undefined)) found.push(finding);
    }
    if (found.length > 0) {
      await this.producer.send(
        this.config.TOPIC_FINDINGS,
        found.map((f) => ({ key: f.accountId, value: JSON.stringify(f), headers: { 'content-type': 'application/json' } })),
      );
      await this.findings.insert(found, batch.partition, Date.now());
      this.logger.log(`published ${found.length} findings partition=${batch.partition}`);
    }
    if (!isRunning() || isStale()) return;
    resolveOffset(batch.lastOffset());
    await heartbeat();
    if (Date.now() - (this.lastSnapshotAt.get(batch.partition) ?? 0) >= this.config.DETECT_SNAPSHOT_INTERVAL_MS) {
      await this.saveAndCommit(batch.topic, batch.partition, detector);
    }
  }

  /** Saves the engine state and then commits the offset it covers. */
  private async saveAndCommit(topic: string, partition: number, detector: PartitionDetector): Promise<void> {
    this.lastSnapshotAt.set(partition, Date.now());
    if (!detector.takeDirty()) return;
    const nextOffset = detector.nextOffset.toString();
    await this.snapshots.save(this.config.DETECT_GROUP_ID, topic, partition, {
      nextOffset,
      savedAtMs: Date.now(),
      snapshot: JSON.stringify(detector.engine.snapshot()),
    });
    await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
    detector.trimPublished(PUBLISHED_IDS_KEPT);
  }
}

/** Event time of the first valid event of a batch (else its first message's Kafka timestamp): the seeding cut-over. */
function firstEventTime(batch: Batch): number {
  for (const message of batch.messages) {
    const parsed = parseUsageEventJson(message.value?.toString('utf8') ?? '');
    if (parsed.ok) return parsed.event.time;
  }
  return Number(batch.messages[0]?.timestamp ?? Date.now());
}
