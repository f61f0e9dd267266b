import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THRESHOLDS } from '@spendguard/detectors/policy';
import { loadDetectionPolicyFile } from './load-detection-policy';

describe('loadDetectionPolicyFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'policy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('returns the defaults without a path', () => {
    expect(loadDetectionPolicyFile().forKey('a', 'k').thresholds).toEqual(DEFAULT_THRESHOLDS);
    expect(loadDetectionPolicyFile('').forKey('a', 'k').caps.hourUsd).toBeNull();
  });

  it('reads overrides from the file', () => {
    const path = write('ok.json', JSON.stringify({ accounts: { acme: { keyCaps: { hourUsd: 20 } } } }));
    const policy = loadDetectionPolicyFile(path);
    expect(policy.forKey('acme', 'k1').caps.hourUsd).toBe(20);
    expect(policy.forKey('other', 'k1').caps.hourUsd).toBeNull();
  });

  it('lists every problem of an invalid policy', () => {
    const path = write('bad.json', JSON.stringify({ engine: { bucketMs: 5 }, defaults: { thresholds: { spikeRatioCritical: -1 } } }));
    expect(() => loadDetectionPolicyFile(path)).toThrow(/2 problems[\s\S]*engine\.bucketMs[\s\S]*defaults\.thresholds\.spikeRatioCritical/);
  });

  it('reports malformed JSON and a missing file', () => {
    expect(() => loadDetectionPolicyFile(write('broken.json', '{ nope'))).toThrow(/not valid JSON/);
    expect(() => loadDetectionPolicyFile(join(dir, 'missing.json'))).toThrow(/cannot read detection policy file/);
  });
});
