import { DEFAULT_THRESHOLDS } from './default-detection-policy';
import { DetectionPolicy, parseDetectionPolicy } from './detection-policy';

describe('parseDetectionPolicy', () => {
  it('accepts an empty object: every detector on, no caps', () => {
    const policy = DetectionPolicy.defaults();
    const key = policy.forKey('acme', 'k1');
    expect(key.thresholds).toEqual(DEFAULT_THRESHOLDS);
    expect(Object.values(key.detectors).every(Boolean)).toBe(true);
    expect(key.caps).toEqual({ hourUsd: null, dayUsd: null, monthUsd: null });
    expect(policy.engine.bucketMs).toBe(60_000);
  });

  it('lists every bad field at once', () => {
    const result = parseDetectionPolicy({
      engine: { bucketMs: 5 },
      defaults: { thresholds: { spikeRatioCritical: -1, nope: 1 } },
      accounts: { acme: { keyCaps: { hourUsd: 'ten' }, keys: { k1: { detectors: { cusum: 'yes' } } } } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => e.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining(['engine.bucketMs', 'defaults.thresholds.spikeRatioCritical', 'defaults.thresholds', 'accounts.acme.keyCaps.hourUsd', 'accounts.acme.keys.k1.detectors.cusum']),
    );
  });

  it('merges defaults, account and key overrides, most specific last', () => {
    const result = parseDetectionPolicy({
      defaults: { thresholds: { spikeRatioCritical: 30 }, keyCaps: { dayUsd: 100 } },
      accounts: {
        acme: {
          thresholds: { minSpendUsd: 1 },
          caps: { monthUsd: 5000 },
          keyCaps: { hourUsd: 20 },
          keys: { k1: { caps: { hourUsd: 50 }, detectors: { novelty: false } } },
        },
      },
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const k1 = result.policy.forKey('acme', 'k1');
    expect(k1.thresholds.spikeRatioCritical).toBe(30);
    expect(k1.thresholds.minSpendUsd).toBe(1);
    expect(k1.caps).toEqual({ hourUsd: 50, dayUsd: 100, monthUsd: null });
    expect(k1.detectors.novelty).toBe(false);
    expect(result.policy.forKey('acme', 'k2').caps.hourUsd).toBe(20);
    expect(result.policy.forAccount('acme').caps).toEqual({ hourUsd: null, dayUsd: null, monthUsd: 5000 });
    expect(result.policy.forKey('other', 'k').caps.dayUsd).toBe(100);
  });

  it('withAccountOverrides replaces the named accounts, keeps the rest, and leaves out an invalid override with its problems', () => {
    const parsed = parseDetectionPolicy({ accounts: { fromFile: { keyCaps: { dayUsd: 50 } }, both: { keyCaps: { dayUsd: 70 } } } });
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const { policy, errors } = parsed.policy.withAccountOverrides(
      new Map<string, unknown>([
        ['both', { keyCaps: { hourUsd: 5 } }],
        ['api', { thresholds: { spikeRatioCritical: 20 } }],
        ['broken', { keyCaps: { hourUsd: 'ten' } }],
      ]),
    );
    expect(errors).toEqual([expect.stringMatching(/^broken: keyCaps\.hourUsd: /)]);
    expect(policy.forKey('fromFile', 'k').caps.dayUsd).toBe(50);
    // An API override replaces the file's section of that account as a whole.
    expect(policy.forKey('both', 'k').caps).toEqual({ hourUsd: 5, dayUsd: null, monthUsd: null });
    expect(policy.forAccount('api').thresholds.spikeRatioCritical).toBe(20);
    expect(policy.forKey('broken', 'k').caps.hourUsd).toBeNull();
    expect(policy.engine).toEqual(parsed.policy.engine);
    // The original is unchanged.
    expect(parsed.policy.forKey('both', 'k').caps.dayUsd).toBe(70);
  });
});
