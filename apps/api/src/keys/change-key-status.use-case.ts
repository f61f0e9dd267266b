import { ConflictException, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { KeyState, KeyStatus } from '@spendguard/contracts/key-status';
import { KeyStatusAuditRepository } from '@spendguard/clickhouse';
import { KeyStatusPublisher } from '@spendguard/kafka';
import { KeyStatusCache, type KeyDecision } from './key-status-cache.service';

export interface ChangeKeyStatusInput {
  keyId: string;
  accountId: string;
  reason: string;
  incidentId?: string;
  /** `admin:<name>`. */
  actor: string;
}

export interface ChangeKeyStatusResult {
  changed: boolean;
  key: KeyDecision;
  /** False when the change took effect but its audit row could not be written. */
  audited: boolean;
}

/**
 * Suspends or resumes a key (manual kill switch).
 *
 * Idempotent: the current state comes from the in-memory key-status cache; asking for
 * the state the key is already in changes nothing (`changed: false`). A change is
 * published to the compacted key-status topic first (that is what gateways act on),
 * then recorded in `key_status_changes`. Calls for one key are serialised in this
 * process so two concurrent suspends publish once.
 */
@Injectable()
export class ChangeKeyStatusUseCase {
  private readonly logger = new Logger(ChangeKeyStatusUseCase.name);
  private readonly perKey = new Map<string, Promise<unknown>>();

  constructor(
    private readonly cache: KeyStatusCache,
    private readonly publisher: KeyStatusPublisher,
    private readonly audit: KeyStatusAuditRepository,
  ) {}

  async execute(target: KeyState, input: ChangeKeyStatusInput): Promise<ChangeKeyStatusResult> {
    const previous = this.perKey.get(input.keyId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.change(target, input));
    this.perKey.set(input.keyId, run);
    try {
      return await run;
    } finally {
      if (this.perKey.get(input.keyId) === run) this.perKey.delete(input.keyId);
    }
  }

  private async change(target: KeyState, input: ChangeKeyStatusInput): Promise<ChangeKeyStatusResult> {
    if (!this.cache.ready) {
      throw new ServiceUnavailableException('key statuses are still loading from Kafka; retry in a few seconds');
    }
    const current = this.cache.get(input.keyId);
    if (current && current.accountId && current.accountId !== input.accountId) {
      throw new ConflictException(`key ${input.keyId} belongs to account ${current.accountId}, not ${input.accountId}`);
    }
    const currentState: KeyState = current?.status ?? 'active';
    if (currentState === target) return { changed: false, key: this.cache.decide(input.keyId), audited: true };

    const status: KeyStatus = {
      v: 1,
      keyId: input.keyId,
      accountId: input.accountId,
      status: target,
      changedAt: new Date().toISOString(),
      changedBy: input.actor,
      reason: input.reason,
      ...(input.incidentId ? { incidentId: input.incidentId } : {}),
    };
    try {
      await this.publisher.publish(status);
    } catch (error) {
      this.logger.error(`key-status publish failed keyId=${input.keyId} status=${target}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('could not publish the key status to Kafka; nothing was changed, retry');
    }
    this.cache.apply(status);
    let audited = true;
    try {
      await this.audit.record(status);
    } catch (error) {
      audited = false;
      this.logger.error(`key-status audit write failed keyId=${input.keyId} status=${target}: ${(error as Error).message}`);
    }
    return { changed: true, key: this.cache.decide(input.keyId), audited };
  }
}
