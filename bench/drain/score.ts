/**
 * Scores findings against the attack labels: per scenario detection rate, time from attack
 * start to the first critical finding on the attacked key (account-level cap findings count
 * for account caps), dollars the attacker spent before it; false criticals on attack-free
 * keys and accounts per 1,000 key-days. A detection must come between the attack's start and
 * one hour after its end.
 */
import type { Finding } from '@spendguard/contracts/finding';
import { quantileSorted } from 'simple-statistics';
import { SCENARIOS, type Attack, type Scenario } from './attacks';

/** The attacker's spend over time: event times (ascending) and cumulative USD. */
export interface SpendTimeline {
  times: number[];
  cumulativeUsd: number[];
}

export interface AttackResult {
  attack: Attack;
  detectedAt: number | null;
  detector: string | null;
  /** First finding of any severity on the key after the start. */
  firstFindingAt: number | null;
  spentBeforeUsd: number;
  totalSpentUsd: number;
}

export interface ScenarioRow {
  scenario: Scenario | string;
  attacks: number;
  detected: number;
  recall: number;
  /** Detected within one hour of the attack's start. */
  withinHour: number;
  medianSeconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
  medianUsdBefore: number | null;
  p95UsdBefore: number | null;
  /** Median seconds to the first finding of any severity (info/warning included). */
  medianAnySeconds: number | null;
  detectors: Record<string, number>;
  missedUsd: number;
}

export interface FalsePositiveReport {
  keyDays: number;
  keyCriticals: number;
  accountCriticals: number;
  perThousandKeyDays: number;
  byDetector: Record<string, number>;
  /** Criticals on attacked keys before their attack started (also false). */
  earlyOnAttackedKeys: number;
  examples: Finding[];
}

/** A critical this long after an attack ended still counts as its detection. */
export const DETECTION_GRACE_MS = 3_600_000;

export class Scorer {
  private readonly byKey = new Map<string, Attack>();
  private readonly byCapAccount = new Map<string, Attack>();
  private readonly results = new Map<string, AttackResult>();
  private readonly freeAccounts: Set<string>;
  private readonly fp: FalsePositiveReport;

  constructor(
    readonly attacks: Attack[],
    freeAccounts: Iterable<string>,
    keyDays: number,
  ) {
    for (const a of attacks) {
      this.byKey.set(a.keyId, a);
      if (a.cap?.scope === 'account') this.byCapAccount.set(a.accountId, a);
      this.results.set(a.id, { attack: a, detectedAt: null, detector: null, firstFindingAt: null, spentBeforeUsd: 0, totalSpentUsd: 0 });
    }
    this.freeAccounts = new Set(freeAccounts);
    this.fp = { keyDays, keyCriticals: 0, accountCriticals: 0, perThousandKeyDays: 0, byDetector: {}, earlyOnAttackedKeys: 0, examples: [] };
  }

  add(f: Finding): void {
    const time = Date.parse(f.time);
    if (f.keyId === undefined) {
      const capAttack = this.byCapAccount.get(f.accountId);
      if (capAttack && f.severity === 'critical' && f.detector === 'cap' && time >= capAttack.startMs) this.detect(capAttack, time, 'cap (account)');
      else if (f.severity === 'critical' && this.freeAccounts.has(f.accountId)) this.falseCritical(f, 'account');
      return;
    }
    const attack = this.byKey.get(f.keyId);
    if (attack === undefined) {
      if (f.severity === 'critical') this.falseCritical(f, 'key');
      return;
    }
    if (time < attack.startMs) {
      if (f.severity === 'critical') this.fp.earlyOnAttackedKeys++;
      return;
    }
    // Later findings are about the aftermath (baselines polluted by the attack), not a detection.
    if (time > attack.endMs + DETECTION_GRACE_MS) return;
    const result = this.results.get(attack.id) as AttackResult;
    if (result.firstFindingAt === null) result.firstFindingAt = time;
    if (f.severity === 'critical') this.detect(attack, time, f.detector === 'cusum' && f.metric === 'cost_usd_hour' ? 'cusum (60-min window)' : f.detector);
  }

  /** Fills in the dollars and returns the per-attack results. */
  finish(spend: Map<string, SpendTimeline>): AttackResult[] {
    for (const r of this.results.values()) {
      const s = spend.get(r.attack.id) ?? { times: [], cumulativeUsd: [] };
      r.totalSpentUsd = s.cumulativeUsd[s.cumulativeUsd.length - 1] ?? 0;
      r.spentBeforeUsd = r.detectedAt === null ? r.totalSpentUsd : spentBy(s, r.detectedAt);
    }
    this.fp.perThousandKeyDays = ((this.fp.keyCriticals + this.fp.accountCriticals) / this.fp.keyDays) * 1000;
    return [...this.results.values()];
  }

  get falsePositives(): FalsePositiveReport {
    return this.fp;
  }

  private detect(attack: Attack, time: number, detector: string): void {
    const r = this.results.get(attack.id) as AttackResult;
    if (r.firstFindingAt === null || time < r.firstFindingAt) r.firstFindingAt = time;
    if (r.detectedAt !== null) return;
    r.detectedAt = time;
    r.detector = detector;
  }

  private falseCritical(f: Finding, scope: 'key' | 'account'): void {
    if (scope === 'key') this.fp.keyCriticals++;
    else this.fp.accountCriticals++;
    const label = `${f.detector}/${f.metric}${scope === 'account' ? ' (account)' : ''}`;
    this.fp.byDetector[label] = (this.fp.byDetector[label] ?? 0) + 1;
    if (this.fp.examples.length < 20) this.fp.examples.push(f);
  }
}

/** Attacker dollars at or before `time` (findings are raised by the event at their time). */
export function spentBy(s: SpendTimeline, time: number): number {
  let lo = 0;
  let hi = s.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.times[mid] <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : s.cumulativeUsd[lo - 1];
}

export function summarise(results: AttackResult[]): ScenarioRow[] {
  const rows: ScenarioRow[] = [];
  const groups: Array<[string, AttackResult[]]> = SCENARIOS.map((s) => [s, results.filter((r) => r.attack.scenario === s)]);
  for (const variant of [...new Set(results.map((r) => `${r.attack.scenario}: ${r.attack.variant}`))].sort()) {
    if (variant.startsWith('burst-drain') || variant.startsWith('cap-breach')) groups.push([`  ${variant.split(': ')[1]}`, results.filter((r) => `${r.attack.scenario}: ${r.attack.variant}` === variant)]);
  }
  for (const [scenario, group] of groups) {
    if (group.length === 0) continue;
    const detected = group.filter((r) => r.detectedAt !== null);
    const seconds = detected.map((r) => ((r.detectedAt as number) - r.attack.startMs) / 1000).sort((a, b) => a - b);
    const usd = detected.map((r) => r.spentBeforeUsd).sort((a, b) => a - b);
    const any = group.filter((r) => r.firstFindingAt !== null).map((r) => ((r.firstFindingAt as number) - r.attack.startMs) / 1000).sort((a, b) => a - b);
    const detectors: Record<string, number> = {};
    for (const r of detected) detectors[r.detector as string] = (detectors[r.detector as string] ?? 0) + 1;
    rows.push({
      scenario,
      attacks: group.length,
      detected: detected.length,
      recall: detected.length / group.length,
      withinHour: seconds.filter((x) => x <= 3600).length,
      medianSeconds: q(seconds, 0.5),
      p95Seconds: q(seconds, 0.95),
      maxSeconds: seconds.length ? seconds[seconds.length - 1] : null,
      medianUsdBefore: q(usd, 0.5),
      p95UsdBefore: q(usd, 0.95),
      medianAnySeconds: q(any, 0.5),
      detectors,
      missedUsd: group.filter((r) => r.detectedAt === null).reduce((s, r) => s + r.totalSpentUsd, 0),
    });
  }
  return rows;
}

const q = (sorted: number[], p: number): number | null => (sorted.length === 0 ? null : quantileSorted(sorted, p));

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function table(rows: ScenarioRow[]): string {
  const head = ['scenario', 'attacks', 'detected', 'recall', 'within 1 h', 'median t→critical', 'p95 t→critical', 'max', 'median $ before', 'p95 $ before', 'median t→any finding', 'first critical by'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const usd = (v: number | null): string => (v === null ? '—' : `$${v.toFixed(2)}`);
    const by = Object.entries(r.detectors)
      .sort((a, b) => b[1] - a[1])
      .map(([d, n]) => `${d} ${n}`)
      .join(', ');
    lines.push(`| ${[r.scenario, r.attacks, r.detected, `${(r.recall * 100).toFixed(1)} %`, `${r.withinHour} (${((r.withinHour / r.attacks) * 100).toFixed(0)} %)`, formatDuration(r.medianSeconds), formatDuration(r.p95Seconds), formatDuration(r.maxSeconds), usd(r.medianUsdBefore), usd(r.p95UsdBefore), formatDuration(r.medianAnySeconds), by || '—'].join(' | ')} |`);
  }
  return lines.join('\n');
}
