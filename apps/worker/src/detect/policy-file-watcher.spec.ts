import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DetectionPolicy } from '@spendguard/detectors/policy';
import { loadDetectionPolicyFile } from './load-detection-policy';
import { PolicyFileWatcher } from './policy-file-watcher';

describe('PolicyFileWatcher', () => {
  let dir: string;
  let path: string;
  let applied: DetectionPolicy[];
  let logs: { level: string; message: string }[];
  let watcher: PolicyFileWatcher;
  let tick = 0;

  /** Writes the file with a new mtime each time, as a later edit would have. */
  const write = (value: unknown): void => {
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    const at = new Date(Date.now() + ++tick * 1000);
    utimesSync(path, at, at);
  };
  const hourCap = (policy: DetectionPolicy | undefined) => policy?.forKey('acme', 'k1').caps.hourUsd;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-watch-'));
    path = join(dir, 'policy.json');
    write({ accounts: { acme: { keyCaps: { hourUsd: 20 } } } });
    applied = [];
    logs = [];
    const logger = { log: (m: string) => logs.push({ level: 'log', message: m }), warn: (m: string) => logs.push({ level: 'warn', message: m }), error: (m: string) => logs.push({ level: 'error', message: m }) };
    watcher = new PolicyFileWatcher(path, loadDetectionPolicyFile(path), (p) => applied.push(p), logger);
  });
  afterEach(() => {
    watcher.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does nothing while the file is unchanged', () => {
    expect(watcher.check()).toBe('unchanged');
    expect(applied).toEqual([]);
  });

  it('applies a valid new version once', () => {
    write({ accounts: { acme: { keyCaps: { hourUsd: 5 } } } });
    expect(watcher.check()).toBe('applied');
    expect(watcher.check()).toBe('unchanged');
    expect(applied.map(hourCap)).toEqual([5]);
    expect(hourCap(watcher.policy)).toBe(5);
    expect(logs).toEqual([{ level: 'log', message: expect.stringContaining('reloaded') }]);
  });

  it('keeps the running policy on an invalid file, logging every problem once', () => {
    write({ defaults: { thresholds: { spikeRatioCritical: -1, zscore: 'high' } } });
    expect(watcher.check()).toBe('invalid');
    expect(watcher.check()).toBe('unchanged');
    expect(applied).toEqual([]);
    expect(hourCap(watcher.policy)).toBe(20);
    expect(logs).toHaveLength(1);
    expect(logs[0].level).toBe('error');
    expect(logs[0].message).toMatch(/2 problems[\s\S]*spikeRatioCritical[\s\S]*zscore[\s\S]*keeping the detection policy in force/);
  });

  it('keeps the running policy on broken JSON and on a deleted file, then takes the next good version', () => {
    write('{ "accounts": ');
    expect(watcher.check()).toBe('invalid');
    rmSync(path);
    expect(watcher.check()).toBe('invalid');
    expect(logs.map((l) => l.message).join('\n')).toMatch(/not valid JSON[\s\S]*cannot read/);
    write({ accounts: { acme: { keyCaps: { hourUsd: 7 } } } });
    expect(watcher.check()).toBe('applied');
    expect(applied.map(hourCap)).toEqual([7]);
  });

  it('applies nothing of a file that changes engine settings', () => {
    write({ engine: { bucketMs: 120_000 }, accounts: { acme: { keyCaps: { hourUsd: 1 } } } });
    expect(watcher.check()).toBe('needs-restart');
    expect(applied).toEqual([]);
    expect(hourCap(watcher.policy)).toBe(20);
    expect(logs[0]).toEqual({ level: 'warn', message: expect.stringContaining('need a restart') });
  });

  it('re-reads an unchanged file when forced (SIGHUP)', () => {
    expect(watcher.check(true)).toBe('applied');
    expect(applied.map(hourCap)).toEqual([20]);
  });

  it('polls on its own when started', async () => {
    watcher.start(20);
    write({ accounts: { acme: { keyCaps: { hourUsd: 3 } } } });
    const deadline = Date.now() + 2000;
    while (applied.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(applied.map(hourCap)).toEqual([3]);
  });
});
