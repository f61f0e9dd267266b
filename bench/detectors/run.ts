/**
 * Detector speed: events/s of the whole DetectionEngine on one core, and heap per tracked key.
 * Run: node --expose-gc --import tsx bench/detectors/run.ts [--dist] [events=3000000] [keys=10000] [runs=5] [spanHours=6]
 *
 * `--dist` measures the engine as the worker runs it: the compiled `dist/libs/detectors` (`npm run build`,
 * tsc's CommonJS), not the TypeScript sources as tsx transforms them on the fly (tsx turns every use of
 * an imported binding into a getter call, which costs on this path; see bench/detectors/README.md).
 *
 * Events are generated once up front (seeded), spread over 10,000 keys in 1,000 accounts,
 * about 6 hours of event time with daily-cycle rates, so buckets close and baselines learn
 * as in production. The baseline in the same run is a loop that reads the same fields of
 * every event (what any consumer pays), so the ratio shows the engine's own cost.
 * Throughput is wall-clock (the headline) and also per CPU second of this process (less
 * sensitive to other processes on a shared machine). Memory per key counts the V8 heap and
 * the off-heap typed-array stores (`external`), after forced GC.
 */
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import * as sources from '@spendguard/detectors';
import { mulberry32 } from '@spendguard/detectors/testing/seeded-random';

const fromDist = process.argv.includes('--dist');
const args = process.argv.slice(2).filter((a) => a !== '--dist');
const totalEvents = Number(args[0] ?? 3_000_000);
const keyCount = Number(args[1] ?? 10_000);
const runs = Number(args[2] ?? 5);
/** Event time the events cover: with `keys`, sets how often an event closes its key's minute (fewer keys × longer span = same per-key pattern, smaller state). */
const spanHours = Number(args[3] ?? 6);

const distEntry = resolve(__dirname, '../../dist/libs/detectors/src/index.js');
if (fromDist && !existsSync(distEntry)) throw new Error(`${distEntry} is missing: run npm run build first`);
const { DetectionEngine } = fromDist ? (createRequire(__filename)(distEntry) as typeof sources) : sources;
type DetectionEngine = InstanceType<typeof DetectionEngine>;
const gc = (globalThis as { gc?: () => void }).gc;

function makeEvents(): UsageEvent[] {
  const random = mulberry32(2026);
  const start = Date.UTC(2026, 0, 5, 6);
  const spanMs = spanHours * 3_600_000;
  const models = ['small-model', 'mid-model', 'large-model'];
  const events = new Array<UsageEvent>(totalEvents);
  for (let i = 0; i < totalEvents; i++) {
    const k = Math.floor(random() ** 2 * keyCount); // skewed: a few keys are busy, most are quiet
    events[i] = {
      id: `e${i}`,
      time: start + Math.floor((i / totalEvents) * spanMs),
      accountId: `acct-${k % 1000}`,
      keyId: `key-${k}`,
      model: models[k % 3],
      provider: 'p',
      inputTokens: 400,
      outputTokens: 150,
      costUsd: 0.001 + random() * 0.01,
      status: random() < 0.01 ? 500 : 200,
      latencyMs: 200,
      ip: `10.${k % 200}.0.${random() < 0.001 ? 9 : 1}`,
      country: 'DE',
      userAgent: 'sdk/1.0',
      gatewayId: 'gw',
      attributes: {},
    };
  }
  return events;
}

function baselineLoop(events: UsageEvent[]): number {
  let checksum = 0;
  for (const e of events) checksum += e.costUsd + e.inputTokens + e.outputTokens + e.status + e.time + e.keyId.length + e.model.length + e.ip.length;
  return checksum;
}

function engineLoop(events: UsageEvent[]): { engine: DetectionEngine; findings: number } {
  const engine = new DetectionEngine();
  let findings = 0;
  for (const e of events) findings += engine.observe(e).length;
  return { engine, findings };
}

function timeIt<T>(fn: () => T): { seconds: number; cpuSeconds: number; result: T } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { seconds, cpuSeconds: (c.user + c.system) / 1e6, result };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const events = makeEvents();
const baselineRates: number[] = [];
const engineRates: number[] = [];
const engineCpuRates: number[] = [];
const findingCounts = new Set<number>();
let lastFindings = 0;
for (let r = 0; r < runs; r++) {
  gc?.();
  const b = timeIt(() => baselineLoop(events));
  baselineRates.push(events.length / b.seconds);
  gc?.();
  const e = timeIt(() => engineLoop(events));
  engineRates.push(events.length / e.seconds);
  engineCpuRates.push(events.length / e.cpuSeconds);
  lastFindings = e.result.findings;
  findingCounts.add(lastFindings);
}

// Memory per tracked key: what a second engine adds to a process that holds one already (V8 heap plus the off-heap
// typed-array stores), each reading after forced GC and a pause, so ArrayBuffer stores freed by an earlier GC are
// released before they are counted (reading right after building the first engine undercounts them).
let memoryPerKey = NaN;
let trackedKeys = 0;
if (gc) {
  const settledUse = (): number => {
    for (let i = 0; i < 3; i++) {
      gc();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const first = engineLoop(events).engine;
  const before = settledUse();
  const second = engineLoop(events).engine;
  const after = settledUse();
  trackedKeys = second.trackedKeys;
  memoryPerKey = (after - before) / trackedKeys;
  if (first.now < 0 || second.now < 0) console.log('unreachable'); // keeps both engines alive until after the measurement
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`events: ${fmt(events.length)}, keys: ${fmt(keyCount)}, span: ${spanHours} h, runs: ${runs}, node ${process.version}, engine: ${fromDist ? 'dist (compiled)' : 'sources via tsx'}`);
console.log(`baseline (read event fields):  median ${fmt(median(baselineRates))} events/s`);
console.log(`DetectionEngine.observe:        median ${fmt(median(engineRates))} events/s  (runs: ${engineRates.map(fmt).join(', ')})`);
console.log(`DetectionEngine.observe per CPU second: median ${fmt(median(engineCpuRates))} events/s`);
console.log(`engine / baseline throughput:   ${(median(engineRates) / median(baselineRates)).toFixed(3)}`);
console.log(`findings per run: ${fmt(lastFindings)}${findingCounts.size > 1 ? ' (differs between runs!)' : ''}`);
console.log(gc ? `memory per tracked key: ${fmt(memoryPerKey)} bytes (heap + off-heap typed arrays, ${fmt(trackedKeys)} keys, accounts included)` : 'memory per key: run with node --expose-gc to measure');
