import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { mulberry32, samplePoisson } from './seeded-random';

/**
 * Seeded synthetic gateway traffic for tests and the speed benchmark: per key a base
 * request rate with a daily cycle (busy 8–20 UTC), quieter weekends, occasional batch jobs
 * (a few minutes at 10–30× the rate) and a per-key model price.
 */
export interface SyntheticKey {
  accountId: string;
  keyId: string;
  requestsPerMinute: number;
  costPerRequestUsd: number;
  model: string;
  ip: string;
}

export function makeKeys(seed: number, accounts: number, keysPerAccount: number): SyntheticKey[] {
  const random = mulberry32(seed);
  const keys: SyntheticKey[] = [];
  for (let a = 0; a < accounts; a++) {
    for (let k = 0; k < keysPerAccount; k++) {
      keys.push({
        accountId: `acct-${a}`,
        keyId: `sk-…${a.toString(16).padStart(2, '0')}${k.toString(16).padStart(2, '0')}`,
        requestsPerMinute: 0.2 + random() * 4,
        costPerRequestUsd: [0.0005, 0.002, 0.01, 0.03][Math.floor(random() * 4)],
        model: ['small-model', 'mid-model', 'large-model'][Math.floor(random() * 3)],
        ip: `10.0.${a}.${k}`,
      });
    }
  }
  return keys;
}

/** Daily × weekly load factor at `time`. */
export function loadFactor(time: number): number {
  const hour = Math.floor(time / 3_600_000) % 24;
  const day = (Math.floor(time / 86_400_000) + 4) % 7;
  const daily = hour >= 8 && hour < 20 ? 1.6 : 0.4;
  return day === 0 || day === 6 ? daily * 0.5 : daily;
}

/**
 * Calls `emit` with the events of `key` for every minute in [start, end), in time order
 * within the key. Batch jobs: with probability `batchChance` per hour a job runs for 5–20
 * minutes at 10–30× the rate.
 */
export function generateKeyTraffic(key: SyntheticKey, seed: number, start: number, end: number, emit: (e: UsageEvent) => void, batchChance = 0.03): void {
  const random = mulberry32(seed);
  let batchUntil = 0;
  let batchFactor = 1;
  let n = 0;
  for (let minute = start; minute < end; minute += 60_000) {
    if (minute % 3_600_000 === 0 && random() < batchChance) {
      batchUntil = minute + (5 + Math.floor(random() * 16)) * 60_000;
      batchFactor = 10 + random() * 20;
    }
    const rate = key.requestsPerMinute * loadFactor(minute) * (minute < batchUntil ? batchFactor : 1);
    const count = samplePoisson(random, rate);
    for (let i = 0; i < count; i++) {
      emit(makeEvent(key, minute + Math.floor((i * 60_000) / count), key.costPerRequestUsd * (0.5 + random()), `${key.keyId}-${minute}-${n++}`));
    }
  }
}

export function makeEvent(key: SyntheticKey, time: number, costUsd: number, id: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id,
    time,
    accountId: key.accountId,
    keyId: key.keyId,
    model: key.model,
    provider: 'test',
    inputTokens: 500,
    outputTokens: 200,
    costUsd,
    status: 200,
    latencyMs: 300,
    ip: key.ip,
    country: 'DE',
    userAgent: 'sdk/1.0',
    gatewayId: 'gw-1',
    attributes: {},
    ...overrides,
  };
}
