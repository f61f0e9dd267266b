import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { UsageRollupsRepository } from '@spendguard/clickhouse/detection/usage-rollups.repository';
import type { DetectionEngine, DetectionPolicy } from '@spendguard/detectors';
import { KAFKA, keyPartition, topicPartitionCount } from '@spendguard/kafka';
import { seedEngine, seedUntil } from './rollup-seed';

/** Heartbeat the group at most this often while seeding, so a long seed is not taken for a dead member. */
const HEARTBEAT_EVERY_MS = 2000;
const ROWS_BETWEEN_CLOCK_READS = 4096;

/**
 * Cold start of a detect partition that has no saved state: learns the last
 * DETECT_SEED_LOOKBACK_HOURS of per-minute rollups of the partition's accounts, up to the
 * cut-over of `seedUntil`, so its keys are judged against their real history from the first
 * replayed event instead of against priors.
 *
 * Partition membership: the usage topic is keyed by account id and partitioned by murmur2
 * (`keyPartition`, the partitioner of our producers and of Java clients); an account whose
 * gateway partitions otherwise is not seeded here and starts from priors.
 */
@Injectable()
export class ColdStartSeeder {
  private readonly logger = new Logger(ColdStartSeeder.name);

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rollups: UsageRollupsRepository,
  ) {}

  /** The seeded state, or undefined when seeding is off or there is no history. */
  async seed(topic: string, partition: number, firstEventTimeMs: number, policy: DetectionPolicy, heartbeat: () => Promise<void>): Promise<DetectionEngine | undefined> {
    const hours = this.config.DETECT_SEED_LOOKBACK_HOURS;
    if (hours === 0) return undefined;
    const started = Date.now();
    const untilMs = seedUntil(firstEventTimeMs);
    const sinceMs = untilMs - hours * 3_600_000;
    const partitions = await topicPartitionCount(this.kafka, topic);
    const accounts = (await this.rollups.accountsBetween(sinceMs, untilMs)).filter((a) => keyPartition(a, partitions) === partition);
    let rows = 0;
    let lastBeat = started;
    const result = await seedEngine(policy, this.rollups.rowsBetween(accounts, sinceMs, untilMs), untilMs, () => {
      if (++rows % ROWS_BETWEEN_CLOCK_READS !== 0 || Date.now() - lastBeat < HEARTBEAT_EVERY_MS) return undefined;
      lastBeat = Date.now();
      return heartbeat();
    });
    const seconds = (Date.now() - started) / 1000;
    this.logger.log(
      `seeded detection state from rollups partition=${partition} accounts=${accounts.length} keys=${result.keys} rows=${result.rows} ` +
        `minutes=[${new Date(sinceMs).toISOString()}, ${new Date(untilMs).toISOString()}) seconds=${seconds.toFixed(2)} rowsPerSecond=${Math.round(result.rows / Math.max(seconds, 0.001))}`,
    );
    return result.rows > 0 ? result.engine : undefined;
  }
}
