import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { AppConfig } from '@spendguard/config';
import { parseUsageEvent } from '@spendguard/contracts';
import { toUsageEventRow } from '@spendguard/clickhouse';
import type { EngineSnapshot } from '@spendguard/detectors';
import { clickhouseFor, kafkaFor, queryRows, startWorker, testConfig, testEnv, usageEvent, waitFor } from '../support/spendguard';

const MINUTE = 60_000;
const HISTORY_MINUTES = 2 * 24 * 60;
/** The newest history minutes are also still in Kafka: the replay re-reads them. */
const REPLAYED_MINUTES = 30;
const ACCOUNT = 'acct-seed';
const KEY = 'key-seed';

/** One $0.02 request a minute, 7 s into the minute. */
function history(runId: string, start: number, minutes: number, from = 0) {
  return Array.from({ length: minutes }, (_, i) =>
    usageEvent(from + i, `${runId}-h`, { accountId: ACCOUNT, keyId: KEY, time: start + (from + i) * MINUTE + 7_000, costUsd: 0.02, model: 'gpt-4o-mini' }),
  );
}

/** `count` requests of `usd` each, one a second from `start`. */
function spend(runId: string, keyId: string, start: number, count: number, usd: number) {
  return Array.from({ length: count }, (_, i) => usageEvent(i, `${runId}-${keyId}-${start}`, { accountId: ACCOUNT, keyId, time: start + i * 1000, costUsd: usd, model: 'gpt-4o-mini' }));
}

async function produce(producer: Producer, topic: string, events: Record<string, unknown>[]): Promise<void> {
  if (events.length === 0) return;
  await producer.send({ topic, messages: events.map((e) => ({ key: String(e.accountId), value: JSON.stringify(e) })) });
}

/** Writes events straight into usage_events, as the sink did long ago; the materialized view fills the rollups. */
async function storeHistory(clickhouse: ClickHouseClient, events: Record<string, unknown>[]): Promise<void> {
  const rows = events.map((e, offset) => {
    const parsed = parseUsageEvent(e);
    if (!parsed.ok) throw new Error(parsed.reason);
    return toUsageEventRow(parsed.event, { topic: 'retired-topic', partition: 0, offset: String(offset) }, Date.now());
  });
  await clickhouse.insert({ table: 'usage_events', values: rows, format: 'JSONEachRow' });
}

/** Total spend the detect role's last saved state learned for the key (undefined before any save). */
async function learnedSpend(clickhouse: ClickHouseClient, keyId: string): Promise<number | undefined> {
  const [row] = await queryRows<{ snapshot: string }>(clickhouse, 'SELECT snapshot FROM detector_snapshots ORDER BY saved_at_ms DESC LIMIT 1');
  if (!row) return undefined;
  const snapshot = JSON.parse(row.snapshot) as EngineSnapshot;
  return snapshot.accounts.find((a) => a.accountId === ACCOUNT)?.keys.find((k) => k.keyId === keyId)?.series.spendTotal;
}

async function criticalFindings(clickhouse: ClickHouseClient, keyId: string): Promise<{ detector: string; explanation: string }[]> {
  return queryRows(clickhouse, `SELECT detector, explanation FROM findings WHERE key_id = '${keyId}' AND severity = 'critical' ORDER BY time`);
}

interface Run {
  config: AppConfig;
  clickhouse: ClickHouseClient;
  worker: INestApplicationContext;
  runId: string;
}

/**
 * A detect role with a fresh group and no saved state, over a database holding two days of
 * the key's history of which only the last 30 minutes are still in Kafka.
 */
async function startFresh(producer: Producer, historyStart: number, overrides: Record<string, string>): Promise<Run> {
  const env = testEnv({ WORKER_ROLES: 'detect', DETECT_SNAPSHOT_INTERVAL_MS: '200', ...overrides });
  const config = testConfig({ ...env, DETECT_GROUP_ID: `${env.CLICKHOUSE_DATABASE}.detect` });
  const worker = await startWorker(config);
  const clickhouse = clickhouseFor(config);
  const runId = `${config.CLICKHOUSE_DATABASE}`;
  await storeHistory(clickhouse, history(runId, historyStart, HISTORY_MINUTES));
  await produce(producer, config.TOPIC_USAGE_EVENTS, history(runId, historyStart, REPLAYED_MINUTES, HISTORY_MINUTES - REPLAYED_MINUTES));
  return { config, clickhouse, worker, runId };
}

/** Produces `events`, then zero-cost events of another key of the account until a saved state shows the key at `expected`. */
async function produceAndWaitLearned(producer: Producer, run: Run, events: Record<string, unknown>[], expected: (spend: number | undefined) => boolean, nudgeAt: number) {
  await produce(producer, run.config.TOPIC_USAGE_EVENTS, events);
  let n = 0;
  await waitFor('the detect role to save the state after these events', async () => {
    if (expected(await learnedSpend(run.clickhouse, KEY))) return true;
    await new Promise((r) => setTimeout(r, 250));
    // State is saved at the end of a batch arriving after the snapshot interval.
    await produce(producer, run.config.TOPIC_USAGE_EVENTS, spend(`${run.runId}-nudge${n++}`, 'key-nudge', nudgeAt, 1, 0));
    return false;
  }, 60_000);
}

describe('detect role cold start', () => {
  let producer: Producer;
  let dir: string;
  beforeEach(async () => {
    producer = kafkaFor().producer();
    await producer.connect();
    dir = mkdtempSync(join(tmpdir(), 'seed-policy-'));
  });
  afterEach(async () => {
    await producer.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('learns the rollups before the replay once, so a spike only a known key can be judged by is critical', async () => {
    const historyStart = Math.floor(Date.now() / MINUTE) * MINUTE - (HISTORY_MINUTES + 60) * MINUTE;
    const liveStart = historyStart + (HISTORY_MINUTES + 5) * MINUTE;
    const historyUsd = HISTORY_MINUTES * 0.02;
    const replayedUsd = REPLAYED_MINUTES * 0.02;
    // $4 in a minute: 200x the key's usual $0.02, under the $10 floor of a key younger than a day.
    const burst = (runId: string) => spend(runId, KEY, liveStart, 40, 0.1);
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, '{}');

    const seeded = await startFresh(producer, historyStart, { DETECTION_POLICY_FILE: policyFile, DETECTION_POLICY_RELOAD_MS: '100' });
    const unseeded = await startFresh(producer, historyStart, { DETECT_SEED_LOOKBACK_HOURS: '0' });
    try {
      const near = (value: number) => (spend: number | undefined) => spend !== undefined && Math.abs(spend - value) < 1e-6;
      // Replay of the last 30 minutes done: seeded = all history exactly once (no replayed minute learned twice).
      await produceAndWaitLearned(producer, seeded, [], near(historyUsd), liveStart - MINUTE);
      await produceAndWaitLearned(producer, unseeded, [], near(replayedUsd), liveStart - MINUTE);

      await produceAndWaitLearned(producer, seeded, burst(seeded.runId), near(historyUsd + 4), liveStart + MINUTE);
      await produceAndWaitLearned(producer, unseeded, burst(unseeded.runId), near(replayedUsd + 4), liveStart + MINUTE);
      const seededCritical = await criticalFindings(seeded.clickhouse, KEY);
      expect(seededCritical.length).toBeGreaterThan(0);
      expect(seededCritical[0].explanation).toContain(KEY);
      expect(await criticalFindings(unseeded.clickhouse, KEY)).toEqual([]);

      // Live policy change: a $1 hourly cap on the account's keys, applied to the running engine.
      writeFileSync(`${policyFile}.tmp`, JSON.stringify({ accounts: { [ACCOUNT]: { keyCaps: { hourUsd: 1 } } } }));
      renameSync(`${policyFile}.tmp`, policyFile);
      await new Promise((r) => setTimeout(r, 1000));
      await produce(producer, seeded.config.TOPIC_USAGE_EVENTS, spend(seeded.runId, KEY, liveStart + 10 * MINUTE, 6, 0.25));
      await waitFor('a cap finding after the policy reload', async () => (await criticalFindings(seeded.clickhouse, KEY)).some((f) => f.detector === 'cap'), 30_000);
    } finally {
      for (const run of [seeded, unseeded]) {
        await run.worker.close();
        await run.clickhouse.close();
      }
    }
  });
});
