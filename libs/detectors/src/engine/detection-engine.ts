import type { Finding, MetricName } from '@spendguard/contracts/finding';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { NoveltyMemory, noveltyRepeatQuiet, type NoveltyEntry, type NoveltyMemoryState } from '../detectors/novelty.detector';
import { DetectionPolicy } from '../policy/detection-policy';
import { buildFinding, describeSubject, formatUsd, type FindingDraft } from './finding-factory';
import { AccountSeries, KeySeries } from './key-series';
import { SeriesState, type SeriesPrior, type SeriesStateSnapshot } from './series-state';

/**
 * Streaming detection over usage events, per key and per account.
 *
 * Clock: event time only (`observe` moves it forward, `advance(now)` closes idle buckets);
 * never the wall clock, so replaying a stream gives the same findings with the same ids.
 * An event older than its key's bucket in progress is counted in that bucket.
 * Dedupe: a (key or account, detector, metric) yields at most one finding per bucket, and a
 * second one only when severity rises; caps report once per breach, CUSUM once per run,
 * novelty once per value.
 * Cost: O(1) amortised per event, little allocation (≈ 30 bytes per event in bench/detectors,
 * from bucket roll-overs; findings aside): one Map lookup by key id (the key's account is
 * checked by reference to its state), two bucket-end
 * comparisons, three sum-vs-level comparisons per series, and one string comparison per
 * novelty attribute when the value repeats. Detector levels are computed lazily (see
 * `SeriesState`) and detectors run only when a level is crossed or a bucket closes.
 * Not thread-safe (one engine per partition consumer).
 */
export class DetectionEngine {
  private readonly accounts = new Map<string, AccountSeries>();
  /** Every key by key id alone (the first account seen with that id wins; others go through `accounts`). */
  private readonly keysById = new Map<string, KeySeries>();
  private clock = -Infinity;
  private readonly drafts: FindingDraft[] = [];
  /** What the event being judged added to its key's `newOriginSpend` (scratch of `judgeNovelty`). */
  private newIpCost = 0;
  private readonly bucketMs: number;
  private readonly noveltyWarmupMs: number;
  private readonly novelty: { maxValues: number; horizonMs: number; spendWindowMs: number };

  private currentPolicy: DetectionPolicy;

  constructor(policy: DetectionPolicy = DetectionPolicy.defaults()) {
    this.currentPolicy = policy;
    const e = policy.engine;
    this.bucketMs = e.bucketMs;
    this.noveltyWarmupMs = e.noveltyWarmupHours * 3_600_000;
    this.novelty = { maxValues: e.noveltyMaxValues, horizonMs: e.noveltyHorizonDays * 86_400_000, spendWindowMs: e.noveltySpendWindowMinutes * 60_000 };
  }

  get policy(): DetectionPolicy {
    return this.currentPolicy;
  }

  /**
   * Replaces thresholds, caps and detector toggles of every tracked key and account (and of
   * those seen later), keeping every learned baseline. Engine settings (bucket size, priors,
   * horizons) shape the learned state itself and cannot change on a running engine.
   *
   * @throws {Error} when `policy.engine` differs from the running engine's settings
   */
  applyPolicy(policy: DetectionPolicy): void {
    if (JSON.stringify(policy.engine) !== JSON.stringify(this.currentPolicy.engine)) {
      throw new Error('detection policy: engine settings changed; they take effect only after a restart with fresh state');
    }
    this.currentPolicy = policy;
    for (const account of this.accounts.values()) {
      account.applySettings(policy.forAccount(account.accountId));
      for (const key of account.keys.values()) key.applySettings(policy.forKey(account.accountId, key.keyId));
    }
  }

  /** Latest event time or `advance` time seen (epoch ms). */
  get now(): number {
    return this.clock;
  }

  get trackedKeys(): number {
    let n = 0;
    for (const account of this.accounts.values()) n += account.keys.size;
    return n;
  }

  /** Scores `event` (against baselines learned before it), then adds it. Returns new findings. */
  observe(event: UsageEvent): Finding[] {
    const time = event.time;
    if (time > this.clock) this.clock = time;
    let key = this.keysById.get(event.keyId);
    let account: AccountSeries;
    if (key !== undefined && key.account.accountId === event.accountId) account = key.account;
    else {
      account = this.accountFor(event.accountId, time);
      key = this.keyFor(account, event.keyId, time);
    }
    const drafts = this.drafts;
    if (time >= account.bucketEnd) account.rollToEvent(event, drafts);
    if (time >= key.bucketEnd) key.rollToEvent(event, drafts);
    const cost = event.costUsd;
    const tokens = event.inputTokens + event.outputTokens;
    const errors = event.status >= 400 ? 1 : 0;
    key.add(time, cost, 1, tokens, errors, true, drafts);
    account.add(time, cost, 1, tokens, errors, true, drafts);
    if (key.settings.detectors.novelty) this.judgeNovelty(key, event, drafts);
    return drafts.length === 0 ? NO_FINDINGS : this.takeFindings();
  }

  /**
   * Closes every bucket that ended by `now` (call it every few seconds when traffic is
   * idle, so error-rate and slow-drain verdicts of a closed bucket are not delayed). O(keys).
   */
  advance(now: number): Finding[] {
    if (now > this.clock) this.clock = now;
    for (const account of this.accounts.values()) {
      this.rollIfDue(account, now, true);
      for (const key of account.keys.values()) this.rollIfDue(key, now, true);
    }
    return this.takeFindings();
  }

  /** Same as `advance`; the name a shutdown path reads better with. */
  flush(now: number): Finding[] {
    return this.advance(now);
  }

  /**
   * Learns one per-minute rollup row (ClickHouse `usage_minute` style) without judging it:
   * seeds baselines after a cold start. Rows must come in time order.
   */
  seedFromRollup(row: RollupRow): void {
    const time = row.minuteStart;
    if (time > this.clock) this.clock = time;
    const account = this.accountFor(row.accountId, time);
    const isNew = !account.keys.has(row.keyId);
    const key = this.keyFor(account, row.keyId, time);
    // Rollups carry no model or origin: a key known only from rollups has an empty novelty
    // memory, so its novelty warm-up starts at its first event (see `judgeNovelty`).
    if (isNew) {
      key.firstSeen = SEEN_IN_ROLLUPS_ONLY;
      key.awaitingFirstEvent = true;
    }
    this.rollIfDue(account, time, false);
    this.rollIfDue(key, time, false);
    key.add(time, row.costUsd, row.requests, row.tokens, row.errors, false, this.drafts);
    account.add(time, row.costUsd, row.requests, row.tokens, row.errors, false, this.drafts);
  }

  /** Plain JSON state: persist it and pass it to `DetectionEngine.restore` after a restart. */
  snapshot(): EngineSnapshot {
    return {
      version: 1,
      clock: Number.isFinite(this.clock) ? this.clock : null,
      accounts: Array.from(this.accounts.values(), (a) => ({
        accountId: a.accountId,
        series: a.toSnapshot(),
        keys: Array.from(a.keys.values(), (k) => ({
          keyId: k.keyId,
          firstSeen: k.firstSeen,
          series: k.toSnapshot(),
          novelty: k.novelty.map((memory) => memory?.toState() ?? null),
          noveltyBucket: [...k.noveltyBucket],
          originPagedAt: Number.isFinite(k.originPagedAt) ? k.originPagedAt : null,
          newOriginSpend: k.newOriginSpend,
        })),
      })),
    };
  }

  /** @throws {Error} when the snapshot version is unknown */
  static restore(snapshot: EngineSnapshot, policy: DetectionPolicy = DetectionPolicy.defaults()): DetectionEngine {
    if (snapshot.version !== 1) throw new Error(`unsupported detection engine snapshot version ${String(snapshot.version)}`);
    const engine = new DetectionEngine(policy);
    engine.clock = snapshot.clock ?? -Infinity;
    const settings = policy.engine;
    for (const a of snapshot.accounts) {
      const account = new AccountSeries(a.accountId, policy.forAccount(a.accountId), settings, ZERO_PRIOR, a.series);
      for (const k of a.keys) {
        const key = new KeySeries(account, k.keyId, k.firstSeen, policy.forKey(a.accountId, k.keyId), settings, ZERO_PRIOR, k.series);
        key.novelty = NOVELTY_ATTRIBUTES.map((_, i) => (k.novelty[i] ? NoveltyMemory.fromState(engine.novelty, k.novelty[i], key.noveltyNumbers, SeriesState.noveltyAt(i)) : undefined));
        key.noveltyBucket = [...k.noveltyBucket];
        key.originPagedAt = k.originPagedAt ?? -Infinity;
        key.newOriginSpend = k.newOriginSpend ?? 0;
        key.awaitingFirstEvent = k.firstSeen === SEEN_IN_ROLLUPS_ONLY;
        key.lastModel = key.novelty[MODEL]?.last;
        key.lastIp = key.novelty[IP]?.last;
        key.lastCountry = key.novelty[COUNTRY]?.last;
        key.lastUserAgent = key.novelty[USER_AGENT]?.last;
        account.keys.set(k.keyId, key);
        if (!engine.keysById.has(k.keyId)) engine.keysById.set(k.keyId, key);
      }
      engine.accounts.set(a.accountId, account);
    }
    return engine;
  }

  private rollIfDue(series: SeriesState, time: number, judge: boolean): void {
    if (time < series.bucketEnd) return;
    const bucketMs = this.policy.engine.bucketMs;
    series.roll(time - (time % bucketMs), judge, this.drafts);
  }

  private accountFor(eventAccountId: string, time: number): AccountSeries {
    let account = this.accounts.get(eventAccountId);
    if (account === undefined) {
      const accountId = compactCopy(eventAccountId);
      const p = this.policy.engine.priors;
      const prior: SeriesPrior = { cost: p.keyCostPerBucketUsd, costVariance: p.keyCostPerBucketUsd ** 2, requests: p.keyRequestsPerBucket, tokens: p.keyTokensPerBucket };
      account = new AccountSeries(accountId, this.policy.forAccount(accountId), this.policy.engine, prior);
      account.open(time - (time % this.policy.engine.bucketMs));
      this.accounts.set(accountId, account);
    }
    return account;
  }

  private keyFor(account: AccountSeries, eventKeyId: string, time: number): KeySeries {
    let key = account.keys.get(eventKeyId);
    if (key === undefined) {
      const keyId = compactCopy(eventKeyId);
      key = new KeySeries(account, keyId, time, this.policy.forKey(account.accountId, keyId), this.policy.engine, this.priorForNewKey(account));
      key.open(time - (time % this.policy.engine.bucketMs));
      account.keys.set(keyId, key);
      if (!this.keysById.has(keyId)) this.keysById.set(keyId, key);
    }
    return key;
  }

  /**
   * Cold start: a new key of a known account starts from the account's average per key; a
   * key of an account still warming up starts from the global prior (which that account
   * itself started from).
   */
  private priorForNewKey(account: AccountSeries): SeriesPrior {
    const p = this.policy.engine.priors;
    const global: SeriesPrior = { cost: p.keyCostPerBucketUsd, costVariance: p.keyCostPerBucketUsd ** 2, requests: p.keyRequestsPerBucket, tokens: p.keyTokensPerBucket };
    const s = account;
    if (s.warmingUp || account.keys.size === 0) return global;
    const keys = account.keys.size;
    const cost = s.costMean / keys;
    return { cost, costVariance: Math.max(s.costVariance / keys, cost * cost), requests: s.requestsMean / keys, tokens: s.tokensMean / keys };
  }

  /**
   * Novelty severity (documented choice): a new country or user agent alone is `info`, a new
   * IP `info`, a new model `warning` (attackers pick the most expensive model); spend of at
   * least `noveltyCriticalSpendUsd` on a model first seen within the spend window is
   * `critical`: the key is paying for something its owner never used.
   *
   * Origin novelty (IP, country) is `critical` when a new origin adds spend on top of the
   * key's usual traffic (`judgeOrigin`): a leaked key used from somewhere else while its
   * owner keeps using it, the signature of a drain that stays under every rate threshold.
   */
  private judgeNovelty(key: KeySeries, event: UsageEvent, out: FindingDraft[]): void {
    const time = event.time;
    if (key.awaitingFirstEvent) {
      key.firstSeen = time;
      key.awaitingFirstEvent = false;
    }
    this.newIpCost = 0;
    // Most events repeat the key's last value of each attribute: answered from the key record and the
    // series' numbers (already read for this event), without touching the novelty memory.
    // The event, not its time and cost, is passed: a double argument of a call that is not inlined is a boxed number.
    const hot = key.noveltyNumbers;
    const options = this.novelty;
    if (event.model !== key.lastModel || !L_noveltyRepeatQuiet(hot, MODEL_AT, options, event)) {
      this.judgeNoveltyOf(key, MODEL, event.model, event, true, out);
      key.lastModel = keptValue(key.lastModel, key.novelty[MODEL]?.last);
    }
    if (event.ip !== key.lastIp || !L_noveltyRepeatQuiet(hot, IP_AT, options, event)) {
      this.judgeNoveltyOf(key, IP, event.ip, event, true, out, event.ip, event.country);
      key.lastIp = keptValue(key.lastIp, key.novelty[IP]?.last);
    }
    if (event.country !== key.lastCountry || !L_noveltyRepeatQuiet(hot, COUNTRY_AT, options, event)) {
      this.judgeNoveltyOf(key, COUNTRY, event.country, event, true, out, event.ip, event.country);
      key.lastCountry = keptValue(key.lastCountry, key.novelty[COUNTRY]?.last);
    }
    if (event.userAgent !== key.lastUserAgent || !L_noveltyRepeatQuiet(hot, USER_AGENT_AT, options, event)) {
      this.judgeNoveltyOf(key, USER_AGENT, event.userAgent, event, false, out);
      key.lastUserAgent = keptValue(key.lastUserAgent, key.novelty[USER_AGENT]?.last);
    }
  }

  private judgeNoveltyOf(key: KeySeries, i: number, value: string, event: UsageEvent, withCost: boolean, out: FindingDraft[], ip = '', country = ''): void {
    if (value === '') return;
    const time = event.time;
    let memory = key.novelty[i];
    if (memory === undefined) memory = key.novelty[i] = new NoveltyMemory(this.novelty, key.noveltyNumbers, SeriesState.noveltyAt(i));
    const costUsd = withCost ? event.costUsd : 0;
    const warm = time - key.firstSeen >= this.noveltyWarmupMs;
    const entry = memory.observe(value, time, warm);
    if (entry.novel) {
      if (warm && !memory.saturated && key.noveltyBucket[i] !== key.bucketStart) {
        // One novelty finding per attribute and bucket: a burst of new IPs is one finding.
        key.noveltyBucket[i] = key.bucketStart;
        out.push(this.noveltyDraft(key, NOVELTY_ATTRIBUTES[i], value, i === MODEL ? 'warning' : 'info', time, 0, entry));
      }
      if (i !== MODEL) {
        if (warm && !memory.saturated) key.newOriginAt = time;
        // The key's totals just before this event (it is already in the bucket).
        entry.baseSpendUsd = key.spendTotal - costUsd;
        entry.baseExpectedUsd = key.expectedTotalAt(time);
        entry.baseNewOriginSpendUsd = key.newOriginSpend - this.newIpCost; // the IP may have counted this event already
      }
    }
    if (!entry.trackSpend || costUsd === 0) return;
    if (i === IP && time - entry.firstSeen <= this.novelty.spendWindowMs) {
      key.newOriginSpend += costUsd;
      this.newIpCost = costUsd;
    }
    if (entry.escalated) return;
    const spent = memory.addSpend(entry, time, costUsd);
    const t = key.settings.thresholds;
    if (i === MODEL) {
      if (spent >= t.noveltyCriticalSpendUsd) {
        entry.escalated = true;
        out.push(this.noveltyDraft(key, 'model', value, 'critical', time, spent, entry));
      }
    } else if (spent >= t.originCriticalSpendUsd && (i === IP || i === COUNTRY) && !memory.saturated) {
      this.judgeOrigin(key, i, value, i === IP ? country : ip, time, spent, entry, out);
    }
  }

  /**
   * Origin drain: spend from an IP or country first seen within the novelty spend window
   * (`noveltySpendWindowMinutes`) is critical when, since its first sight,
   *  - the new origin spent N ≥ bar,
   *  - the key spent T with T − E ≥ bar, E being what the key usually spends over that time
   *    (its hour-of-day baseline summed over the elapsed buckets, times today's level ℓ of
   *    the window test when below 1: on a slow day the owner is expected to spend less): the
   *    spend is on top of the usual, and
   *  - the key's known origins (every IP but those still new) still spent
   *    K ≥ `originKnownShareMin` × E: the owner's traffic continues, so the new origin is
   *    added traffic, not the owner having moved (a redeploy to new servers or a trip
   *    abroad moves traffic; a leaked key adds it),
   * where bar = max(`originCriticalSpendUsd`, `originCriticalHourShare` × the key's usual
   * spend per hour at this hour of day). A key drained at +100 % of its usual rate from a
   * new IP pages after about half an hour (share 0.5); a key that doubles its traffic from
   * its own servers does not page here (that is the slow-drain CUSUM's case).
   * Full-known path: when the known origins kept their whole usual traffic,
   * K ≥ `originFullKnownShare` × ℓE (ℓ today's level in both directions, so a busy day
   * expects more from the owner), the lower bar max(`originCriticalSpendUsd`,
   * `originFullKnownHourShare` × hourly) applies to N and to T − ℓE: whatever the new origin
   * adds is then on top of the owner's traffic, not a share moved away from it (a scale-out
   * or a move leaves the known origins below their usual). This pages drains of +50–100 % at
   * peak hours (0.25–0.5 × the hourly spend) within the hour. Its look-alike: a new server
   * taking ≤ 20–25 % of the traffic in the same hour the key grows ≥ 25–35 % above today's
   * level (e.g. autoscaling on load) pages too; at 0.5 it took growth ≥ 100 %.
   * Reference: the "new value + volume" pattern of UEBA/SIEM rules (e.g. Elastic new-terms
   * combined with a threshold), with the volume judged against the key's own baseline.
   * At most one origin critical per key and spend window (an attacker's proxy IPs, or a new
   * IP in a new country, are one page).
   */
  private judgeOrigin(key: KeySeries, i: number, value: string, otherValue: string, time: number, spent: number, entry: NoveltyEntry, out: FindingDraft[]): void {
    if (time - key.originPagedAt <= this.novelty.spendWindowMs) {
      // One origin page per key and spend window: an attacker's 20 proxy IPs, or a new IP in a new country, are one story.
      entry.escalated = true;
      return;
    }
    const s = key;
    const t = s.settings.thresholds;
    const hourly = s.expectedBucketCost * (3_600_000 / this.bucketMs);
    const fullKnownBar = Math.max(t.originCriticalSpendUsd, Math.min(t.originCriticalHourShare, t.originFullKnownHourShare) * hourly);
    if (spent < fullKnownBar) return;
    const total = s.spendTotal - entry.baseSpendUsd;
    const level = s.todayLevel();
    const usual = s.expectedTotalAt(time) - entry.baseExpectedUsd;
    // What the key usually spends over that time, at today's level (a slow day expects less from the owner).
    const expected = usual * Math.min(1, level);
    // Known origins: everything but the origins still new (a redeploy to two new IPs must not count one as the other's "known" traffic).
    const known = total - (key.newOriginSpend - entry.baseNewOriginSpendUsd);
    if (known < t.originKnownShareMin * expected) return;
    let bar = Math.max(t.originCriticalSpendUsd, t.originCriticalHourShare * hourly);
    let fullKnown = false;
    if (spent < bar || total - expected < bar) {
      // The owner's whole usual traffic continued from the known origins (at today's level, busy days included):
      // what the new origin adds is on top of it, so the lower bar applies (a scale-out moves a share away from them).
      const atLevel = usual * level;
      if (!(known >= t.originFullKnownShare * atLevel && spent >= fullKnownBar && total - atLevel >= fullKnownBar)) return;
      bar = fullKnownBar;
      fullKnown = true;
    }
    entry.escalated = true;
    // The other origin attribute of the same first event (new IP in a new country) is the same story: one page.
    key.originPagedAt = time;
    const otherEntry = otherValue === '' ? undefined : key.novelty[i === IP ? COUNTRY : IP]?.peek(otherValue);
    let alsoNew = '';
    if (otherEntry !== undefined && otherEntry.trackSpend && time - otherEntry.firstSeen <= this.novelty.spendWindowMs) {
      otherEntry.escalated = true;
      alsoNew = ` (${i === IP ? 'country' : 'IP'} ${otherValue}, also new)`;
    }
    const attr = NOVELTY_ATTRIBUTES[i];
    out.push({
      time,
      accountId: s.accountId,
      keyId: s.keyId,
      detector: 'novelty',
      metric: ATTRIBUTE_METRIC[attr],
      observed: spent,
      expected,
      score: Math.min(spent, total - expected),
      threshold: bar,
      severity: 'critical',
      explanation:
        `${describeSubject(s.accountId, s.keyId)} spent ${formatUsd(spent)} from ${ATTRIBUTE_LABEL[attr]} ${value}${alsoNew}, first used ${minutesAgo(time - entry.firstSeen)}, ` +
        `on top of its usual traffic: ${formatUsd(total)} in total since then where it usually spends ${formatUsd(expected)} (limit ${formatUsd(bar)} from the new ${ATTRIBUTE_LABEL[attr]} and above usual${fullKnown ? '; its known IPs kept their usual traffic' : ''})`,
      episodeStart: entry.firstSeen,
      value,
    });
  }

  private noveltyDraft(key: KeySeries, attr: NoveltyAttribute, value: string, severity: 'info' | 'warning' | 'critical', time: number, spent: number, entry: NoveltyEntry): FindingDraft {
    const s = key;
    const days = this.policy.engine.noveltyHorizonDays;
    const who = describeSubject(s.accountId, s.keyId);
    const threshold = s.settings.thresholds.noveltyCriticalSpendUsd;
    const explanation =
      severity === 'critical'
        ? `${who} spent ${formatUsd(spent)} on model ${value} since first using it ${minutesAgo(time - entry.firstSeen)}, a model it had not used in the ${days} days before (limit ${formatUsd(threshold)})`
        : `${who} used ${ATTRIBUTE_LABEL[attr]} ${value} for the first time in ${days} days`;
    return {
      time,
      accountId: s.accountId,
      keyId: s.keyId,
      detector: 'novelty',
      metric: ATTRIBUTE_METRIC[attr],
      observed: severity === 'critical' ? spent : 1,
      expected: 0,
      score: severity === 'critical' ? spent : 1,
      threshold: severity === 'critical' ? threshold : 1,
      severity,
      explanation,
      episodeStart: entry.firstSeen,
      value,
    };
  }

  private takeFindings(): Finding[] {
    const drafts = this.drafts;
    if (drafts.length === 0) return NO_FINDINGS;
    const findings = drafts.map(buildFinding);
    drafts.length = 0;
    return findings;
  }
}

/** One per-minute rollup row, as the sink writes them. */
export interface RollupRow {
  accountId: string;
  keyId: string;
  /** Epoch ms of the minute start. */
  minuteStart: number;
  costUsd: number;
  requests: number;
  tokens: number;
  errors: number;
}

export interface EngineSnapshot {
  version: 1;
  clock: number | null;
  accounts: Array<{
    accountId: string;
    series: SeriesStateSnapshot;
    keys: Array<{
      keyId: string;
      firstSeen: number;
      series: SeriesStateSnapshot;
      novelty: Array<NoveltyMemoryState | null>;
      noveltyBucket: number[];
      /** Absent in snapshots taken before origin novelty; null = never paged. */
      originPagedAt?: number | null;
      newOriginSpend?: number;
    }>;
  }>;
}

type NoveltyAttribute = 'model' | 'ip' | 'country' | 'user_agent';
const NOVELTY_ATTRIBUTES: readonly NoveltyAttribute[] = ['model', 'ip', 'country', 'user_agent'];
const MODEL = 0;
const IP = 1;
const COUNTRY = 2;
const USER_AGENT = 3;
// Offsets of each attribute's novelty hot numbers in its key's series numbers (`SeriesState.noveltyAt`).
const MODEL_AT = SeriesState.noveltyAt(MODEL);
const IP_AT = SeriesState.noveltyAt(IP);
const COUNTRY_AT = SeriesState.noveltyAt(COUNTRY);
const USER_AGENT_AT = SeriesState.noveltyAt(USER_AGENT);
// Copied into a module constant: under tsx's CommonJS transform each use of an imported binding is a getter call.
const L_noveltyRepeatQuiet = noveltyRepeatQuiet;
const ATTRIBUTE_METRIC: Record<NoveltyAttribute, MetricName> = { model: 'model', ip: 'ip', country: 'country', user_agent: 'user_agent' };
const ATTRIBUTE_LABEL: Record<NoveltyAttribute, string> = { model: 'model', ip: 'IP', country: 'country', user_agent: 'user agent' };

/** `KeySeries.firstSeen` of a key seeded from rollups and not yet seen in an event (finite, so snapshots keep it). */
const SEEN_IN_ROLLUPS_ONLY = Number.MAX_SAFE_INTEGER;

/**
 * A copy of an id string for the engine to keep (Map key, key record). Why: every event's
 * lookup compares its fresh id string with the stored one; the event's own string lies among
 * that event's other data, a cache miss away from everything else, while a copy made here is
 * allocated next to the key's other state (and is flat: never a slice of a larger string).
 */
function compactCopy(id: string): string {
  return id.split('').join('');
}

/** `last` as the engine keeps it: `kept` when equal (no new copy), else a `compactCopy`. */
function keptValue(kept: string | undefined, last: string | undefined): string | undefined {
  if (last === kept) return kept;
  return last === undefined ? undefined : compactCopy(last);
}

/** Shared empty result: most events produce no finding, so no array is allocated for them. Do not mutate. */
const NO_FINDINGS = Object.freeze([]) as unknown as Finding[];

/** Restored series keep their learned baselines; the prior is not used. */
const ZERO_PRIOR: SeriesPrior = { cost: 0, costVariance: 0, requests: 0, tokens: 0 };

/** "less than a minute ago", "1 minute ago", "12 minutes ago". */
function minutesAgo(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'less than a minute ago';
  return minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
}
