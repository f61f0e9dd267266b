import { BadRequestException, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { AccountPolicy } from '@spendguard/contracts/control-command';
import { AccountPoliciesRepository } from '@spendguard/clickhouse/control-plane/account-policies.repository';
import { ControlCommandPublisher } from '../control/control-command.publisher';
import { WebhookEndpointsReader } from '../webhooks/webhook-endpoints.reader';
import { validateAccountPolicy } from './account-policy';

export interface AccountPolicyView {
  accountId: string;
  /** 0 when the account never had a policy through the API (file and built-in defaults apply). */
  version: number;
  policy: AccountPolicy;
  changedBy?: string;
}

/**
 * Replaces an account's policy: validated by both libraries (all errors at once → 400),
 * stored in `account_policies` with the next version, then sent to the worker as a
 * `policy.replaced` command. Replacements of one account are serialised in this process;
 * two api processes replacing the same account at the same instant may both write the
 * same version number (the later row wins in ReplacingMergeTree), which is acceptable
 * for a rare manual action.
 */
@Injectable()
export class ReplaceAccountPolicyUseCase {
  private readonly logger = new Logger(ReplaceAccountPolicyUseCase.name);
  private readonly perAccount = new Map<string, Promise<unknown>>();

  constructor(
    private readonly policies: AccountPoliciesRepository,
    private readonly commands: ControlCommandPublisher,
    private readonly endpoints: WebhookEndpointsReader,
  ) {}

  async read(accountId: string): Promise<AccountPolicyView> {
    const stored = await this.policies.latest(accountId);
    if (!stored) return { accountId, version: 0, policy: {} };
    return { accountId, version: stored.version, policy: JSON.parse(stored.policyJson) as AccountPolicy, changedBy: stored.changedBy };
  }

  async replace(accountId: string, body: unknown, actor: string): Promise<AccountPolicyView & { commandId: string }> {
    const validation = validateAccountPolicy(accountId, body, this.endpoints.ids());
    if (!validation.ok) throw new BadRequestException({ message: 'invalid policy', errors: validation.errors });
    const previous = this.perAccount.get(accountId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.store(accountId, validation.policy, actor));
    this.perAccount.set(accountId, run);
    try {
      return await run;
    } finally {
      if (this.perAccount.get(accountId) === run) this.perAccount.delete(accountId);
    }
  }

  private async store(accountId: string, policy: AccountPolicy, actor: string): Promise<AccountPolicyView & { commandId: string }> {
    let version: number;
    try {
      version = ((await this.policies.latest(accountId))?.version ?? 0) + 1;
      await this.policies.insert({ accountId, version, policyJson: JSON.stringify(policy), changedBy: actor });
    } catch (error) {
      this.logger.error(`policy write failed accountId=${accountId}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('could not store the policy (ClickHouse unavailable); nothing was changed');
    }
    const command = await this.commands.publish({ type: 'policy.replaced', accountId, actor, policy });
    return { accountId, version, policy, changedBy: actor, commandId: command.commandId };
  }
}
