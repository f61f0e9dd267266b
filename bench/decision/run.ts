/**
 * Latency of the decision endpoint (GET /v1/keys/{keyId}/status) under load, next to a
 * trivial endpoint (GET /healthz) of the same api process in the same run.
 *
 *   npx tsx bench/decision/run.ts [suspendedKeys=100000] [seconds=10] [concurrency=16] [--no-build]
 *
 * Starts the built api (`nest build api`, done here unless --no-build) as its own process
 * against the local Kafka and ClickHouse with topic and database names of its own, loads
 * `suspendedKeys` suspensions into its key-status topic first, waits until /readyz says
 * they are loaded, then runs a bounded closed-loop load (node http keep-alive agent,
 * `concurrency` requests in flight) against each endpoint and prints p50/p90/p99/p99.9.
 * Half of the decision requests ask about suspended keys, half about unknown keys.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';

const REPO = resolve(__dirname, '..', '..');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const SUSPENDED_KEYS = Number(args[0] ?? 100_000);
const SECONDS = Number(args[1] ?? 10);
const CONCURRENCY = Number(args[2] ?? 16);
const BUILD = !process.argv.includes('--no-build');
const WARMUP_SECONDS = 3;
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const GATEWAY_TOKEN = 'bench-gateway-token-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const run = `bench_decision_${Date.now().toString(36)}`;
const topics = { keyStatus: `${run}.key-status`, usage: `${run}.usage-events`, dlq: `${run}.usage-events-dlq`, findings: `${run}.findings`, commands: `${run}.control-commands` };

interface Stats {
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
    server.on('error', rej);
  });
}

async function loadSuspensions(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: topics.keyStatus, numPartitions: 4, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const changedAt = new Date().toISOString();
  for (let i = 0; i < SUSPENDED_KEYS; i += 10_000) {
    const messages = [];
    for (let k = i; k < Math.min(SUSPENDED_KEYS, i + 10_000); k++) {
      const keyId = `kf-suspended-${k}`;
      messages.push({
        key: keyId,
        value: JSON.stringify({ v: 1, keyId, accountId: `acct-${k % 1000}`, status: 'suspended', changedAt, changedBy: 'bench', reason: 'bench load', incidentId: `inc-${k}` }),
      });
    }
    await producer.send({ topic: topics.keyStatus, messages });
  }
  await producer.disconnect();
}

function get(agent: Agent, port: number, path: string, token?: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (response) => {
      response.resume();
      response.on('end', () => res(response.statusCode ?? 0));
    });
    req.on('error', rej);
    req.end();
  });
}

/** Closed loop: `concurrency` workers, each sends its next request when the previous answered. */
async function load(port: number, seconds: number, nextPath: (i: number) => string, token?: string): Promise<Stats> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (process.hrtime.bigint() < deadline) {
        const path = nextPath(counter++);
        const t0 = process.hrtime.bigint();
        const status = await get(agent, port, path, token).catch(() => 0);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (status !== 200) errors++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { requests: latencies.length, errors, seconds: elapsed, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: latencies[latencies.length - 1] };
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return line ? Math.round(Number(line.replace(/\D+/g, '')) / 1024) : NaN;
}

const fmt = (s: Stats) =>
  `${String(Math.round(s.requests / s.seconds)).padStart(7)} req/s  p50 ${s.p50.toFixed(2)} ms  p90 ${s.p90.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  p99.9 ${s.p999.toFixed(2)} ms  max ${s.max.toFixed(1)} ms  errors ${s.errors}`;

async function main(): Promise<void> {
  if (BUILD) {
    const build = spawnSync('npx', ['nest', 'build', 'api'], { cwd: REPO, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('nest build api failed');
  }
  const kafka = new Kafka({ clientId: 'bench-decision', brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  let api: ChildProcess | undefined;
  try {
    const t0 = Date.now();
    await loadSuspensions(kafka);
    console.log(`produced ${SUSPENDED_KEYS} suspensions to ${topics.keyStatus} in ${Date.now() - t0} ms`);

    const port = await freePort();
    const env = {
      ...process.env,
      KAFKA_BROKERS,
      CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: run,
      TOPIC_KEY_STATUS: topics.keyStatus,
      TOPIC_USAGE_EVENTS: topics.usage,
      TOPIC_USAGE_EVENTS_DLQ: topics.dlq,
      TOPIC_FINDINGS: topics.findings,
      TOPIC_CONTROL_COMMANDS: topics.commands,
      INGEST_TOKENS: `gw-bench:${GATEWAY_TOKEN}`,
      ADMIN_TOKENS: `bench:${ADMIN_TOKEN}`,
      API_PORT: String(port),
      LOG_LEVEL: 'warn',
    };
    const started = Date.now();
    api = spawn(process.execPath, [resolve(REPO, 'dist/apps/api/src/main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const pid = api.pid as number;
    for (;;) {
      const status = await get(new Agent(), port, '/readyz').catch(() => 0);
      if (status === 200) break;
      if (api.exitCode !== null) throw new Error(`api exited with ${api.exitCode}`);
      if (Date.now() - started > 120_000) throw new Error('api not ready after 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`api ready with ${SUSPENDED_KEYS} suspended keys loaded ${Date.now() - started} ms after spawn; rss ${rssMb(pid)} MB`);

    const decisionPath = (i: number) =>
      i % 2 === 0 ? `/v1/keys/kf-suspended-${(i * 7919) % SUSPENDED_KEYS}/status` : `/v1/keys/kf-unknown-${i}/status`;
    // Sanity: a suspended key is suspended.
    const check = await new Promise<string>((res, rej) => {
      request({ host: '127.0.0.1', port, path: '/v1/keys/kf-suspended-42/status', headers: { authorization: `Bearer ${GATEWAY_TOKEN}` } }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => res(body));
      })
        .on('error', rej)
        .end();
    });
    if (!check.includes('"suspended"')) throw new Error(`unexpected decision: ${check}`);

    await load(port, WARMUP_SECONDS, () => '/healthz');
    await load(port, WARMUP_SECONDS, decisionPath, GATEWAY_TOKEN);
    const baseline = await load(port, SECONDS, () => '/healthz');
    const decision = await load(port, SECONDS, decisionPath, GATEWAY_TOKEN);

    console.log(`\nnode ${process.version}, ${SUSPENDED_KEYS} suspended keys, concurrency ${CONCURRENCY}, ${SECONDS} s per endpoint (after ${WARMUP_SECONDS} s warm-up each)`);
    console.log(`GET /healthz                 ${fmt(baseline)}`);
    console.log(`GET /v1/keys/{keyId}/status  ${fmt(decision)}`);
    console.log(`decision / healthz: p50 ×${(decision.p50 / baseline.p50).toFixed(2)}, p99 ×${(decision.p99 / baseline.p99).toFixed(2)}, throughput ×${(decision.requests / decision.seconds / (baseline.requests / baseline.seconds)).toFixed(2)}`);
    console.log(`api rss after load: ${rssMb(pid)} MB`);
    console.log(`goal p99 < 5 ms: ${decision.p99 < 5 ? 'met' : 'NOT met'}`);
  } finally {
    if (api && api.exitCode === null) {
      const exited = new Promise((r) => api?.once('exit', r));
      api.kill('SIGTERM');
      await exited;
    }
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: Object.values(topics).filter((t) => existing.has(t)) }).catch(() => undefined);
    await admin.disconnect();
    const clickhouse = createClient({ url: CLICKHOUSE_URL });
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${run}` }).catch(() => undefined);
    await clickhouse.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
