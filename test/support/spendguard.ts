/**
 * Starts spendguard's own apps for integration tests, against the real services
 * found by global-setup.ts, each test with its own topics and database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, type AppConfig } from '@spendguard/config';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { clickhouseUrl, kafkaBrokers, REPO_ROOT, uniqueName } from './services';

export const GATEWAY_TOKEN = 'test-gateway-token-0123456789';
export const GATEWAY_ID = 'gw-test';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Environment of a spendguard instance isolated from other tests. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const name = uniqueName('sg');
  return {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    CLICKHOUSE_URL: clickhouseUrl(),
    CLICKHOUSE_DATABASE: name,
    TOPIC_USAGE_EVENTS: `${name}.usage-events`,
    TOPIC_USAGE_EVENTS_DLQ: `${name}.usage-events-dlq`,
    TOPIC_FINDINGS: `${name}.findings`,
    TOPIC_KEY_STATUS: `${name}.key-status`,
    TOPIC_CONTROL_COMMANDS: `${name}.control-commands`,
    SINK_GROUP_ID: `${name}.sink`,
    INGEST_TOKENS: `${GATEWAY_ID}:${GATEWAY_TOKEN}`,
    ADMIN_TOKENS: `tester:${ADMIN_TOKEN}`,
    API_PORT: '0',
    WORKER_HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    SINK_FLUSH_INTERVAL_MS: '200',
    SINK_RETRY_MAX_MS: '2000',
    ...overrides,
  };
}

export function testConfig(env: Record<string, string>): AppConfig {
  return loadConfig(env);
}

export async function startApi(config: AppConfig): Promise<{ app: INestApplication; url: string }> {
  const app = await createApiApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}

export async function startWorker(config: AppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forConfig(config), { logger: ['error', 'warn'] });
  await app.init();
  return app;
}

/** The built worker (`npm run build`) as its own process, for kill and restart tests. */
export function spawnWorker(env: Record<string, string>): ChildProcess & { output: string[] } {
  const entry = resolve(REPO_ROOT, 'dist/apps/worker/src/main.js');
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  child.stdout?.on('data', (d: Buffer) => child.output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => child.output.push(d.toString()));
  return child;
}

export function clickhouseFor(config: AppConfig): ClickHouseClient {
  // Tests poll before the app has created its database; those expected errors are not logged.
  return createClient({ url: config.CLICKHOUSE_URL, database: config.CLICKHOUSE_DATABASE, log: { level: ClickHouseLogLevel.OFF } });
}

export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

export function kafkaFor(): Kafka {
  return new Kafka({ clientId: 'spendguard-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

/** Polls `condition` every 100 ms until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

/** Sum of a consumer group's lag over a topic's partitions (0 = all consumed and committed). */
export async function consumerLag(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    let lag = 0;
    for (const end of ends) {
      const c = committed.partitions.find((p) => p.partition === end.partition);
      const at = c && Number(c.offset) >= 0 ? Number(c.offset) : 0;
      lag += Number(end.high) - at;
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export interface EventOptions {
  accountId?: string;
  keyId?: string;
  time?: number;
  costUsd?: number;
  model?: string;
}

/** A valid v1 usage event with a deterministic id. */
export function usageEvent(n: number, runId: string, options: EventOptions = {}): Record<string, unknown> {
  return {
    id: `${runId}-${n}`,
    time: options.time ?? Date.now(),
    accountId: options.accountId ?? `acct-${n % 7}`,
    keyId: options.keyId ?? `kf-${n % 23}`,
    model: options.model ?? (n % 3 === 0 ? 'gpt-4o' : 'claude-3-5-haiku'),
    provider: n % 3 === 0 ? 'openai' : 'anthropic',
    inputTokens: 100 + (n % 50),
    outputTokens: 20 + (n % 30),
    costUsd: options.costUsd ?? Math.round((0.001 + (n % 10) * 0.0007) * 1e6) / 1e6,
    status: n % 50 === 0 ? 429 : 200,
    latencyMs: 200 + (n % 400),
    ip: `198.51.100.${n % 250}`,
    country: 'US',
    userAgent: 'test-client/1.0',
    gatewayId: GATEWAY_ID,
  };
}

export async function postEvents(url: string, body: string, contentType = 'application/json', token = GATEWAY_TOKEN) {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface StoredTotals {
  distinct_ids: string;
  rows_final: string;
  cost: number;
  requests_rollup: string;
  cost_rollup: number;
  tokens_raw: string;
  tokens_rollup: string;
}

/** Raw (deduplicated) totals next to rollup totals. */
export async function storedTotals(client: ClickHouseClient): Promise<StoredTotals> {
  const [row] = await queryRows<StoredTotals>(
    client,
    `SELECT
      (SELECT uniqExact(event_id) FROM usage_events) AS distinct_ids,
      (SELECT count() FROM usage_events FINAL) AS rows_final,
      (SELECT sum(cost_usd) FROM usage_events FINAL) AS cost,
      (SELECT sum(input_tokens + output_tokens) FROM usage_events FINAL) AS tokens_raw,
      (SELECT sum(requests) FROM usage_minute_rollups) AS requests_rollup,
      (SELECT sum(cost_usd) FROM usage_minute_rollups) AS cost_rollup,
      (SELECT sum(input_tokens + output_tokens) FROM usage_minute_rollups) AS tokens_rollup`,
  );
  return row;
}
