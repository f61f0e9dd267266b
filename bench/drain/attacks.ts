/**
 * Injected attacks, each on its own key (account-cap attacks on their own account), with
 * labels: scenario, key, start and end. Attack traffic is generated minute by minute like
 * legitimate traffic, from its own random stream.
 */
import { ATTACKER_COUNTRIES, costUsd, modelsOfTier, type Model } from './catalog';
import { DAY_MS, MINUTE_MS, type KeyProfile, type Population } from './population';
import { int, logNormal, logUniform, pick, poisson, stream, uniform, type Random } from './random';
import { mixAt, pickModel, type GeneratedEvent } from './traffic';

export type Scenario = 'burst-drain' | 'slow-drain' | 'new-model' | 'new-country-ip' | 'cap-breach';
export const SCENARIOS: readonly Scenario[] = ['burst-drain', 'slow-drain', 'new-model', 'new-country-ip', 'cap-breach'];

export interface Attack {
  id: string;
  scenario: Scenario;
  /** e.g. burst on a model the key uses vs. on an expensive model it never used; key vs. account cap. */
  variant: string;
  accountId: string;
  keyId: string;
  keyIndex: number;
  startMs: number;
  endMs: number;
  model: string;
  /** Attack requests per minute (events) and USD per minute targeted (burst/cap) or mean. */
  eventsPerMinute: number;
  usdPerMinute: number;
  ips: string[];
  country: string;
  userAgent: string;
  /** Cap the attack breaches (cap-breach only). */
  cap?: { scope: 'key' | 'account'; window: 'hour' | 'day'; usd: number };
  /** The key's normal mean spend per minute (before the attack), for context. */
  normalUsdPerMinute: number;
}

/** Legitimate maxima from a first pass over the attack-free traffic, for safe caps. */
export interface LegitMaxima {
  /** Per key: max spend over any 3 consecutive hours (bounds every rolling hour). */
  keyHourUsd: Float64Array;
  /** Per account: max spend over any 26 consecutive hours (bounds every rolling day). */
  accountDayUsd: Float64Array;
}

export interface AttackPlan {
  attacks: Attack[];
  /** Caps written to the policy file: on attacked and on attack-free keys/accounts. */
  keyHourCaps: Array<{ accountId: string; keyId: string; usd: number }>;
  accountDayCaps: Array<{ accountId: string; usd: number }>;
}

export const ATTACK_COUNTS: Record<Scenario, number> = { 'burst-drain': 100, 'slow-drain': 30, 'new-model': 30, 'new-country-ip': 30, 'cap-breach': 20 };

const STREAM_PLAN = 10;
const STREAM_ATTACK = 11;

/** Mean cost of one request of this key at its token medians (log-normal means). */
export function meanRequestCost(key: KeyProfile, time: number): number {
  const mix = mixAt(key, time);
  let total = 0;
  let weight = 0;
  for (const e of mix) {
    total += e.weight * costUsd(e.model, key.inputMedian * 1.2, key.outputMedian * 1.13);
    weight += e.weight;
  }
  return total / weight;
}

export function planAttacks(population: Population, maxima: LegitMaxima): AttackPlan {
  const { options, accounts, keys } = population;
  const r = stream(options.seed, STREAM_PLAN);
  const order = shuffle(r, accounts.map((a) => a.index));
  const accountCapAccounts = new Set(order.slice(0, 10));
  const attackedAccounts = new Set(order.slice(10, 60));
  const freeAccounts = order.slice(60);
  const start = options.startMs;
  const mature = (k: KeyProfile): boolean => k.createdMs === start;
  const normal = (k: KeyProfile): number => k.meanRate * meanRequestCost(k, start);
  const pool = shuffle(r, keys.filter((k) => attackedAccounts.has(k.account.index) && mature(k)));
  const used = new Set<number>();
  const take = (n: number, eligible: (k: KeyProfile) => boolean): KeyProfile[] => {
    const out: KeyProfile[] = [];
    for (const k of pool) {
      if (out.length === n) break;
      if (!used.has(k.index) && eligible(k)) {
        used.add(k.index);
        out.push(k);
      }
    }
    return out;
  };
  const attacks: Attack[] = [];
  const keyHourCaps: AttackPlan['keyHourCaps'] = [];
  const accountDayCaps: AttackPlan['accountDayCaps'] = [];
  const startBetween = (fromDay: number, toDay: number): number => start + Math.floor(uniform(r, fromDay, toDay) * DAY_MS);
  const attackerIps = (n: number): string[] => Array.from({ length: n }, () => `${int(r, 5, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`);
  const base = (k: KeyProfile, scenario: Scenario, variant: string, startMs: number, minutes: number): Omit<Attack, 'model' | 'eventsPerMinute' | 'usdPerMinute' | 'ips' | 'country' | 'userAgent'> => ({
    id: `${scenario}-${attacks.length}`,
    scenario,
    variant,
    accountId: k.account.accountId,
    keyId: k.keyId,
    keyIndex: k.index,
    startMs,
    endMs: startMs + minutes * MINUTE_MS,
    normalUsdPerMinute: normal(k),
  });
  const mostExpensive = (k: KeyProfile): Model => mixAt(k, start).reduce((a, e) => (e.model.outputPerMTok > a.outputPerMTok ? e.model : a), mixAt(k, start)[0].model);

  // Burst drain: $5–50 a minute on a key that usually spends cents, 20–60 parallel requests a minute, for 30 minutes.
  for (const [i, k] of take(ATTACK_COUNTS['burst-drain'], (k) => normal(k) < 0.1).entries()) {
    const known = i % 2 === 0;
    const usedExpensive = mixAt(k, start).find((e) => e.model.tier === 'expensive')?.model;
    const model = known ? mostExpensive(k) : usedExpensive ?? pick(r, modelsOfTier('expensive'));
    attacks.push({
      ...base(k, 'burst-drain', known ? 'model the key uses' : 'expensive model', startBetween(7, 13.5), 30),
      model: model.name,
      eventsPerMinute: int(r, 20, 60),
      usdPerMinute: logUniform(r, 5, 50),
      ips: attackerIps(int(r, 3, 20)),
      country: pick(r, ATTACKER_COUNTRIES),
      userAgent: 'python-requests/2.32.3',
    });
  }
  // Slow drain: +100–200 % of the key's normal request rate, around the clock, for 24 hours, from one new IP in the key's country.
  for (const k of take(ATTACK_COUNTS['slow-drain'], (k) => k.kind !== 'quiet' && normal(k) >= 0.003)) {
    const factor = uniform(r, 1, 2);
    attacks.push({
      ...base(k, 'slow-drain', `+${Math.round(factor * 100)}%`, startBetween(7, 12.5), 24 * 60),
      model: '(key mix)',
      eventsPerMinute: k.meanRate * factor,
      usdPerMinute: normal(k) * factor,
      ips: attackerIps(1),
      country: k.country,
      userAgent: k.userAgent,
    });
  }
  // New model: an expensive model the key never used, $0.2–2 a minute for 2 hours, from the key's own IPs.
  for (const k of take(ATTACK_COUNTS['new-model'], (k) => !mixAt(k, start).some((e) => e.model.tier === 'expensive') && !k.adoption)) {
    attacks.push({
      ...base(k, 'new-model', 'expensive model', startBetween(7, 13.5), 120),
      model: pick(r, modelsOfTier('expensive')).name,
      eventsPerMinute: uniform(r, 1, 5),
      usdPerMinute: logUniform(r, 0.2, 2),
      ips: k.ips,
      country: k.country,
      userAgent: k.userAgent,
    });
  }
  // New country and IP: the key's own models at 5–15× its normal rate (at least 0.3 requests a minute), for 6 hours.
  for (const k of take(ATTACK_COUNTS['new-country-ip'], (k) => k.kind !== 'quiet')) {
    const factor = uniform(r, 5, 15);
    const rate = Math.max(0.3, k.meanRate * factor);
    attacks.push({
      ...base(k, 'new-country-ip', `${Math.round(factor)}× rate`, startBetween(7, 13.5), 360),
      model: '(key mix)',
      eventsPerMinute: rate,
      usdPerMinute: rate * meanRequestCost(k, start),
      ips: attackerIps(1),
      country: pick(r, ATTACKER_COUNTRIES),
      userAgent: k.userAgent,
    });
  }
  // Cap breach: half on a key with an hourly cap (crossed in about 10 minutes), half on an account with a daily cap (about 60 minutes).
  const keyHourCap = (k: KeyProfile): number => Math.max(5, Math.ceil(1.5 * maxima.keyHourUsd[k.index]));
  const accountDayCap = (accountIndex: number): number => Math.max(20, Math.ceil(1.5 * maxima.accountDayUsd[accountIndex]));
  for (const k of take(ATTACK_COUNTS['cap-breach'] / 2, () => true)) {
    const cap = keyHourCap(k);
    keyHourCaps.push({ accountId: k.account.accountId, keyId: k.keyId, usd: cap });
    attacks.push({
      ...base(k, 'cap-breach', 'key hourly cap', startBetween(7, 13.5), 120),
      model: mostExpensive(k).name,
      eventsPerMinute: int(r, 5, 20),
      usdPerMinute: cap / 10,
      ips: attackerIps(int(r, 1, 5)),
      country: pick(r, ATTACKER_COUNTRIES),
      userAgent: 'python-requests/2.32.3',
      cap: { scope: 'key', window: 'hour', usd: cap },
    });
  }
  for (const a of accountCapAccounts) {
    const candidates = shuffle(r, keys.filter((k) => k.account.index === a && mature(k)));
    const k = candidates[0];
    const cap = accountDayCap(a);
    accountDayCaps.push({ accountId: k.account.accountId, usd: cap });
    used.add(k.index);
    attacks.push({
      ...base(k, 'cap-breach', 'account daily cap', startBetween(7, 13.5), 120),
      model: mostExpensive(k).name,
      eventsPerMinute: int(r, 5, 20),
      usdPerMinute: cap / 60,
      ips: attackerIps(int(r, 1, 5)),
      country: pick(r, ATTACKER_COUNTRIES),
      userAgent: 'python-requests/2.32.3',
      cap: { scope: 'account', window: 'day', usd: cap },
    });
  }
  // Caps on attack-free keys and accounts too: a cap must not fire on legitimate traffic.
  for (const k of shuffle(r, keys.filter((k) => freeAccounts.includes(k.account.index))).slice(0, 20)) keyHourCaps.push({ accountId: k.account.accountId, keyId: k.keyId, usd: keyHourCap(k) });
  for (const a of freeAccounts.slice(0, 10)) accountDayCaps.push({ accountId: accounts[a].accountId, usd: accountDayCap(a) });
  return { attacks, keyHourCaps, accountDayCaps };
}

/** Detection policy the benchmark replays with: defaults plus the caps above. */
export function policyFor(plan: AttackPlan): object {
  const accounts: Record<string, { caps?: { dayUsd: number }; keys?: Record<string, { caps: { hourUsd: number } }> }> = {};
  for (const c of plan.accountDayCaps) (accounts[c.accountId] ??= {}).caps = { dayUsd: c.usd };
  for (const c of plan.keyHourCaps) ((accounts[c.accountId] ??= {}).keys ??= {})[c.keyId] = { caps: { hourUsd: c.usd } };
  return { version: 1, accounts };
}

/** Generates attack events minute by minute. */
export class AttackTraffic {
  private readonly randoms: Random[];
  private counter = 0;

  constructor(
    private readonly population: Population,
    readonly attacks: Attack[],
  ) {
    this.randoms = attacks.map((_, i) => stream(population.options.seed, STREAM_ATTACK, i));
  }

  minute(minuteStart: number, out: GeneratedEvent[]): void {
    for (let i = 0; i < this.attacks.length; i++) {
      const a = this.attacks[i];
      const minuteEnd = minuteStart + MINUTE_MS;
      if (minuteEnd <= a.startMs || minuteStart >= a.endMs) continue;
      const from = Math.max(minuteStart, a.startMs);
      const to = Math.min(minuteEnd, a.endMs);
      const fraction = (to - from) / MINUTE_MS;
      const r = this.randoms[i];
      const key = this.population.keys[a.keyIndex];
      const fixedSpend = a.scenario === 'burst-drain' || a.scenario === 'cap-breach' || a.scenario === 'new-model';
      const n = fixedSpend ? Math.max(1, Math.round(a.eventsPerMinute * fraction)) : poisson(r, a.eventsPerMinute * fraction);
      for (let j = 0; j < n; j++) {
        const time = from + Math.floor(r() * (to - from));
        let model: Model;
        let inputTokens: number;
        let outputTokens: number;
        if (fixedSpend) {
          model = this.model(a.model);
          const cost = (a.usdPerMinute / a.eventsPerMinute) * logNormal(r, 1, 0.3);
          // Half the money on input, half on output tokens.
          inputTokens = Math.max(1, Math.round((cost * 0.5 * 1e6) / model.inputPerMTok));
          outputTokens = Math.max(1, Math.round((cost * 0.5 * 1e6) / model.outputPerMTok));
        } else {
          model = pickModel(r, mixAt(key, time));
          inputTokens = Math.max(1, Math.round(logNormal(r, key.inputMedian, 0.6)));
          outputTokens = Math.max(1, Math.round(logNormal(r, key.outputMedian, 0.5)));
        }
        out.push({
          id: `atk${i}-${(this.counter++).toString(36)}`,
          time,
          accountId: a.accountId,
          keyId: a.keyId,
          model: model.name,
          provider: model.provider,
          inputTokens,
          outputTokens,
          costUsd: costUsd(model, inputTokens, outputTokens),
          status: 200,
          latencyMs: Math.round(400 + outputTokens * 10 * uniform(r, 0.7, 1.4)),
          ip: a.ips.length === 1 ? a.ips[0] : pick(r, a.ips),
          country: a.country,
          userAgent: a.userAgent,
          gatewayId: `gw-${key.account.index % 4}`,
        });
      }
    }
  }

  private model(name: string): Model {
    const m = modelsOfTier('expensive').concat(modelsOfTier('mid'), modelsOfTier('cheap')).find((x) => x.name === name);
    if (!m) throw new Error(`unknown model ${name}`);
    return m;
  }
}

function shuffle<T>(r: Random, items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
