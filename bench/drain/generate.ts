/**
 * Seeded generator of gateway traffic with injected key-drain attacks.
 *
 *   npx tsx bench/drain/generate.ts [--out bench/results/drain] [--seed N] [--accounts 100] [--days 14]
 *
 * writes `events.ndjson` (v1 usage events in event-time order), `attacks.json` (labels) and
 * `policy.json` (the caps of the cap-breach scenario) into the output folder. `run.ts`
 * streams the same events straight into the replay command instead of writing them.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { AttackTraffic, planAttacks, policyFor, type Attack, type AttackPlan, type LegitMaxima } from './attacks';
import { DAY_MS, DEFAULT_OPTIONS, MINUTE_MS, buildPopulation, type GeneratorOptions, type Population } from './population';
import { LegitTraffic, serializeEvent, type GeneratedEvent } from './traffic';

export interface Benchmark {
  population: Population;
  plan: AttackPlan;
  policy: object;
}

/** Population, a first pass over legitimate traffic (for caps it never breaches), attack plan and policy. */
export function prepare(options: GeneratorOptions = DEFAULT_OPTIONS): Benchmark {
  const population = buildPopulation(options);
  const plan = planAttacks(population, legitMaxima(population));
  return { population, plan, policy: policyFor(plan) };
}

export function legitMaxima(population: Population): LegitMaxima {
  const { options, keys, accounts } = population;
  const hours = options.days * 24;
  const keyHours = new Float64Array(keys.length * hours);
  const accountHours = new Float64Array(accounts.length * hours);
  const keyIndex = new Map(keys.map((k) => [k.keyId, k.index]));
  const accountIndex = new Map(accounts.map((a) => [a.accountId, a.index]));
  const traffic = new LegitTraffic(population);
  const out: GeneratedEvent[] = [];
  for (let m = 0; m < options.days * 1440; m++) {
    const t = options.startMs + m * MINUTE_MS;
    out.length = 0;
    traffic.minute(t, out);
    const h = Math.floor(m / 60);
    for (const e of out) {
      keyHours[(keyIndex.get(e.keyId) as number) * hours + h] += e.costUsd;
      accountHours[(accountIndex.get(e.accountId) as number) * hours + h] += e.costUsd;
    }
  }
  const windowMax = (values: Float64Array, series: number, width: number): Float64Array => {
    const max = new Float64Array(series);
    for (let s = 0; s < series; s++) {
      let sum = 0;
      for (let h = 0; h < hours; h++) {
        sum += values[s * hours + h];
        if (h >= width) sum -= values[s * hours + h - width];
        if (sum > max[s]) max[s] = sum;
      }
    }
    return max;
  };
  return { keyHourUsd: windowMax(keyHours, keys.length, 3), accountDayUsd: windowMax(accountHours, accounts.length, 26) };
}

/**
 * Yields NDJSON chunks (one simulated hour each) of all events in event-time order;
 * `onEvent` sees every event (e.g. to total the attackers' spend).
 */
export function* generateEvents(bench: Benchmark, onEvent?: (e: GeneratedEvent) => void): Generator<string> {
  const { options } = bench.population;
  const legit = new LegitTraffic(bench.population);
  const attacks = new AttackTraffic(bench.population, bench.plan.attacks);
  const minute: GeneratedEvent[] = [];
  let chunk: string[] = [];
  for (let m = 0; m < options.days * 1440; m++) {
    const t = options.startMs + m * MINUTE_MS;
    minute.length = 0;
    legit.minute(t, minute);
    attacks.minute(t, minute);
    minute.sort((a, b) => a.time - b.time);
    for (const e of minute) {
      onEvent?.(e);
      chunk.push(serializeEvent(e));
    }
    if ((m + 1) % 60 === 0) {
      chunk.push('');
      yield chunk.join('\n');
      chunk = [];
    }
  }
  if (chunk.length > 0) {
    chunk.push('');
    yield chunk.join('\n');
  }
}

/** Labels side file: attacks with start/end, caps, and the attack-free keys and accounts. */
export function labels(bench: Benchmark): object {
  const attacked = new Set(bench.plan.attacks.map((a) => a.keyId));
  const attackedAccounts = new Set(bench.plan.attacks.map((a) => a.accountId));
  const { options, keys, accounts } = bench.population;
  return {
    generator: { ...options, start: new Date(options.startMs).toISOString(), keys: keys.length },
    attacks: bench.plan.attacks.map((a: Attack) => ({ ...a, start: new Date(a.startMs).toISOString(), end: new Date(a.endMs).toISOString() })),
    attackFreeKeys: keys.filter((k) => !attacked.has(k.keyId)).map((k) => ({ accountId: k.account.accountId, keyId: k.keyId, kind: k.kind, created: new Date(k.createdMs).toISOString() })),
    attackFreeAccounts: accounts.filter((a) => !attackedAccounts.has(a.accountId)).map((a) => a.accountId),
  };
}

/** Key-days of attack-free traffic (keys created during the run count from their creation). */
export function attackFreeKeyDays(bench: Benchmark): number {
  const attacked = new Set(bench.plan.attacks.map((a) => a.keyId));
  const end = bench.population.options.startMs + bench.population.options.days * DAY_MS;
  return bench.population.keys.filter((k) => !attacked.has(k.keyId)).reduce((sum, k) => sum + (end - k.createdMs) / DAY_MS, 0);
}

export function parseGeneratorArgs(argv: readonly string[]): { options: GeneratorOptions; out: string } {
  const options = { ...DEFAULT_OPTIONS };
  let out = 'bench/results/drain';
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--seed') options.seed = Number(value);
    else if (argv[i] === '--accounts') options.accounts = Number(value);
    else if (argv[i] === '--days') options.days = Number(value);
    else if (argv[i] === '--out') out = value;
    else continue;
    i++;
  }
  if (options.days < 8) throw new Error('--days must be at least 8 (attacks start after a week of history)');
  if (options.accounts < 40) throw new Error('--accounts must be at least 40');
  return { options, out };
}

async function main(): Promise<void> {
  const { options, out } = parseGeneratorArgs(process.argv.slice(2));
  const dir = resolve(out);
  mkdirSync(dir, { recursive: true });
  const bench = prepare(options);
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(bench.policy, null, 2) + '\n');
  writeFileSync(join(dir, 'attacks.json'), JSON.stringify(labels(bench), null, 2) + '\n');
  const file = createWriteStream(join(dir, 'events.ndjson'));
  let events = 0;
  for (const chunk of generateEvents(bench, () => events++)) if (!file.write(chunk)) await once(file, 'drain');
  file.end();
  await once(file, 'finish');
  console.log(`${events} events, ${bench.population.keys.length} keys, ${bench.plan.attacks.length} attacks → ${dir}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
