import type { ClickHouseClient } from '@clickhouse/client';

export interface StoredAccountPolicy {
  accountId: string;
  version: number;
  /** Parsed `policy_json` (`{detection?, routing?}`), or undefined when it is not valid JSON. */
  policy: { detection?: unknown; routing?: unknown } | undefined;
}

/**
 * Reads the latest policy of every account from `account_policies` (written by the API's
 * control plane; ReplacingMergeTree by version, read with argMax so unmerged parts never matter).
 */
export class AccountPoliciesReader {
  constructor(private readonly client: ClickHouseClient) {}

  async latestAll(): Promise<StoredAccountPolicy[]> {
    const result = await this.client.query({
      query: `SELECT account_id, toString(max(version)) AS latest_version, argMax(policy_json, version) AS latest_policy_json
        FROM account_policies GROUP BY account_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ account_id: string; latest_version: string; latest_policy_json: string }>();
    return rows.map((r) => ({ accountId: r.account_id, version: Number(r.latest_version), policy: parsePolicy(r.latest_policy_json) }));
  }
}

function parsePolicy(json: string): StoredAccountPolicy['policy'] {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as StoredAccountPolicy['policy']) : undefined;
  } catch {
    return undefined;
  }
}
