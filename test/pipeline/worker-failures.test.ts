import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import type { AppConfig } from '@spendguard/config';
import { startClickhouse, stopClickhouse } from '../support/services';
import {
  clickhouseFor,
  consumerLag,
  kafkaFor,
  spawnWorker,
  storedTotals,
  testConfig,
  testEnv,
  usageEvent,
  waitFor,
} from '../support/spendguard';

/** Produces `count` events straight to Kafka in batches, `perSecond` at most. */
async function produceStream(producer: Producer, topic: string, runId: string, from: number, count: number, perSecond: number) {
  const batch = Math.max(1, Math.floor(perSecond / 10));
  for (let n = from; n < from + count; n += batch) {
    const started = Date.now();
    const messages = [];
    for (let i = n; i < Math.min(n + batch, from + count); i++) {
      const event = usageEvent(i, runId);
      messages.push({ key: String(event.accountId), value: JSON.stringify(event) });
    }
    await producer.send({ topic, messages, acks: -1 });
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('worker failures lose nothing', () => {
  let env: Record<string, string>;
  let config: AppConfig;
  let clickhouse: ClickHouseClient;
  let producer: Producer;

  beforeEach(async () => {
    env = testEnv({ WORKER_ROLES: 'sink', SINK_FLUSH_ROWS: '2000' });
    config = testConfig(env);
    clickhouse = clickhouseFor(config);
    producer = kafkaFor().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterEach(async () => {
    await producer.disconnect();
    await clickhouse.close();
  });

  it('a worker killed with SIGKILL mid-stream and restarted stores every event exactly once', async () => {
    const runId = `kill${Date.now().toString(36)}`;
    const total = 30_000;
    let worker = spawnWorker(env);
    await waitFor('the first rows', async () => Number((await storedTotals(clickhouse)).distinct_ids) > 0, 60_000).catch(() => undefined);
    const streaming = produceStream(producer, config.TOPIC_USAGE_EVENTS, runId, 0, total, 10_000);
    await waitFor('a part of the stream to be stored', async () => Number((await storedTotals(clickhouse)).distinct_ids) >= 5_000, 60_000);
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const atKill = Number((await storedTotals(clickhouse)).distinct_ids);
    expect(atKill).toBeLessThan(total);

    worker = spawnWorker(env);
    try {
      await streaming;
      await waitFor('every event after the restart', async () => Number((await storedTotals(clickhouse)).distinct_ids) >= total, 120_000);
      await waitFor('the sink to commit everything', async () => (await consumerLag(kafkaFor(), config.SINK_GROUP_ID, config.TOPIC_USAGE_EVENTS)) === 0, 60_000);
      const totals = await storedTotals(clickhouse);
      expect(Number(totals.distinct_ids)).toBe(total);
      expect(Number(totals.rows_final)).toBe(total);
      // Redelivered messages already stored before the kill were recognised, so rollups count each event once.
      expect(Number(totals.requests_rollup)).toBe(total);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  });

  it('with ClickHouse stopped for 20 s while events flow, every event arrives and the worker never exits', async () => {
    const runId = `outage${Date.now().toString(36)}`;
    const worker = spawnWorker(env);
    let exited = false;
    worker.once('exit', () => (exited = true));
    try {
      await produceStream(producer, config.TOPIC_USAGE_EVENTS, runId, 0, 2_000, 2_000);
      await waitFor('the first events', async () => Number((await storedTotals(clickhouse)).distinct_ids) >= 2_000, 60_000);

      await stopClickhouse();
      const outageStarted = Date.now();
      try {
        await produceStream(producer, config.TOPIC_USAGE_EVENTS, runId, 2_000, 20_000, 1_000);
        while (Date.now() - outageStarted < 20_000) await new Promise((r) => setTimeout(r, 200));
        expect(exited).toBe(false);
        expect(alive(worker.pid)).toBe(true);
        // Nothing was committed while ClickHouse was away.
        expect(await consumerLag(kafkaFor(), config.SINK_GROUP_ID, config.TOPIC_USAGE_EVENTS)).toBeGreaterThanOrEqual(20_000);
      } finally {
        await startClickhouse();
      }

      await waitFor('every event after ClickHouse returned', async () => Number((await storedTotals(clickhouse)).distinct_ids) >= 22_000, 120_000);
      await waitFor('the sink to commit everything', async () => (await consumerLag(kafkaFor(), config.SINK_GROUP_ID, config.TOPIC_USAGE_EVENTS)) === 0, 60_000);
      const totals = await storedTotals(clickhouse);
      expect(Number(totals.distinct_ids)).toBe(22_000);
      expect(Number(totals.requests_rollup)).toBe(22_000);
      expect(exited).toBe(false);
      expect(worker.output.join('')).toMatch(/ClickHouse insert failed attempt=\d+/);
    } finally {
      worker.kill('SIGTERM');
      if (!exited) await new Promise((r) => worker.once('exit', r));
    }
  });
});
