/**
 * Legitimate traffic, minute by minute: Poisson requests at the key's hourly rate (plus its
 * nightly batch job), aggregated into at most `maxEventsPerKeyMinute` events per key and
 * minute, each with a model from the key's mix, log-normal token counts and the cost the
 * model's price gives.
 */
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { costUsd, type Model } from './catalog';
import { DAY_MS, HOUR_MS, MINUTE_MS, type KeyProfile, type MixEntry, type Population } from './population';
import { chance, int, logNormal, poisson, stream, uniform, type Random } from './random';

/** A usage event (v1 contract fields) before serialisation; the generator sets no attributes. */
export type GeneratedEvent = Omit<UsageEvent, 'attributes'>;

const STREAM_TRAFFIC = 3;
const STREAM_BATCH = 4;

export class LegitTraffic {
  private readonly randoms: Random[];
  private readonly counters: Int32Array;
  /** Batch window of the current local day per key: [startMs, endMs, requestsPerMinute]. */
  private readonly batchWindow: Float64Array;

  constructor(private readonly population: Population) {
    const { keys, options } = population;
    this.randoms = keys.map((k) => stream(options.seed, STREAM_TRAFFIC, k.index));
    this.counters = new Int32Array(keys.length);
    this.batchWindow = new Float64Array(keys.length * 3).fill(-1);
    keys.forEach((k) => this.planBatchDay(k, options.startMs));
  }

  /** Appends the events of minute `minuteStart` to `out` (unsorted). */
  minute(minuteStart: number, out: GeneratedEvent[]): void {
    const { keys, options } = this.population;
    const hour = Math.floor((minuteStart - options.startMs) / HOUR_MS);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (minuteStart < key.createdMs) continue;
      const r = this.randoms[i];
      let rate = key.hourRate[hour];
      let batch = false;
      if (key.batch) {
        if (minuteStart >= this.batchWindow[i * 3 + 1]) this.planBatchDay(key, minuteStart);
        if (minuteStart >= this.batchWindow[i * 3] && minuteStart < this.batchWindow[i * 3 + 1]) {
          rate += this.batchWindow[i * 3 + 2];
          batch = true;
        }
      }
      const requests = poisson(r, rate);
      if (requests === 0) continue;
      const events = Math.min(requests, options.maxEventsPerKeyMinute);
      const mix = mixAt(key, minuteStart);
      for (let e = 0; e < events; e++) {
        const share = Math.floor(requests / events) + (e < requests % events ? 1 : 0);
        const model = batch ? mix[0].model : pickModel(r, mix);
        out.push(this.event(key, r, minuteStart + Math.floor(r() * MINUTE_MS), model, share, i));
      }
    }
  }

  private event(key: KeyProfile, r: Random, time: number, model: Model, requests: number, i: number): GeneratedEvent {
    const failed = chance(r, 0.012);
    // Sum of `requests` log-normal sizes, approximated by one log-normal with a narrower spread.
    const spread = 1 / Math.sqrt(requests);
    const inputTokens = Math.max(1, Math.round(requests * logNormal(r, key.inputMedian, 0.6 * spread) * 1.2));
    const outputTokens = failed ? 0 : Math.max(1, Math.round(requests * logNormal(r, key.outputMedian, 0.5 * spread) * 1.13));
    const { ip, country } = whereFrom(key, r, time);
    return {
      id: `${key.index.toString(36)}-${(this.counters[i]++).toString(36)}`,
      time,
      accountId: key.account.accountId,
      keyId: key.keyId,
      model: model.name,
      provider: model.provider,
      inputTokens,
      outputTokens,
      costUsd: failed ? 0 : costUsd(model, inputTokens, outputTokens),
      status: failed ? (chance(r, 0.6) ? 429 : 500) : 200,
      latencyMs: Math.round(300 + outputTokens * 12 * uniform(r, 0.7, 1.4)),
      ip,
      country,
      userAgent: key.uaUpgrade && time >= key.uaUpgrade.atMs ? key.uaUpgrade.userAgent : key.userAgent,
      gatewayId: `gw-${key.account.index % 4}`,
    };
  }

  /** Plans the batch job of the local night that starts at or after `fromMs`. */
  private planBatchDay(key: KeyProfile, fromMs: number): void {
    const batch = key.batch;
    if (!batch) return;
    const offset = key.account.utcOffsetHours * HOUR_MS;
    const r = stream(this.population.options.seed, STREAM_BATCH, key.index * 100_000 + Math.floor((fromMs + offset) / DAY_MS));
    let dayStart = Math.floor((fromMs + offset) / DAY_MS) * DAY_MS - offset;
    let start = dayStart + batch.localStartMinute * MINUTE_MS + int(r, -15, 15) * MINUTE_MS;
    let end = start + Math.round(batch.durationMinutes * uniform(r, 0.8, 1.2)) * MINUTE_MS;
    if (end <= fromMs) {
      dayStart += DAY_MS;
      start += DAY_MS;
      end += DAY_MS;
    }
    const skipped = chance(r, 0.1);
    const base = key.meanRate * (1 + (key.account.growth - 1) * ((start - this.population.options.startMs) / (this.population.options.days * DAY_MS)));
    this.batchWindow[key.index * 3] = skipped ? end : start;
    this.batchWindow[key.index * 3 + 1] = end;
    this.batchWindow[key.index * 3 + 2] = base * batch.intensity * uniform(r, 0.85, 1.15);
  }
}

export function mixAt(key: KeyProfile, time: number): MixEntry[] {
  return key.adoption && time >= key.adoption.atMs ? key.adoption.mix : key.mix;
}

export function pickModel(r: Random, mix: MixEntry[]): Model {
  let total = 0;
  for (const e of mix) total += e.weight;
  let u = r() * total;
  for (const e of mix) {
    u -= e.weight;
    if (u < 0) return e.model;
  }
  return mix[mix.length - 1].model;
}

function whereFrom(key: KeyProfile, r: Random, time: number): { ip: string; country: string } {
  if (key.travel && time >= key.travel.fromMs && time < key.travel.toMs) return { ip: key.travel.ip, country: key.travel.country };
  const ips = key.ipChange && time >= key.ipChange.atMs ? key.ipChange.ips : key.ips;
  return { ip: ips.length === 1 ? ips[0] : ips[Math.floor(r() * ips.length)], country: key.country };
}

export function serializeEvent(e: GeneratedEvent): string {
  return JSON.stringify({ ...e, time: new Date(e.time).toISOString() });
}
