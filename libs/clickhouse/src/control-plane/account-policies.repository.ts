import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { sql } from '../sql-literal';
import { readRows } from './read-rows';

export interface StoredAccountPolicy {
  accountId: string;
  version: number;
  /** JSON text of the AccountPolicy. */
  policyJson: string;
  changedBy: string;
}

interface PolicyRow {
  account_id: string;
  latest_version: string;
  latest_policy_json: string;
  latest_changed_by: string;
}

/** `account_policies`: every replaced policy of an account; the highest version is in force. */
@Injectable()
export class AccountPoliciesRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async latest(accountId: string): Promise<StoredAccountPolicy | undefined> {
    const [row] = await readRows<PolicyRow>(
      this.client,
      sql`SELECT account_id, toString(max(version)) AS latest_version, argMax(policy_json, version) AS latest_policy_json,
          argMax(changed_by, version) AS latest_changed_by
        FROM account_policies WHERE account_id = ${accountId} GROUP BY account_id`,
    );
    return row ? { accountId: row.account_id, version: Number(row.latest_version), policyJson: row.latest_policy_json, changedBy: row.latest_changed_by } : undefined;
  }

  async insert(policy: StoredAccountPolicy): Promise<void> {
    await this.client.insert({
      table: 'account_policies',
      format: 'JSONEachRow',
      values: [{ account_id: policy.accountId, version: policy.version, policy_json: policy.policyJson, changed_by: policy.changedBy }],
    });
  }
}
