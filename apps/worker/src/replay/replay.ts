import type { Finding } from '@spendguard/contracts/finding';
import { parseUsageEventJson } from '@spendguard/contracts/usage-event.validate';
import { DetectionEngine } from '@spendguard/detectors';
import type { DetectionPolicy } from '@spendguard/detectors/policy';

/** What the replay command does with an invalid line. */
export type InvalidLineMode =
  /** Report it on stderr, skip it, keep going; exit non-zero at the end (default). */
  | 'report'
  /** Report it and stop at once (exit non-zero). */
  | 'strict'
  /** Report it, skip it, and still exit 0. */
  | 'lenient';

export interface ReplaySummary {
  lines: number;
  events: number;
  invalidLines: number;
  /** Events older than an event already seen (counted in the bucket in progress). */
  outOfOrder: number;
  findings: number;
  /** True when `strict` stopped the replay at an invalid line. */
  stopped: boolean;
}

/**
 * Replays usage events through a `DetectionEngine` exactly as the worker's detect role
 * would, but on history: no time-skew check, the engine's clock is the events' time, and at
 * the end `flush(lastEventTime)` lets buckets that close at the last event emit.
 * No I/O: feed lines with `line()`, take the findings' NDJSON with `takeOutput()` (the
 * caller writes it, with backpressure), call `end()` at the end of input.
 *
 * @example
 * const replay = new Replay(undefined, (m) => process.stderr.write(m + '\n'));
 * replay.line('{"id":"e1", ...}');
 * replay.end();
 * process.stdout.write(replay.takeOutput());
 */
export class Replay {
  private readonly engine: DetectionEngine;
  private lastTime = -Infinity;
  private output = '';
  readonly summary: ReplaySummary = { lines: 0, events: 0, invalidLines: 0, outOfOrder: 0, findings: 0, stopped: false };

  constructor(
    policy: DetectionPolicy | undefined,
    /** Receives one human-readable problem (no trailing newline). */
    private readonly reportProblem: (message: string) => void,
    private readonly mode: InvalidLineMode = 'report',
  ) {
    this.engine = new DetectionEngine(policy);
  }

  /** Characters of findings NDJSON waiting for `takeOutput`. */
  get pendingChars(): number {
    return this.output.length;
  }

  /**
   * Handles one input line (without its newline); blank lines are skipped silently.
   * Returns false when the replay must stop (strict mode after an invalid line).
   */
  line(text: string): boolean {
    const lineNumber = ++this.summary.lines;
    if (this.summary.stopped) return false;
    if (text.trim() === '') return true;
    const parsed = parseUsageEventJson(text);
    if (!parsed.ok) {
      this.summary.invalidLines++;
      this.reportProblem(`line ${lineNumber}: invalid usage event: ${parsed.reason}`);
      if (this.mode === 'strict') {
        this.summary.stopped = true;
        return false;
      }
      return true;
    }
    const event = parsed.event;
    if (event.time < this.lastTime) this.summary.outOfOrder++;
    else this.lastTime = event.time;
    this.summary.events++;
    this.emit(this.engine.observe(event));
    return true;
  }

  /** End of input: closes the buckets that end by the last event time. */
  end(): ReplaySummary {
    if (!this.summary.stopped && Number.isFinite(this.lastTime)) this.emit(this.engine.flush(this.lastTime));
    if (this.summary.outOfOrder > 0) {
      this.reportProblem(`${this.summary.outOfOrder} event(s) were older than an event before them; events must be in event-time order (each was counted in its key's bucket in progress)`);
    }
    return this.summary;
  }

  /** Findings emitted since the last call, as NDJSON (one Finding per line). */
  takeOutput(): string {
    const text = this.output;
    this.output = '';
    return text;
  }

  /** Exit code for this run: 0, or 1 when a line was invalid (unless lenient). */
  exitCode(): number {
    if (this.summary.invalidLines === 0) return 0;
    return this.mode === 'lenient' ? 0 : 1;
  }

  private emit(findings: Finding[]): void {
    if (findings.length === 0) return;
    for (const finding of findings) this.output += JSON.stringify(finding) + '\n';
    this.summary.findings += findings.length;
  }
}

export interface ReplayArgs {
  input?: string;
  policyFile?: string;
  mode: InvalidLineMode;
  help: boolean;
}

export const REPLAY_USAGE = `Usage: replay [options] [events.ndjson]

Reads usage events (v1, NDJSON, in event-time order) from the file or stdin and writes the
findings the detectors emit as NDJSON to stdout (event-time timestamps). Same engine and
defaults as the worker's detect role; no time-skew check.

Options:
  --policy <file>  detection policy JSON (default: env DETECTION_POLICY_FILE, else defaults)
  --strict         stop at the first invalid line (exit 1)
  --lenient        report invalid lines but exit 0
  -h, --help       this help

Invalid lines are reported on stderr with their line number and skipped; without
--lenient the exit code is 1 when any line was invalid. Exit code 2: bad arguments or policy.
`;

/** Parses CLI arguments; `env` supplies DETECTION_POLICY_FILE. @throws {Error} on a bad argument */
export function parseReplayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ReplayArgs {
  const args: ReplayArgs = { mode: 'report', help: false, policyFile: env.DETECTION_POLICY_FILE || undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') args.help = true;
    else if (arg === '--strict' || arg === '--lenient') {
      const mode = arg === '--strict' ? 'strict' : 'lenient';
      if (args.mode !== 'report' && args.mode !== mode) throw new Error('--strict and --lenient exclude each other');
      args.mode = mode;
    } else if (arg === '--policy' || arg.startsWith('--policy=')) {
      const value = arg === '--policy' ? argv[++i] : arg.slice('--policy='.length);
      if (value === undefined || value === '') throw new Error('--policy needs a file');
      args.policyFile = value;
    } else if (arg === '-') args.input = undefined;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else if (args.input !== undefined) throw new Error('only one input file can be given');
    else args.input = arg;
  }
  return args;
}
