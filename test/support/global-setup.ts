/**
 * Jest globalSetup of the `integration` project: makes sure a real Kafka and a real
 * ClickHouse answer before any integration test starts, and exports their endpoints as
 * KAFKA_BROKERS and CLICKHOUSE_URL (test workers inherit them; read them via services.ts).
 *
 * Each service is found in this order (DESIGN.md, "Running real services without Docker"):
 *   1. the environment variable, when set (it must answer: no fallback, no skip);
 *   2. the local service of `npm run services:up` (127.0.0.1:9092, http://127.0.0.1:8123);
 *   3. a testcontainers container, when a Docker engine answers (apache/kafka:4.1.1,
 *      clickhouse/clickhouse-server:25.8); global-teardown.ts stops it, and testcontainers'
 *      reaper removes it when this process exits anyway;
 *   4. otherwise it fails at once, saying how to start the services. Never a silent skip.
 */
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { StartedTestContainer } from 'testcontainers';
import {
  DEFAULT_CLICKHOUSE_URL,
  DEFAULT_KAFKA_BROKERS,
  ENV,
  REPO_ROOT,
  clickhouseAnswers,
  parseBrokers,
} from './services';

export const KAFKA_IMAGE = 'apache/kafka:4.1.1';
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';
const KAFKA_PROBE_TIMEOUT_MS = 10_000;
const CONTAINER_STARTUP_TIMEOUT_MS = 180_000;
const START_COMMAND = 'npm run services:up';

/** Containers started here, for global-teardown.ts (globalSetup and globalTeardown share globalThis). */
export const CONTAINERS_KEY = '__spendguardTestContainers';
type GlobalWithContainers = typeof globalThis & { [CONTAINERS_KEY]?: StartedTestContainer[] };

type Probe = { ok: true } | { ok: false; reason: string };

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Kafka answers when an admin client connects and lists topics. */
export async function probeKafka(brokers: string[]): Promise<Probe> {
  const kafka = new Kafka({
    clientId: 'spendguard-test-setup',
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await withTimeout(
      admin.connect().then(() => admin.listTopics()),
      KAFKA_PROBE_TIMEOUT_MS,
      'Kafka connect + listTopics',
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: describeError(error) };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function probeClickhouse(url: string): Promise<Probe> {
  return (await clickhouseAnswers(url, 3000))
    ? { ok: true }
    : { ok: false, reason: `GET ${url.replace(/\/+$/, '')}/ping did not answer "Ok."` };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** The Docker engine's host as seen from here, or the reason there is none. */
async function dockerHost(): Promise<{ ok: true; host: string } | { ok: false; reason: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await withTimeout(getContainerRuntimeClient(), 15_000, 'Docker engine lookup');
    return { ok: true, host: client.info.containerRuntime.host };
  } catch (error) {
    return { ok: false, reason: describeError(error) };
  }
}

function remember(container: StartedTestContainer): void {
  const store = globalThis as GlobalWithContainers;
  (store[CONTAINERS_KEY] ??= []).push(container);
}

async function startKafkaContainer(host: string): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  // Two listeners: EXTERNAL is advertised with the host's address and fixed mapped port,
  // BROKER serves the broker's own (inter-broker) traffic inside the container.
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'EXTERNAL://0.0.0.0:9092,BROKER://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093',
      KAFKA_ADVERTISED_LISTENERS: `EXTERNAL://${host}:${port},BROKER://localhost:9094`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'EXTERNAL:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_NUM_PARTITIONS: '4',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(CONTAINER_STARTUP_TIMEOUT_MS)
    .start();
  remember(container);
  return `${host}:${port}`;
}

async function startClickhouseContainer(host: string): Promise<{ url: string; id: string }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // A fixed host port, so `docker stop` + `docker start` (stopClickhouse/startClickhouse) keep the URL.
  const port = await freePort();
  const container = await new GenericContainer(CLICKHOUSE_IMAGE)
    .withExposedPorts({ container: 8123, host: port })
    // let the password-less `default` user connect from outside the container (tests only)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(Wait.forHttp('/ping', 8123).forStatusCode(200))
    .withStartupTimeout(CONTAINER_STARTUP_TIMEOUT_MS)
    .start();
  remember(container);
  return { url: `http://${host}:${port}`, id: container.getId() };
}

/** True when `url` is the ClickHouse that scripts/services/up.sh runs from this checkout. */
function localClickhouseIsOurs(url: string): boolean {
  const pidFile = resolve(REPO_ROOT, '.services', 'clickhouse', 'clickhouse.pid');
  if (!['127.0.0.1', 'localhost'].includes(new URL(url).hostname) || !existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const problems: string[] = [];
  let kafka: string | undefined;
  let clickhouse: string | undefined;
  let control = process.env[ENV.clickhouseControl];

  // 1. explicit environment variables must answer
  const givenKafka = process.env[ENV.kafkaBrokers]?.trim();
  if (givenKafka) {
    const probe = await probeKafka(parseBrokers(givenKafka));
    if (!probe.ok) problems.push(`${ENV.kafkaBrokers}=${givenKafka} does not answer: ${probe.reason}`);
    else kafka = givenKafka;
  }
  const givenClickhouse = process.env[ENV.clickhouseUrl]?.trim();
  if (givenClickhouse) {
    const probe = await probeClickhouse(givenClickhouse);
    if (!probe.ok) problems.push(`${ENV.clickhouseUrl}=${givenClickhouse} does not answer: ${probe.reason}`);
    else clickhouse = givenClickhouse;
  }
  if (problems.length > 0) {
    throw new Error(
      `Integration tests cannot reach the services they were pointed at:\n  - ${problems.join('\n  - ')}\n` +
        `Start the local ones with \`${START_COMMAND}\`, or fix/unset those variables.`,
    );
  }

  // 2. the local services of `npm run services:up`
  const missing: string[] = [];
  if (!kafka) {
    const probe = await probeKafka(parseBrokers(DEFAULT_KAFKA_BROKERS));
    if (probe.ok) kafka = DEFAULT_KAFKA_BROKERS;
    else missing.push(`Kafka at ${DEFAULT_KAFKA_BROKERS}: ${probe.reason}`);
  }
  if (!clickhouse) {
    const probe = await probeClickhouse(DEFAULT_CLICKHOUSE_URL);
    if (probe.ok) clickhouse = DEFAULT_CLICKHOUSE_URL;
    else missing.push(`ClickHouse at ${DEFAULT_CLICKHOUSE_URL}: ${probe.reason}`);
  }

  // 3. testcontainers when a Docker engine answers
  if (!kafka || !clickhouse) {
    const docker = await dockerHost();
    if (!docker.ok) {
      throw new Error(
        `Integration tests need a real Kafka and ClickHouse, and they are not running:\n` +
          `  - ${missing.join('\n  - ')}\n  - Docker (for testcontainers): ${docker.reason}\n` +
          `Start them without Docker with \`${START_COMMAND}\` (KAFKA_BROKERS=${DEFAULT_KAFKA_BROKERS} ` +
          `CLICKHOUSE_URL=${DEFAULT_CLICKHOUSE_URL}), then run the tests again; or set ${ENV.kafkaBrokers} ` +
          `and ${ENV.clickhouseUrl} to services you run elsewhere.`,
      );
    }
    if (!kafka) kafka = await startKafkaContainer(docker.host);
    if (!clickhouse) {
      const container = await startClickhouseContainer(docker.host);
      clickhouse = container.url;
      control ??= `docker:${container.id}`;
    }
    // containers must answer like any other endpoint
    const [kafkaProbe, clickhouseProbe] = await Promise.all([
      probeKafka(parseBrokers(kafka)),
      probeClickhouse(clickhouse),
    ]);
    if (!kafkaProbe.ok) throw new Error(`Kafka container at ${kafka} does not answer: ${kafkaProbe.reason}`);
    if (!clickhouseProbe.ok) throw new Error(`ClickHouse container at ${clickhouse} does not answer: ${clickhouseProbe.reason}`);
  }

  process.env[ENV.kafkaBrokers] = kafka;
  process.env[ENV.clickhouseUrl] = clickhouse;
  process.env[ENV.clickhouseControl] = control ?? (localClickhouseIsOurs(clickhouse) ? 'local' : 'none');
  console.log(
    `\n[integration] ${ENV.kafkaBrokers}=${kafka} ${ENV.clickhouseUrl}=${clickhouse} ` +
      `(checked in ${Date.now() - started} ms)`,
  );
}
