import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import type { KeyState, KeyStatus } from '@spendguard/contracts/key-status';
import { KAFKA, retryWhileSettling } from '@spendguard/kafka';

/** What the decision endpoint answers for one key. */
export interface KeyDecision {
  keyId: string;
  status: KeyState;
  accountId?: string;
  changedAt?: string;
  changedBy?: string;
  reason?: string;
  incidentId?: string;
}

export interface KeyStatusCacheReadiness {
  ready: boolean;
  keys: number;
  suspended: number;
  /** Partitions not yet read up to the end offset seen at start. */
  partitionsBehind: number;
  error?: string;
}

/**
 * Every key's latest status, in memory, read from the compacted key-status topic.
 *
 * Guarantees: the topic is read from the beginning by a consumer group unique to this
 * process (no offsets are committed, so the broker forgets the group once it leaves);
 * messages of one key come from one partition, in order, so the map holds the last
 * message per key. `ready` turns true once every partition has been read up to the end
 * offset it had when the service started; until then the decision endpoint answers 503
 * rather than guess "active". Later changes arrive within the consumer's fetch latency.
 */
@Injectable()
export class KeyStatusCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyStatusCache.name);
  private readonly statuses = new Map<string, KeyStatus>();
  private suspendedCount = 0;
  private consumer: Consumer | undefined;
  /** partition → end offset at start that must be reached; deleted once reached. */
  private readonly pending = new Map<number, bigint>();
  private started = false;
  private crashed: string | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const topic = this.config.TOPIC_KEY_STATUS;
    const groupId = `${this.config.KAFKA_CLIENT_ID}-api-key-status-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const p of await retryWhileSettling(`reading offsets of ${topic}`, () => admin.fetchTopicOffsets(topic))) {
        if (BigInt(p.high) > BigInt(p.low)) this.pending.set(p.partition, BigInt(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    this.consumer = this.kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.crashed = event.payload.error.message;
        this.logger.error(`key-status consumer crashed without restart topic=${topic}: ${this.crashed}`);
      }
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) this.applyMessage(message.key, message.value);
        if (batch.messages.length > 0) this.reached(batch.partition, BigInt(batch.lastOffset()) + 1n);
      },
    });
    this.started = true;
    this.logger.log(`key-status consumer started topic=${topic} groupId=${groupId} partitionsToLoad=${this.pending.size}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect();
  }

  get ready(): boolean {
    return this.started && this.pending.size === 0 && this.crashed === undefined;
  }

  readiness(): KeyStatusCacheReadiness {
    return {
      ready: this.ready,
      keys: this.statuses.size,
      suspended: this.suspendedCount,
      partitionsBehind: this.pending.size,
      ...(this.crashed ? { error: this.crashed } : {}),
    };
  }

  /** The key's status; keys never suspended are active. */
  decide(keyId: string): KeyDecision {
    const s = this.statuses.get(keyId);
    if (!s) return { keyId, status: 'active' };
    return {
      keyId,
      status: s.status,
      accountId: s.accountId,
      changedAt: s.changedAt,
      changedBy: s.changedBy,
      reason: s.reason,
      ...(s.incidentId ? { incidentId: s.incidentId } : {}),
    };
  }

  get(keyId: string): KeyStatus | undefined {
    return this.statuses.get(keyId);
  }

  /** Applies a status this process just published (the topic copy follows). */
  apply(status: KeyStatus): void {
    const previous = this.statuses.get(status.keyId);
    if (previous?.status === 'suspended') this.suspendedCount--;
    if (status.status === 'suspended') this.suspendedCount++;
    this.statuses.set(status.keyId, status);
  }

  private applyMessage(key: Buffer | null, value: Buffer | null): void {
    if (!key) return;
    if (!value) {
      // A tombstone forgets the key: it is active again.
      const keyId = key.toString('utf8');
      if (this.statuses.get(keyId)?.status === 'suspended') this.suspendedCount--;
      this.statuses.delete(keyId);
      return;
    }
    const status = parseKeyStatus(value);
    if (!status) {
      this.logger.warn(`ignored a malformed key-status message key=${key.toString('utf8').slice(0, 128)}`);
      return;
    }
    this.apply(status);
  }

  private reached(partition: number, nextOffset: bigint): void {
    const target = this.pending.get(partition);
    if (target !== undefined && nextOffset >= target) {
      this.pending.delete(partition);
      if (this.pending.size === 0) this.logger.log(`key-status loaded keys=${this.statuses.size} suspended=${this.suspendedCount}`);
    }
  }
}

function parseKeyStatus(value: Buffer): KeyStatus | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<KeyStatus>;
    if (typeof parsed.keyId !== 'string' || (parsed.status !== 'active' && parsed.status !== 'suspended')) return undefined;
    return {
      v: 1,
      keyId: parsed.keyId,
      accountId: String(parsed.accountId ?? ''),
      status: parsed.status,
      changedAt: String(parsed.changedAt ?? ''),
      changedBy: String(parsed.changedBy ?? ''),
      reason: String(parsed.reason ?? ''),
      ...(typeof parsed.incidentId === 'string' && parsed.incidentId ? { incidentId: parsed.incidentId } : {}),
    };
  } catch {
    return undefined;
  }
}
