import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredAccountPolicy } from '@spendguard/clickhouse/escalation/account-routing-policies.repository';
import type { DetectionPolicy } from '@spendguard/detectors/policy';
import { DetectionPolicySource } from './detection-policy-source';

/** The API's account policies as the ClickHouse reader returns them (versions only grow). */
class AccountPolicyTable {
  rows: StoredAccountPolicy[] = [];
  failing = false;
  latestAll(): Promise<StoredAccountPolicy[]> {
    return this.failing ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8123')) : Promise.resolve(this.rows.map((r) => ({ ...r })));
  }
  put(accountId: string, policy: StoredAccountPolicy['policy']): void {
    const version = Math.max(0, ...this.rows.filter((r) => r.accountId === accountId).map((r) => r.version)) + 1;
    this.rows = [...this.rows.filter((r) => r.accountId !== accountId), { accountId, version, policy }];
  }
}

describe('DetectionPolicySource', () => {
  let dir: string;
  let file: string;
  let table: AccountPolicyTable;
  let changes: DetectionPolicy[];
  let logs: string[];
  let source: DetectionPolicySource;
  const hourCap = (accountId: string) => source.policy.forKey(accountId, 'k1').caps.hourUsd;
  const dayCap = (accountId: string) => source.policy.forKey(accountId, 'k1').caps.dayUsd;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-source-'));
    file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ accounts: { acme: { keyCaps: { dayUsd: 100 } }, globex: { keyCaps: { dayUsd: 200 } } } }));
    table = new AccountPolicyTable();
    changes = [];
    logs = [];
    const logger = { log: (m: string) => logs.push(`log ${m}`), warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`) };
    source = new DetectionPolicySource({ file, reloadMs: 0, accountPolicies: table, logger, onChange: (p) => changes.push(p) });
  });
  afterEach(() => {
    source.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an account policy set through the API replaces the file section of that account only', async () => {
    table.put('acme', { detection: { keyCaps: { hourUsd: 5 } }, routing: {} });
    await source.start();
    expect(hourCap('acme')).toBe(5);
    expect(dayCap('acme')).toBeNull(); // the API section replaces the file's, it does not merge into it
    expect(dayCap('globex')).toBe(200);
    expect(changes.at(-1)).toBe(source.policy);
  });

  it('applies a replaced account policy at the next poll, once; a policy without a detection section gives the account back to the file', async () => {
    await source.start();
    expect(dayCap('acme')).toBe(100);
    table.put('acme', { detection: { keyCaps: { hourUsd: 5 } } });
    expect(await source.pollAccountPolicies()).toBe(true);
    expect(hourCap('acme')).toBe(5);
    const count = changes.length;
    expect(await source.pollAccountPolicies()).toBe(false); // nothing new: no re-apply
    expect(changes).toHaveLength(count);
    table.put('acme', { routing: {} });
    expect(await source.pollAccountPolicies()).toBe(true);
    expect(hourCap('acme')).toBeNull();
    expect(dayCap('acme')).toBe(100);
  });

  it('keeps the API sections when the file is reloaded', async () => {
    table.put('acme', { detection: { keyCaps: { hourUsd: 5 } } });
    await source.start();
    writeFileSync(`${file}.tmp`, JSON.stringify({ defaults: { keyCaps: { monthUsd: 1000 } }, accounts: { acme: { keyCaps: { dayUsd: 1 } } } }));
    renameSync(`${file}.tmp`, file);
    process.emit('SIGHUP', 'SIGHUP');
    expect(hourCap('acme')).toBe(5);
    expect(dayCap('acme')).toBeNull();
    expect(source.policy.forKey('globex', 'k1').caps.monthUsd).toBe(1000);
  });

  it('leaves out an invalid account section with every problem logged, and keeps the overrides when ClickHouse is unreachable', async () => {
    table.put('acme', { detection: { keyCaps: { hourUsd: 'ten' }, thresholds: { zscore: -1 } } });
    table.put('globex', { detection: { keyCaps: { hourUsd: 7 } } });
    await source.start();
    expect(dayCap('acme')).toBe(100);
    expect(hourCap('globex')).toBe(7);
    const error = logs.find((l) => l.startsWith('error'));
    expect(error).toContain('acme: keyCaps.hourUsd');
    expect(error).toContain('acme: thresholds.zscore');
    table.failing = true;
    expect(await source.pollAccountPolicies()).toBe(false);
    expect(hourCap('globex')).toBe(7);
    expect(logs.at(-1)).toMatch(/^warn cannot read account detection policies, keeping the ones in force: connect ECONNREFUSED/);
  });
});
