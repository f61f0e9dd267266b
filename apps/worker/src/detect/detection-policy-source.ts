import type { StoredAccountPolicy } from '@spendguard/clickhouse/escalation/account-routing-policies.repository';
import type { DetectionPolicy } from '@spendguard/detectors/policy';
import { loadDetectionPolicyFile } from './load-detection-policy';
import { PolicyFileWatcher } from './policy-file-watcher';

/** Where the API's account policies are read from (`AccountPoliciesReader` on ClickHouse). */
export interface AccountPoliciesSource {
  latestAll(): Promise<StoredAccountPolicy[]>;
}

interface SourceLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DetectionPolicySourceOptions {
  /** DETECTION_POLICY_FILE; undefined or '' = the defaults. */
  file: string | undefined;
  /** DETECTION_POLICY_RELOAD_MS: poll interval of the file and of the account policies; 0 = read once at start. */
  reloadMs: number;
  accountPolicies: AccountPoliciesSource;
  logger: SourceLogger;
  /** Called with every new policy in force (file reloaded, an account's policy replaced through the API). */
  onChange: (policy: DetectionPolicy) => void;
}

/**
 * The detection policy in force in the detect role: the policy file (defaults, per-account
 * and per-key overrides; watched, see `PolicyFileWatcher`) with the `detection` section of
 * each account's policy set through the API (`PUT /v1/accounts/{id}/policy`, stored in
 * `account_policies`) in place of the file's section for that account: the API is where an
 * operator changes one account at run time, the file is where a deployment sets its
 * baseline. An account policy without a `detection` section leaves the file's in force.
 *
 * Account policies are polled (every `reloadMs`), not followed on the control topic: the
 * table holds the latest version of every account, so a poll also catches up after an
 * outage, and a few seconds of delay do not matter for a threshold change. An override the
 * detectors library rejects (the API validates it, so only a version skew can) is logged and
 * left out; ClickHouse unreachable keeps the overrides in force.
 */
export class DetectionPolicySource {
  private filePolicy: DetectionPolicy;
  private current: DetectionPolicy;
  private overrides = new Map<string, unknown>();
  private overridesSeen = '';
  private readonly watcher: PolicyFileWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly reloadOnHangup = () => void this.watcher?.check(true);

  /** @throws {Error} when the policy file cannot be read or is invalid (the worker does not start) */
  constructor(private readonly options: DetectionPolicySourceOptions) {
    this.filePolicy = loadDetectionPolicyFile(options.file);
    this.current = this.filePolicy;
    if (options.file) {
      this.watcher = new PolicyFileWatcher(options.file, this.filePolicy, (policy) => {
        this.filePolicy = policy;
        this.recompose();
      }, options.logger);
    }
  }

  get policy(): DetectionPolicy {
    return this.current;
  }

  /** Reads the account policies once (so the first engines already use them), then polls. */
  async start(): Promise<void> {
    await this.pollAccountPolicies();
    const every = this.options.reloadMs;
    this.watcher?.start(every);
    if (this.watcher) process.on('SIGHUP', this.reloadOnHangup);
    if (every > 0) {
      this.timer = setInterval(() => void this.pollAccountPolicies(), every);
      this.timer.unref();
    }
  }

  stop(): void {
    this.watcher?.stop();
    process.off('SIGHUP', this.reloadOnHangup);
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the latest account policies; applies them when any account's version changed. Returns whether it did. */
  async pollAccountPolicies(): Promise<boolean> {
    if (this.polling) return false;
    this.polling = true;
    try {
      let stored: StoredAccountPolicy[];
      try {
        stored = await this.options.accountPolicies.latestAll();
      } catch (error) {
        this.options.logger.warn(`cannot read account detection policies, keeping the ones in force: ${(error as Error).message}`);
        return false;
      }
      const seen = stored.map((s) => `${s.accountId}@${s.version}`).sort().join(',');
      if (seen === this.overridesSeen) return false;
      this.overridesSeen = seen;
      this.overrides = new Map(stored.filter((s) => s.policy?.detection !== undefined).map((s) => [s.accountId, s.policy?.detection]));
      this.recompose();
      this.options.logger.log(`account detection policies in force: ${this.overrides.size}`);
      return true;
    } finally {
      this.polling = false;
    }
  }

  private recompose(): void {
    const { policy, errors } = this.filePolicy.withAccountOverrides(this.overrides);
    if (errors.length > 0) this.options.logger.error(`ignoring invalid account detection policies (the file's section applies to those accounts):\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.current = policy;
    this.options.onChange(policy);
  }
}
