/**
 * Who uses the gateway: accounts (region, growth, servers) and their keys (kind of
 * traffic, rate, daily/weekly shape, model mix, request sizes, IPs, user agent, and the
 * legitimate changes that happen in two weeks: redeploys, travel, SDK upgrades, model
 * migrations, new keys).
 */
import { MODELS, REGIONS, TRAVEL_COUNTRIES, USER_AGENTS, modelsOfTier, type Model, type Tier } from './catalog';
import { chance, int, logNormal, logUniform, pick, stream, uniform, type Random } from './random';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type KeyKind = 'quiet' | 'interactive' | 'service' | 'batch';

export interface GeneratorOptions {
  seed: number;
  accounts: number;
  /** Simulated days. */
  days: number;
  /** Epoch ms of the first minute (a Monday 00:00 UTC by default). */
  startMs: number;
  /** Events per key and minute at most (several requests are then aggregated into one event). */
  maxEventsPerKeyMinute: number;
}

export const DEFAULT_OPTIONS: GeneratorOptions = { seed: 20260105, accounts: 100, days: 14, startMs: Date.UTC(2026, 0, 5), maxEventsPerKeyMinute: 2 };

export interface Account {
  index: number;
  accountId: string;
  utcOffsetHours: number;
  country: string;
  /** Traffic multiplier at the end of the run (growth is linear in time). */
  growth: number;
  subnet: string;
}

export interface MixEntry {
  model: Model;
  weight: number;
}

export interface KeyProfile {
  index: number;
  keyId: string;
  account: Account;
  kind: KeyKind;
  /** Epoch ms the key was created (before: no traffic). */
  createdMs: number;
  /** Mean requests per minute over a week, before growth. */
  meanRate: number;
  mix: MixEntry[];
  inputMedian: number;
  outputMedian: number;
  ips: string[];
  country: string;
  userAgent: string;
  /** Requests per minute for each simulated hour (cycles, growth, noise; batch jobs excluded). */
  hourRate: Float64Array;
  batch?: { localStartMinute: number; durationMinutes: number; intensity: number };
  /** Legitimate changes. */
  ipChange?: { atMs: number; ips: string[] };
  travel?: { fromMs: number; toMs: number; country: string; ip: string };
  uaUpgrade?: { atMs: number; userAgent: string };
  adoption?: { atMs: number; mix: MixEntry[] };
}

export interface Population {
  options: GeneratorOptions;
  accounts: Account[];
  keys: KeyProfile[];
}

const STREAM_ACCOUNT = 1;
const STREAM_KEY = 2;

export function buildPopulation(options: GeneratorOptions): Population {
  const accounts: Account[] = [];
  const keys: KeyProfile[] = [];
  for (let a = 0; a < options.accounts; a++) {
    const r = stream(options.seed, STREAM_ACCOUNT, a);
    const region = pick(r, REGIONS);
    const account: Account = {
      index: a,
      accountId: `acct-${String(a).padStart(3, '0')}`,
      utcOffsetHours: region.utcOffsetHours,
      country: pick(r, region.countries),
      growth: chance(r, 0.15) ? uniform(r, 1.5, 2.2) : uniform(r, 0.95, 1.35),
      subnet: `${pick(r, [3, 13, 18, 34, 35, 44, 52, 54, 104, 138])}.${int(r, 1, 254)}.${int(r, 0, 255)}`,
    };
    accounts.push(account);
    const keyCount = int(r, 5, 17);
    for (let k = 0; k < keyCount; k++) keys.push(buildKey(options, account, keys.length, stream(options.seed, STREAM_KEY, keys.length)));
  }
  return { options, accounts, keys };
}

function buildKey(options: GeneratorOptions, account: Account, index: number, r: Random): KeyProfile {
  const u = r();
  const kind: KeyKind = u < 0.25 ? 'quiet' : u < 0.68 ? 'interactive' : u < 0.9 ? 'service' : 'batch';
  const meanRate =
    kind === 'quiet' ? logUniform(r, 2, 30) / 1440 : kind === 'interactive' ? logUniform(r, 0.02, 1.5) : kind === 'service' ? logUniform(r, 0.03, 1) : logUniform(r, 0.02, 0.4);
  const endMs = options.startMs + options.days * DAY_MS;
  const createdMs = chance(r, 0.05) ? options.startMs + int(r, 1, 10) * DAY_MS + int(r, 8, 18) * HOUR_MS - account.utcOffsetHours * HOUR_MS : options.startMs;
  const mix = buildMix(r);
  const ipCount = kind === 'quiet' ? 1 : int(r, 1, 3);
  const ips = Array.from({ length: ipCount }, () => `${account.subnet}.${int(r, 2, 254)}`);
  const [ua, version] = pick(r, USER_AGENTS);
  const minor = int(r, 0, 9);
  const key: KeyProfile = {
    index,
    keyId: 'kf_' + hex(index * 2654435761 + options.seed),
    account,
    kind,
    createdMs,
    meanRate,
    mix,
    inputMedian: logUniform(r, 300, 6000),
    outputMedian: logUniform(r, 100, 800),
    ips,
    country: chance(r, 0.1) ? pick(r, TRAVEL_COUNTRIES) : account.country,
    userAgent: ua + version + minor,
    hourRate: new Float64Array(options.days * 24),
  };
  if (kind === 'batch') key.batch = { localStartMinute: int(r, 30, 210), durationMinutes: int(r, 10, 60), intensity: uniform(r, 20, 50) };
  const when = (fromDay: number, toDay: number): number => options.startMs + Math.floor(uniform(r, fromDay, toDay) * DAY_MS);
  if (chance(r, 0.08)) key.ipChange = { atMs: when(2, 13), ips: ips.map(() => `${account.subnet}.${int(r, 2, 254)}`) };
  if ((kind === 'quiet' || kind === 'interactive') && chance(r, 0.03)) {
    const fromMs = when(2, 12);
    let country = pick(r, TRAVEL_COUNTRIES);
    if (country === key.country) country = 'CH';
    key.travel = { fromMs, toMs: Math.min(endMs, fromMs + int(r, 1, 3) * DAY_MS), country, ip: `${int(r, 77, 95)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}` };
  }
  if (chance(r, 0.1)) key.uaUpgrade = { atMs: when(2, 13), userAgent: ua + version + (minor + 1) };
  if (chance(r, 0.05)) {
    // A migration to another model of the primary model's tier (e.g. gpt-4o → gpt-4.1).
    const primary = mix[0].model;
    const candidates = modelsOfTier(primary.tier).filter((m) => !mix.some((e) => e.model === m));
    if (candidates.length > 0) {
      const next = pick(r, candidates);
      const share = uniform(r, 0.3, 1);
      key.adoption = { atMs: when(2, 13), mix: [{ model: next, weight: mix[0].weight * share }, { model: primary, weight: mix[0].weight * (1 - share) }, ...mix.slice(1)] };
    }
  }
  fillHourRates(options, key, r);
  return key;
}

function buildMix(r: Random): MixEntry[] {
  const u = r();
  const primaryTier: Tier = u < 0.5 ? 'cheap' : 'mid';
  const mix: MixEntry[] = [{ model: pick(r, modelsOfTier(primaryTier)), weight: 1 }];
  const add = (tier: Tier, weight: number): void => {
    const candidates = modelsOfTier(tier).filter((m) => !mix.some((e) => e.model === m));
    if (candidates.length > 0) mix.push({ model: pick(r, candidates), weight });
  };
  if (chance(r, 0.5)) add(pick(r, ['cheap', 'mid'] as Tier[]), uniform(r, 0.1, 0.5));
  if (chance(r, 0.15)) add(pick(r, ['cheap', 'mid'] as Tier[]), uniform(r, 0.05, 0.2));
  // About one key in ten uses an expensive model for a small share of its requests.
  if (chance(r, 0.1)) add('expensive', uniform(r, 0.02, 0.15));
  return mix;
}

/** Daily shape (mean 1 over the day) by local hour, weekly factor, growth and noise. */
function fillHourRates(options: GeneratorOptions, key: KeyProfile, r: Random): void {
  const night = key.kind === 'interactive' || key.kind === 'quiet' ? uniform(r, 0.03, 0.2) : uniform(r, 0.35, 0.8);
  const weekend = key.kind === 'interactive' || key.kind === 'quiet' ? uniform(r, 0.15, 0.6) : uniform(r, 0.6, 1);
  const peakHour = uniform(r, 11, 16);
  const shape = new Float64Array(24);
  for (let h = 0; h < 24; h++) {
    const d = Math.abs(h + 0.5 - peakHour);
    const bump = Math.max(0, Math.cos((Math.min(d, 9) / 9) * (Math.PI / 2))) ** 1.5;
    shape[h] = night + (1 - night) * bump;
  }
  const shapeMean = shape.reduce((s, v) => s + v, 0) / 24;
  const weekMean = (5 + 2 * weekend) / 7;
  const hours = options.days * 24;
  let dayNoise = 1;
  for (let i = 0; i < hours; i++) {
    const utcMs = options.startMs + i * HOUR_MS;
    const local = utcMs + key.account.utcOffsetHours * HOUR_MS;
    const localHour = Math.floor(local / HOUR_MS) % 24;
    const dow = (Math.floor(local / DAY_MS) + 4) % 7;
    if (i === 0 || localHour === 0) dayNoise = logNormal(r, 1, 0.25);
    const weekly = dow === 0 || dow === 6 ? weekend : 1;
    const growth = 1 + (key.account.growth - 1) * (i / hours);
    key.hourRate[i] = ((key.meanRate * shape[localHour]) / shapeMean) * (weekly / weekMean) * growth * dayNoise * logNormal(r, 1, 0.2);
  }
}

function hex(n: number): string {
  let h = (n >>> 0) ^ 0x5bd1e995;
  let out = '';
  for (let i = 0; i < 3; i++) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 20);
}

export { MODELS };
