import { statSync } from 'node:fs';
import type { DetectionPolicy } from '@spendguard/detectors/policy';
import { loadDetectionPolicyFile } from './load-detection-policy';

export type PolicyReloadOutcome = 'unchanged' | 'applied' | 'invalid' | 'needs-restart';

interface ReloadLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Re-reads the detection policy file when it changes (its mtime or size, polled), and hands
 * a new valid policy to `apply`. All or nothing: a file that cannot be read, is not JSON or
 * has any invalid field is logged with every problem and the running policy stays; a change
 * of engine settings (bucket size, priors, horizons: they shape learned state) is logged as
 * needing a restart and nothing of that file is applied.
 *
 * Write the file atomically (write a temporary file, then rename) so a poll never reads it
 * half written; if one does, the error is logged and the complete file is read at the next poll.
 */
export class PolicyFileWatcher {
  private seen: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private current: DetectionPolicy,
    private readonly apply: (policy: DetectionPolicy) => void,
    private readonly logger: ReloadLogger,
  ) {
    this.seen = this.signature();
  }

  /** The policy in force: the last one applied. */
  get policy(): DetectionPolicy {
    return this.current;
  }

  /** Polls every `intervalMs` (0 = never); the timer does not keep the process alive. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads when the file changed since the last check, or always with `force` (e.g. on SIGHUP). */
  check(force = false): PolicyReloadOutcome {
    const signature = this.signature();
    if (!force && signature === this.seen) return 'unchanged';
    // Remember the version judged, so a bad file is reported once, not at every poll.
    this.seen = signature;
    let next: DetectionPolicy;
    try {
      next = loadDetectionPolicyFile(this.path);
    } catch (error) {
      this.logger.error(`${(error as Error).message}\nkeeping the detection policy in force`);
      return 'invalid';
    }
    if (JSON.stringify(next.engine) !== JSON.stringify(this.current.engine)) {
      this.logger.warn(`detection policy file ${this.path} changes engine settings (bucket size, priors, horizons); they need a restart with fresh state: nothing of this file applied`);
      return 'needs-restart';
    }
    this.apply(next);
    this.current = next;
    this.logger.log(`detection policy reloaded from ${this.path}`);
    return 'applied';
  }

  /** mtime and size, or the stat error (a deleted file is a change too). */
  private signature(): string {
    try {
      const stat = statSync(this.path);
      return `${stat.mtimeMs}:${stat.size}`;
    } catch (error) {
      return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
    }
  }
}
