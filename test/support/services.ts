/**
 * Where the integration tests find Kafka and ClickHouse, and small helpers around them.
 *
 * `global-setup.ts` resolves the endpoints once before any test runs (environment variables,
 * else the local services of `npm run services:up`, else testcontainers when a Docker engine
 * answers, else a clear error) and exports them as environment variables, which every test
 * worker inherits. Tests read them only through these functions.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Environment variables shared by global-setup.ts and the test workers. */
export const ENV = {
  kafkaBrokers: 'KAFKA_BROKERS',
  clickhouseUrl: 'CLICKHOUSE_URL',
  /** How ClickHouse can be stopped and started by a test: `local`, `docker:<id>` or `none`. */
  clickhouseControl: 'SPENDGUARD_CLICKHOUSE_CONTROL',
} as const;

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123';
export const REPO_ROOT = resolve(__dirname, '..', '..');

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(
      `${name} is not set: integration tests must run through jest's integration project ` +
        `(its globalSetup test/support/global-setup.ts finds the services), e.g. \`npm test\`.`,
    );
  }
  return value.trim();
}

/** Kafka bootstrap brokers, e.g. `['127.0.0.1:9092']`. */
export function kafkaBrokers(): string[] {
  return parseBrokers(requiredEnv(ENV.kafkaBrokers));
}

/** ClickHouse HTTP endpoint without a trailing slash, e.g. `http://127.0.0.1:8123`. */
export function clickhouseUrl(): string {
  return requiredEnv(ENV.clickhouseUrl).replace(/\/+$/, '');
}

export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/**
 * A name unique to this run, valid both as a Kafka topic and as a ClickHouse database or
 * table identifier: lower-case letters, digits and `_`, starting with a letter.
 * Example: `uniqueName('sink')` → `sink_m3k9x2_4f1a9c`.
 */
export function uniqueName(prefix: string): string {
  const cleaned = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^[^a-z]+/, '');
  const head = cleaned.length > 0 ? cleaned : 't';
  return `${head}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** `true` when `GET <url>/ping` answers `Ok.` within `timeoutMs`. */
export async function clickhouseAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && (await response.text()).trim() === 'Ok.';
  } catch {
    return false;
  }
}

/** Waits until ClickHouse answers its ping, polling every 100 ms; throws after `timeoutMs`. */
export async function waitForClickhouse(url = clickhouseUrl(), timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await clickhouseAnswers(url, 1000)) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`ClickHouse at ${url} did not answer /ping within ${timeoutMs} ms`);
}

async function controlClickhouse(action: 'stop' | 'start'): Promise<void> {
  const control = process.env[ENV.clickhouseControl] ?? 'none';
  if (control === 'local') {
    const script = resolve(REPO_ROOT, 'scripts', 'services', action === 'stop' ? 'down.sh' : 'up.sh');
    await execFileAsync('bash', [script, 'clickhouse'], { cwd: REPO_ROOT, timeout: 90_000 });
  } else if (control.startsWith('docker:')) {
    await execFileAsync('docker', [action, control.slice('docker:'.length)], { timeout: 90_000 });
  } else {
    throw new Error(
      `This ClickHouse (${clickhouseUrl()}) was not started by the test harness, so a test cannot ` +
        `stop and start it (${ENV.clickhouseControl}=${control}).`,
    );
  }
  if (action === 'start') await waitForClickhouse();
}

/**
 * Stops ClickHouse (data kept) so a test can watch the system cope with the outage.
 * Local services: `bash scripts/services/down.sh clickhouse` (about 2 s).
 */
export function stopClickhouse(): Promise<void> {
  return controlClickhouse('stop');
}

/**
 * Starts ClickHouse again after `stopClickhouse()` and resolves once it answers its ping.
 * Local services: `bash scripts/services/up.sh clickhouse` (well under 1 s).
 */
export function startClickhouse(): Promise<void> {
  return controlClickhouse('start');
}
