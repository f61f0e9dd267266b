import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { sql } from '../sql-literal';
import { readRows } from './read-rows';

export interface KeyDirectoryEntry {
  keyId: string;
  accountId: string;
  keyPrefix: string;
  lastSeen: string;
}

interface DirectoryRow {
  key_id: string;
  account_id: string;
  latest_prefix: string;
  latest_seen: string;
}

/** Most keys a lookup returns; more than one match is ambiguous anyway. */
const MAX_MATCHES = 10;

/** Which account a key fingerprint (or display prefix) belongs to, from `key_directory`. */
@Injectable()
export class KeyDirectoryRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async findByKeyId(keyId: string): Promise<KeyDirectoryEntry[]> {
    return this.find(sql`key_id = ${keyId}`);
  }

  async findByPrefix(keyPrefix: string): Promise<KeyDirectoryEntry[]> {
    return this.find(sql`key_prefix = ${keyPrefix}`);
  }

  private async find(condition: string): Promise<KeyDirectoryEntry[]> {
    // argMax per (key, account): the directory is a ReplacingMergeTree that merges eventually.
    const rows = await readRows<DirectoryRow>(
      this.client,
      `SELECT key_id, account_id, argMax(key_prefix, last_seen) AS latest_prefix, toString(max(last_seen)) AS latest_seen
        FROM key_directory WHERE ${condition}
        GROUP BY key_id, account_id ORDER BY latest_seen DESC LIMIT ${MAX_MATCHES}`,
    );
    return rows.map((r) => ({ keyId: r.key_id, accountId: r.account_id, keyPrefix: r.latest_prefix, lastSeen: r.latest_seen }));
  }
}
