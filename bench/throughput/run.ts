/**
 * Pipeline throughput: Kafka → worker sink → ClickHouse, on the real local services.
 *
 *   npm run build   # the worker runs as the built process (decorator metadata)
 *   npx tsx bench/throughput/run.ts [--events 1000000] [--runs 3] [--partitions 4]
 *     [--rate 20000] [--latency-seconds 15] [--flush-rows N] [--flush-interval-ms N]
 *     [--cpu-prof] [--keep]
 *
 * Per run, with a fresh topic and database:
 * 1. N events are produced to the usage topic (kafkajs, big batches, acks -1, no compression)
 *    before the worker starts.
 * 2. Pipeline: the built worker (sink role only) is started; events/s = N / (time all N rows
 *    are counted in ClickHouse − time the sink's consumer group became Stable). The figure
 *    from process start ("cold", includes Nest start-up and migrations) is reported too.
 * 3. Latency: with the worker caught up, events are produced at a steady rate; every 1000th
 *    is a probe (own account id, so ClickHouse finds it through the primary key) whose send
 *    time is recorded; ClickHouse is polled every 100 ms for probes. Latency = first poll that
 *    sees the probe − send time, so the resolution is ~100 ms.
 * 4. Raw limits, with the worker stopped: Kafka's own ConsumerPerformance reading the same N
 *    messages from the same topic, and a plain JSONEachRow insert (@clickhouse/client,
 *    batches of 100k, one at a time, rows built before the clock starts) of the same rows into
 *    a fresh database with the same migrations (so the same table and materialized views).
 * Topics and databases are deleted at the end; the worker is killed even on failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { MIGRATIONS, runMigrations, toUsageEventRow, type UsageEventRow } from '@spendguard/clickhouse';
import { serializeUsageEvent } from '@spendguard/contracts';
import type { UsageEvent } from '@spendguard/contracts/usage-event.types';

const ROOT = resolve(__dirname, '../..');
const WORKER_ENTRY = join(ROOT, 'dist/apps/worker/src/main.js');
const RESULTS_DIR = join(ROOT, 'bench/results/throughput');

// ---------------------------------------------------------------------------------------- options

function flag(name: string, fallback: number): number;
function flag(name: string, fallback: undefined): number | undefined;
function flag(name: string, fallback: number | undefined): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}

const options = {
  events: flag('events', 1_000_000),
  runs: flag('runs', 3),
  partitions: flag('partitions', 4),
  rate: flag('rate', 20_000),
  latencySeconds: flag('latency-seconds', 15),
  flushRows: flag('flush-rows', undefined),
  flushIntervalMs: flag('flush-interval-ms', undefined),
  cpuProf: process.argv.includes('--cpu-prof'),
  keep: process.argv.includes('--keep'),
  build: !process.argv.includes('--no-build'),
};
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const PROBE_EVERY = 1000;
const PROBE_ACCOUNT = 'acct-latency-probe';
const RAW_BATCH = 100_000;
const SEND_MAX_EVENTS = 4000;

// ----------------------------------------------------------------------------------------- events

/** A valid, already normalised v1 event (like test/support's usageEvent, more accounts and keys). */
function benchEvent(n: number, runId: string, time: number, probe = false): UsageEvent {
  return {
    id: `${runId}-${n}`,
    time,
    accountId: probe ? PROBE_ACCOUNT : `acct-${n % 997}`,
    keyId: `kf-${n % 4999}`,
    model: n % 3 === 0 ? 'gpt-4o' : 'claude-3-5-haiku',
    provider: n % 3 === 0 ? 'openai' : 'anthropic',
    inputTokens: 100 + (n % 50),
    outputTokens: 20 + (n % 30),
    costUsd: Math.round((0.001 + (n % 10) * 0.0007) * 1e6) / 1e6,
    status: n % 50 === 0 ? 429 : 200,
    latencyMs: 200 + (n % 400),
    ip: `198.51.100.${n % 250}`,
    country: 'US',
    userAgent: 'bench-client/1.0 (throughput)',
    gatewayId: 'gw-bench',
    attributes: {},
  };
}

/** Keyed by account like the api; probes (one account) by id, so they are spread over the partitions. */
function messageOf(event: UsageEvent): Message {
  return { key: event.accountId === PROBE_ACCOUNT ? event.id : event.accountId, value: serializeUsageEvent(event) };
}

// ------------------------------------------------------------------------------------------ utils

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when the worker entry is missing or older than its sources. */
function ensureBuilt(): void {
  const sources = Math.max(newestMtime(join(ROOT, 'apps/worker/src')), newestMtime(join(ROOT, 'libs')));
  if (existsSync(WORKER_ENTRY) && statSync(WORKER_ENTRY).mtimeMs >= sources) return;
  if (!options.build) throw new Error('dist/ is missing or outdated; run `npm run build` (or drop --no-build)');
  console.log('dist/ is missing or outdated: npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

// ----------------------------------------------------------------------------------------- kafka

const kafka = new Kafka({ clientId: 'spendguard-bench', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });

interface Names {
  runId: string;
  database: string;
  rawDatabase: string;
  group: string;
  topics: { usage: string; dlq: string; findings: string; keyStatus: string; control: string };
}

function namesFor(run: number): Names {
  const runId = `tp${Date.now().toString(36)}r${run}`;
  const prefix = `bench_${runId}`;
  return {
    runId,
    database: prefix,
    rawDatabase: `${prefix}_raw`,
    group: `${prefix}.sink`,
    topics: {
      usage: `${prefix}.usage-events`,
      dlq: `${prefix}.usage-events-dlq`,
      findings: `${prefix}.findings`,
      keyStatus: `${prefix}.key-status`,
      control: `${prefix}.control-commands`,
    },
  };
}

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: options.partitions }] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces events [from, to) with several sends in flight; returns events/s. */
async function preProduce(producer: Producer, topic: string, runId: string, count: number): Promise<number> {
  // The broker refuses record batches over message.max.bytes (1 MiB by default): 4,000 events
  // over 4 partitions stay well under it.
  const batch = SEND_MAX_EVENTS;
  const inFlight = 8;
  const started = now();
  let next = 0;
  const time = Date.now();
  const lane = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + batch);
      const messages: Message[] = [];
      for (let n = from; n < next; n++) messages.push(messageOf(benchEvent(n, runId, time)));
      await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return count / ((now() - started) / 1000);
}

async function groupStable(groupId: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.state === 'Stable' && groups[0].members.length > 0;
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

interface ConsumerPerf {
  mbPerSec: number;
  msgPerSec: number;
  fetchMbPerSec: number;
  fetchMsgPerSec: number;
  rebalanceMs: number;
}

/** Kafka's own consumer benchmark from the broker's jars, same topic, same N messages. */
function consumerPerformance(topic: string, messages: number, group: string): ConsumerPerf {
  const result = spawnSync(
    'bash',
    [
      join(ROOT, 'scripts/services/kafka-run-class.sh'),
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      KAFKA_BROKERS.join(','),
      '--topic',
      topic,
      '--messages',
      String(messages),
      '--group',
      group,
      '--timeout',
      '30000',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  const lines = result.stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  if (result.status !== 0 || header < 0 || !lines[header + 1]) {
    throw new Error(`ConsumerPerformance failed (${result.status}): ${result.stdout}\n${result.stderr}`);
  }
  const names = lines[header].split(',').map((s) => s.trim());
  const values = lines[header + 1].split(',').map((s) => s.trim());
  const get = (name: string) => Number(values[names.indexOf(name)]);
  return {
    mbPerSec: get('MB.sec'),
    msgPerSec: get('nMsg.sec'),
    fetchMbPerSec: get('fetch.MB.sec'),
    fetchMsgPerSec: get('fetch.nMsg.sec'),
    rebalanceMs: get('rebalance.time.ms'),
  };
}

// ------------------------------------------------------------------------------------ clickhouse

function clickhouse(database?: string): ClickHouseClient {
  return createClient({
    url: CLICKHOUSE_URL,
    database,
    request_timeout: 120_000,
    log: { level: ClickHouseLogLevel.OFF },
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
}

async function count(client: ClickHouseClient, query: string): Promise<number> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

async function dropDatabases(names: string[]): Promise<void> {
  const server = clickhouse();
  try {
    for (const name of names) await server.command({ query: `DROP DATABASE IF EXISTS ${name}` });
  } finally {
    await server.close();
  }
}

/** Plain bulk insert of the same rows into a fresh database with the same migrations; rows/s. */
async function rawInsert(database: string, runId: string, events: number, partitions: number, topic: string): Promise<number> {
  const server = clickhouse();
  await server.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await server.close();
  const client = clickhouse(database);
  try {
    await runMigrations(client, MIGRATIONS);
    const time = Date.now();
    const ingestedAt = Date.now();
    const batches: UsageEventRow[][] = [];
    for (let from = 0; from < events; from += RAW_BATCH) {
      const rows: UsageEventRow[] = [];
      for (let n = from; n < Math.min(events, from + RAW_BATCH); n++) {
        const position = { topic, partition: n % partitions, offset: String(Math.floor(n / partitions)) };
        rows.push(toUsageEventRow(benchEvent(n, runId, time), position, ingestedAt));
      }
      batches.push(rows);
    }
    const started = now();
    for (const rows of batches) await client.insert({ table: 'usage_events', values: rows, format: 'JSONEachRow' });
    const seconds = (now() - started) / 1000;
    const stored = await count(client, 'SELECT count() AS n FROM usage_events');
    if (stored !== events) throw new Error(`raw insert stored ${stored} rows, expected ${events}`);
    return events / seconds;
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------- worker

interface Worker {
  metricsUrl: string;
  child: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
}

let currentWorker: Worker | undefined;
let currentNames: Names | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** The sink's insert-duration histogram from the worker's /metrics, as "≤bucket: count" of the inserts so far. */
async function insertDurations(worker: Worker): Promise<string> {
  try {
    const text = await (await fetch(worker.metricsUrl)).text();
    const lines = text.split('\n').filter((l) => l.startsWith('spendguard_sink_flush_seconds'));
    const get = (suffix: string) => lines.find((l) => l.startsWith(`spendguard_sink_flush_seconds_${suffix}`))?.split(' ').pop();
    const buckets = lines
      .filter((l) => l.includes('_bucket'))
      .map((l) => `≤${/le="([^"]+)"/.exec(l)?.[1]}s: ${l.split(' ').pop()}`)
      .join(', ');
    return `${get('count')} inserts, ${Number(get('sum')).toFixed(1)} s in total (cumulative ${buckets})`;
  } catch (error) {
    return `metrics unavailable: ${(error as Error).message}`;
  }
}

function startWorker(names: Names, profileDir: string | undefined, httpPort: number): Worker {
  const logPath = join(tmpdir(), `spendguard-bench-${names.runId}-worker.log`);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: names.database,
    TOPIC_USAGE_EVENTS: names.topics.usage,
    TOPIC_USAGE_EVENTS_DLQ: names.topics.dlq,
    TOPIC_FINDINGS: names.topics.findings,
    TOPIC_KEY_STATUS: names.topics.keyStatus,
    TOPIC_CONTROL_COMMANDS: names.topics.control,
    TOPIC_PARTITIONS: String(options.partitions),
    SINK_GROUP_ID: names.group,
    WORKER_ROLES: 'sink',
    WORKER_HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'warn',
  };
  if (options.flushRows !== undefined) env.SINK_FLUSH_ROWS = String(options.flushRows);
  if (options.flushIntervalMs !== undefined) env.SINK_FLUSH_INTERVAL_MS = String(options.flushIntervalMs);
  const args = [WORKER_ENTRY];
  if (profileDir) {
    // --cpu-prof writes its file on a normal exit only; SIGUSR2 makes the worker exit normally.
    const preload = join(tmpdir(), 'spendguard-bench-exit-on-usr2.cjs');
    writeFileSync(preload, "process.on('SIGUSR2', () => process.exit(0));\n");
    args.unshift('--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--require', preload);
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  currentWorker = { metricsUrl: `http://127.0.0.1:${httpPort}/metrics`, child, logPath, exited };
  return currentWorker;
}

async function stopWorker(worker: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill(signal);
  const done = await Promise.race([worker.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!done) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  if (currentWorker === worker) currentWorker = undefined;
}

function assertAlive(worker: Worker): void {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
    throw new Error(`worker exited (${worker.child.exitCode ?? worker.child.signalCode}); log: ${worker.logPath}`);
  }
}

// ------------------------------------------------------------------------------------------- run

interface RunResult {
  run: number;
  produceEventsPerSec: number;
  pipelineSeconds: number;
  pipelineEventsPerSec: number;
  coldEventsPerSec: number;
  latencyProbes: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  latencyFromAckP50Ms: number;
  latencyFromAckP99Ms: number;
  latencySeriesMs: number[];
  kafka: ConsumerPerf;
  clickhouseRowsPerSec: number;
  ratio: number;
}

async function latencyPhase(producer: Producer, names: Names, client: ClickHouseClient, worker: Worker) {
  const total = Math.round(options.rate * options.latencySeconds);
  const sentAt = new Map<string, number>();
  const ackedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  let producing = true;
  const poller = (async () => {
    for (;;) {
      assertAlive(worker);
      const polledAt = Date.now();
      const result = await client.query({
        query: `SELECT event_id FROM usage_events WHERE account_id = '${PROBE_ACCOUNT}'`,
        format: 'JSONEachRow',
      });
      for (const { event_id } of await result.json<{ event_id: string }>()) {
        if (!seenAt.has(event_id)) seenAt.set(event_id, polledAt);
      }
      if (!producing && seenAt.size >= sentAt.size) return;
      await sleep(Math.max(0, 100 - (Date.now() - polledAt)));
    }
  })();
  const started = Date.now();
  let sent = 0;
  const pending: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * options.rate));
    if (due > sent) {
      const at = Date.now();
      const messages: Message[] = [];
      for (let i = sent; i < due; i++) {
        const probe = i % PROBE_EVERY === 0;
        const event = benchEvent(i, `${names.runId}-lat`, at, probe);
        if (probe) sentAt.set(event.id, at);
        messages.push(messageOf(event));
      }
      sent = due;
      for (let from = 0; from < messages.length; from += SEND_MAX_EVENTS) {
        const chunk = messages.slice(from, from + SEND_MAX_EVENTS);
        const probes = chunk.filter((m) => sentAt.has(String(m.key))).map((m) => String(m.key));
        const send = producer.send({ topic: names.topics.usage, acks: -1, compression: CompressionTypes.None, messages: chunk });
        send.then(
          () => probes.forEach((id) => ackedAt.set(id, Date.now())),
          () => undefined, // awaited below; not an unhandled rejection meanwhile
        );
        pending.push(send);
      }
      if (pending.length > 64) await Promise.all(pending.splice(0));
    }
    await sleep(10);
  }
  await Promise.all(pending);
  producing = false;
  await Promise.race([
    poller,
    sleep(60_000).then(() => {
      throw new Error(`latency probes not all visible after 60 s (${seenAt.size}/${sentAt.size})`);
    }),
  ]);
  const latencies = [...sentAt].map(([id, at]) => seenAt.get(id)! - at);
  const fromAck = [...sentAt.keys()].map((id) => seenAt.get(id)! - ackedAt.get(id)!);
  const ackDelays = [...sentAt].map(([id, at]) => ackedAt.get(id)! - at);
  return {
    fromAckP50: quantile(fromAck, 0.5),
    fromAckP99: quantile(fromAck, 0.99),
    ackP99: quantile(ackDelays, 0.99),
    probes: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
    // In send order, to tell a stall at one moment from a steady tail.
    series: latencies,
  };
}

async function runOnce(run: number, profileDir: string | undefined): Promise<RunResult> {
  const names = namesFor(run);
  const N = options.events;
  const client = clickhouse(names.database);
  // One producer per run: a producer that knew a deleted topic keeps failing its metadata refreshes.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  let worker: Worker | undefined;
  currentNames = names;
  try {
    await producer.connect();
    console.log(`\n[run ${run}] topic ${names.topics.usage} (${options.partitions} partitions), database ${names.database}`);
    await createTopic(names.topics.usage);
    const produceRate = await preProduce(producer, names.topics.usage, names.runId, N);
    console.log(`[run ${run}] pre-produced ${fmt(N)} events at ${fmt(produceRate)} events/s`);

    // Pipeline: start the worker on the filled topic, wait for all N rows.
    const spawned = now();
    worker = startWorker(names, profileDir, await freePort());
    let ready: number | undefined;
    let stored = 0;
    const deadline = Date.now() + Math.max(120_000, (N / 5_000) * 1000);
    while (stored < N) {
      assertAlive(worker);
      if (Date.now() > deadline) throw new Error(`only ${stored}/${N} rows after ${(Date.now() - deadline) / 1000} s; log ${worker.logPath}`);
      if (ready === undefined && (await groupStable(names.group).catch(() => false))) ready = now();
      stored = await count(client, 'SELECT count() AS n FROM usage_events').catch(() => 0);
      if (stored < N) await sleep(100);
    }
    const done = now();
    ready ??= spawned;
    const pipelineSeconds = (done - ready) / 1000;
    const pipelineEventsPerSec = N / pipelineSeconds;
    const coldEventsPerSec = N / ((done - spawned) / 1000);
    console.log(
      `[run ${run}] pipeline: ${fmt(N)} rows in ${pipelineSeconds.toFixed(2)} s after the group was stable ` +
        `(${((ready - spawned) / 1000).toFixed(2)} s start-up) → ${fmt(pipelineEventsPerSec)} events/s (cold ${fmt(coldEventsPerSec)})`,
    );

    console.log(`[run ${run}] sink inserts: ${await insertDurations(worker)}`);
    console.log(`[run ${run}] latency: ${fmt(options.rate)} events/s for ${options.latencySeconds} s`);
    const latency = await latencyPhase(producer, names, client, worker);
    const slow = latency.series.map((ms, i) => [i, ms]).filter(([, ms]) => ms > 2 * latency.p50 + 500).slice(0, 40);
    console.log(
      `[run ${run}] latency over ${latency.probes} probes: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms` +
        ` (from the producer's ack: p50 ${latency.fromAckP50} ms, p99 ${latency.fromAckP99} ms; ack itself p99 ${latency.ackP99} ms)` +
        (slow.length ? `; slow probes (index: ms, ${options.rate / PROBE_EVERY}/s): ${slow.map(([i, ms]) => `${i}: ${ms}`).join(', ')}` : ''),
    );
    console.log(`[run ${run}] sink inserts: ${await insertDurations(worker)}`);
    const totalExpected = N + Math.round(options.rate * options.latencySeconds);
    let totalStored = 0;
    for (const until = Date.now() + 60_000; totalStored < totalExpected && Date.now() < until; await sleep(200)) {
      totalStored = await count(client, 'SELECT uniqExact(event_id) AS n FROM usage_events');
    }
    if (totalStored !== totalExpected) throw new Error(`stored ${totalStored} distinct events, expected ${totalExpected}`);
    await stopWorker(worker, profileDir ? 'SIGUSR2' : 'SIGTERM');

    const kafkaPerf = consumerPerformance(names.topics.usage, N, `${names.group}.perf`);
    console.log(
      `[run ${run}] Kafka ConsumerPerformance: ${fmt(kafkaPerf.msgPerSec)} msg/s, ${kafkaPerf.mbPerSec.toFixed(1)} MB/s ` +
        `(fetch only: ${fmt(kafkaPerf.fetchMsgPerSec)} msg/s, ${kafkaPerf.fetchMbPerSec.toFixed(1)} MB/s)`,
    );
    const clickhouseRowsPerSec = await rawInsert(names.rawDatabase, names.runId, N, options.partitions, names.topics.usage);
    console.log(`[run ${run}] ClickHouse bulk JSONEachRow insert: ${fmt(clickhouseRowsPerSec)} rows/s`);
    const slower = Math.min(kafkaPerf.fetchMsgPerSec, clickhouseRowsPerSec);
    return {
      run,
      produceEventsPerSec: produceRate,
      pipelineSeconds,
      pipelineEventsPerSec,
      coldEventsPerSec,
      latencyProbes: latency.probes,
      latencyP50Ms: latency.p50,
      latencyP99Ms: latency.p99,
      latencyMaxMs: latency.max,
      latencyFromAckP50Ms: latency.fromAckP50,
      latencyFromAckP99Ms: latency.fromAckP99,
      latencySeriesMs: latency.series,
      kafka: kafkaPerf,
      clickhouseRowsPerSec,
      ratio: pipelineEventsPerSec / slower,
    };
  } finally {
    if (worker) await stopWorker(worker, 'SIGKILL').catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await client.close();
    if (!options.keep) await cleanUp(names);
    currentNames = undefined;
  }
}

async function cleanUp(names: Names): Promise<void> {
  await deleteTopics(Object.values(names.topics)).catch((e: Error) => console.error(`could not delete topics: ${e.message}`));
  await dropDatabases([names.database, names.rawDatabase]).catch((e: Error) => console.error(`could not drop databases: ${e.message}`));
}

// --------------------------------------------------------------------------------------- profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time per function and per package/area of the newest .cpuprofile in `dir`. */
function summariseProfile(dir: string): void {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!file) {
    console.log(`no .cpuprofile in ${dir}`);
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const area = (url: string, fn: string) => {
    if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1];
    const own = /dist\/((?:apps|libs)\/[^/]+\/src(?:\/[^/]+)?)/.exec(url);
    if (own) return own[1];
    return url.startsWith('node:') ? 'node internals' : url || '(native/builtin)';
  };
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  console.log(`\nCPU profile ${file} (${(total / 1e6).toFixed(1)} s sampled)\nself time by area:`);
  console.log(top(byArea, 15).join('\n'));
  console.log('self time by function:');
  console.log(top(byFunction, 25).join('\n'));
}

// ------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  ensureBuilt();
  const profileDir = options.cpuProf ? join(RESULTS_DIR, `profile-${Date.now()}`) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
  console.log(
    `throughput bench: ${fmt(options.events)} events × ${options.runs} runs, ${options.partitions} partitions, ` +
      `latency at ${fmt(options.rate)} events/s for ${options.latencySeconds} s` +
      (options.flushRows !== undefined ? `, SINK_FLUSH_ROWS=${options.flushRows}` : '') +
      (options.flushIntervalMs !== undefined ? `, SINK_FLUSH_INTERVAL_MS=${options.flushIntervalMs}` : ''),
  );
  const results: RunResult[] = [];
  for (let run = 1; run <= options.runs; run++) results.push(await runOnce(run, profileDir));
  const m = (f: (r: RunResult) => number) => median(results.map(f));
  const summary = {
    pipelineEventsPerSec: m((r) => r.pipelineEventsPerSec),
    coldEventsPerSec: m((r) => r.coldEventsPerSec),
    latencyP50Ms: m((r) => r.latencyP50Ms),
    latencyP99Ms: m((r) => r.latencyP99Ms),
    kafkaMsgPerSec: m((r) => r.kafka.msgPerSec),
    kafkaFetchMsgPerSec: m((r) => r.kafka.fetchMsgPerSec),
    kafkaFetchMbPerSec: m((r) => r.kafka.fetchMbPerSec),
    clickhouseRowsPerSec: m((r) => r.clickhouseRowsPerSec),
    ratio: m((r) => r.ratio),
  };
  console.log(`\nmedians over ${results.length} run(s) of ${fmt(options.events)} events:`);
  console.log(`| pipeline events/s (cold, from process start) | ${fmt(summary.pipelineEventsPerSec)} (${fmt(summary.coldEventsPerSec)}) |`);
  console.log(`| e2e latency p50 / p99 at ${fmt(options.rate)} events/s | ${fmt(summary.latencyP50Ms)} ms / ${fmt(summary.latencyP99Ms)} ms |`);
  console.log(
    `| Kafka ConsumerPerformance msg/s (fetch only) | ${fmt(summary.kafkaMsgPerSec)} (${fmt(summary.kafkaFetchMsgPerSec)}, ${summary.kafkaFetchMbPerSec.toFixed(1)} MB/s) |`,
  );
  console.log(`| ClickHouse bulk JSONEachRow rows/s | ${fmt(summary.clickhouseRowsPerSec)} |`);
  console.log(`| pipeline / slower raw limit | ${summary.ratio.toFixed(2)} |`);
  console.log(`goal ≥ 50,000 events/s: ${summary.pipelineEventsPerSec >= 50_000 ? 'met' : 'NOT met'}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, 'results.json');
  console.log(`load average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  writeFileSync(out, JSON.stringify({ options, summary, runs: results, node: process.version, loadavg: loadavg(), at: new Date().toISOString() }, null, 2));
  console.log(`results: ${out}`);
  if (profileDir) summariseProfile(profileDir);
}

async function abort(signal: NodeJS.Signals): Promise<void> {
  if (currentWorker) await stopWorker(currentWorker, 'SIGKILL').catch(() => undefined);
  if (currentNames && !options.keep) await cleanUp(currentNames);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.once('unhandledRejection', (error) => {
  console.error(error);
  void abort('SIGTERM');
});
process.once('SIGINT', (s) => void abort(s));
process.once('SIGTERM', (s) => void abort(s));
process.once('exit', () => currentWorker?.child.kill('SIGKILL'));

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exit(1);
  },
);
