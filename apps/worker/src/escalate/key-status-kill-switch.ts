import { Injectable, Logger } from '@nestjs/common';
import type { KeyStatus } from '@spendguard/contracts/key-status';
import { KeyStatusAuditRepository } from '@spendguard/clickhouse';
import type { KillSwitch } from '@spendguard/escalation';
import { KeyStatusPublisher } from '@spendguard/kafka';

export const AUTO_SUSPEND_ACTOR = 'policy:auto-suspend';

/**
 * Kill switch of the escalate role: publishes `suspended` to the compacted key-status topic
 * (gateways block the key), then records it in the audit trail (`key_status_changes`).
 *
 * Idempotent: when the key's latest audited status is already `suspended` (by this incident,
 * another one, or a person), nothing is published. The audit trail is the source of truth, so
 * this holds across restarts and sees resumptions made through the API. A crash between
 * publish and record publishes once more on replay (harmless on a compacted topic).
 */
@Injectable()
export class KeyStatusKillSwitch implements KillSwitch {
  private readonly logger = new Logger('KillSwitch');

  constructor(
    private readonly publisher: KeyStatusPublisher,
    private readonly audit: KeyStatusAuditRepository,
  ) {}

  async suspendKey(request: { accountId: string; keyId: string; incidentId: string; reason: string; actor: string }): Promise<void> {
    const latest = (await this.audit.history(request.keyId)).at(-1);
    if (latest?.status === 'suspended') {
      this.logger.log(`key already suspended keyId=${request.keyId} incidentId=${request.incidentId} by=${latest.changedBy}`);
      return;
    }
    const status: KeyStatus = {
      v: 1,
      keyId: request.keyId,
      accountId: request.accountId,
      status: 'suspended',
      changedAt: new Date().toISOString(),
      changedBy: AUTO_SUSPEND_ACTOR,
      reason: request.reason,
      incidentId: request.incidentId,
    };
    await this.publisher.publish(status);
    await this.audit.record(status);
    this.logger.warn(`key suspended keyId=${request.keyId} accountId=${request.accountId} incidentId=${request.incidentId}`);
  }
}
