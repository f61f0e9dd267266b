import {
  type AccountOverride,
  type Caps,
  type DetectionPolicyInput,
  type DetectorToggles,
  type EngineSettings,
  type Thresholds,
  detectionPolicyInputSchema,
} from './detection-policy.schema';
import { DEFAULT_CAPS, DEFAULT_DETECTORS, DEFAULT_ENGINE_SETTINGS, DEFAULT_THRESHOLDS } from './default-detection-policy';

/** Settings that apply to one key or one account after defaults and overrides are merged. */
export interface ResolvedSettings {
  thresholds: Thresholds;
  caps: Caps;
  detectors: DetectorToggles;
}

/** A validated policy with every default filled in. Build it with `parseDetectionPolicy`. */
export class DetectionPolicy {
  private constructor(
    readonly engine: EngineSettings,
    private readonly defaultKey: ResolvedSettings,
    private readonly defaultAccount: ResolvedSettings,
    private readonly accounts: Record<string, AccountOverride>,
  ) {}

  /** The policy an empty object gives: every detector on, no caps. */
  static defaults(): DetectionPolicy {
    const parsed = parseDetectionPolicy({});
    if (!parsed.ok) throw new Error('default policy is invalid: ' + parsed.errors.join('; '));
    return parsed.policy;
  }

  /** @internal used by parseDetectionPolicy after validation */
  static fromValidated(input: DetectionPolicyInput & object): DetectionPolicy {
    const engine: EngineSettings = {
      ...DEFAULT_ENGINE_SETTINGS,
      ...input.engine,
      priors: { ...DEFAULT_ENGINE_SETTINGS.priors, ...input.engine?.priors },
    };
    const thresholds = { ...DEFAULT_THRESHOLDS, ...input.defaults?.thresholds };
    const detectors = { ...DEFAULT_DETECTORS, ...input.defaults?.detectors };
    return new DetectionPolicy(
      engine,
      { thresholds, detectors, caps: { ...DEFAULT_CAPS, ...input.defaults?.keyCaps } },
      { thresholds, detectors, caps: { ...DEFAULT_CAPS, ...input.defaults?.accountCaps } },
      (input.accounts ?? {}) as Record<string, AccountOverride>,
    );
  }

  /**
   * This policy with the overrides of some accounts replaced (each value is an account
   * section as in `accounts.<id>` of a policy file, e.g. from the API's account policies).
   * Each override is validated on its own: an invalid one is left out and its problems are
   * returned as `<accountId>: path: message`; the others apply. Engine settings and defaults
   * cannot change this way.
   */
  withAccountOverrides(overrides: ReadonlyMap<string, unknown>): { policy: DetectionPolicy; errors: string[] } {
    const accounts = { ...this.accounts };
    const errors: string[] = [];
    for (const [accountId, override] of overrides) {
      const parsed = detectionPolicyInputSchema.safeParse({ accounts: { [accountId]: override ?? {} } });
      if (!parsed.success) {
        errors.push(...parsed.error.issues.map((issue) => `${accountId}: ${issue.path.slice(2).map(String).join('.') || '(root)'}: ${issue.message}`));
        continue;
      }
      accounts[accountId] = (parsed.data.accounts as Record<string, AccountOverride>)[accountId];
    }
    return { policy: new DetectionPolicy(this.engine, this.defaultKey, this.defaultAccount, accounts), errors };
  }

  forAccount(accountId: string): ResolvedSettings {
    const account = this.accounts[accountId];
    if (!account) return this.defaultAccount;
    return {
      thresholds: { ...this.defaultAccount.thresholds, ...account.thresholds },
      caps: { ...this.defaultAccount.caps, ...account.caps },
      detectors: { ...this.defaultAccount.detectors, ...account.detectors },
    };
  }

  forKey(accountId: string, keyId: string): ResolvedSettings {
    const account = this.accounts[accountId];
    if (!account) return this.defaultKey;
    const key = account.keys?.[keyId];
    return {
      thresholds: { ...this.defaultKey.thresholds, ...account.thresholds, ...key?.thresholds },
      caps: { ...this.defaultKey.caps, ...account.keyCaps, ...key?.caps },
      detectors: { ...this.defaultKey.detectors, ...account.detectors, ...key?.detectors },
    };
  }
}

export type ParseDetectionPolicyResult = { ok: true; policy: DetectionPolicy } | { ok: false; errors: string[] };

/**
 * Validates a policy object (already read from a file or an API body) and lists every bad
 * field at once, as `path: message`. Never throws.
 *
 * @example
 * parseDetectionPolicy({ defaults: { thresholds: { spikeRatioCritical: -1 } } });
 * // => { ok: false, errors: ['defaults.thresholds.spikeRatioCritical: Too small: expected number to be >0'] }
 */
export function parseDetectionPolicy(input: unknown): ParseDetectionPolicyResult {
  const result = detectionPolicyInputSchema.safeParse(input ?? {});
  if (!result.success) {
    return { ok: false, errors: result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`) };
  }
  return { ok: true, policy: DetectionPolicy.fromValidated(result.data) };
}
