import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '@spendguard/config';
import {
  clickhouseFor,
  consumerLag,
  kafkaFor,
  postEvents,
  startApi,
  startWorker,
  storedTotals,
  testConfig,
  testEnv,
  usageEvent,
  waitFor,
} from '../support/spendguard';

const TOTAL = 20_000;
// Each request is larger than the broker's 1 MiB record-batch limit, so the api must split its sends.
const PER_REQUEST = 5_000;

describe('gateway → API → Kafka → sink → ClickHouse', () => {
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let worker: INestApplicationContext;
  let clickhouse: ClickHouseClient;
  const runId = `run${Date.now().toString(36)}`;
  const events = Array.from({ length: TOTAL }, (_, n) => usageEvent(n, runId));

  beforeAll(async () => {
    config = testConfig(testEnv({ WORKER_ROLES: 'sink' }));
    api = await startApi(config);
    worker = await startWorker(config);
    clickhouse = clickhouseFor(config);
  });

  afterAll(async () => {
    await api?.app.close();
    await worker?.close();
    await clickhouse?.close();
  });

  async function postAll(): Promise<void> {
    for (let i = 0; i < TOTAL; i += PER_REQUEST) {
      const chunk = events.slice(i, i + PER_REQUEST);
      // Alternate the three accepted body forms.
      const form = (i / PER_REQUEST) % 2 === 0 ? 'array' : 'ndjson';
      const response =
        form === 'array'
          ? await postEvents(api.url, JSON.stringify(chunk))
          : await postEvents(api.url, chunk.map((e) => JSON.stringify(e)).join('\n'), 'application/x-ndjson');
      expect(response.status).toBe(202);
      expect(response.body.accepted).toBe(chunk.length);
    }
  }

  async function sinkCaughtUp(): Promise<boolean> {
    return (await consumerLag(kafkaFor(), config.SINK_GROUP_ID, config.TOPIC_USAGE_EVENTS)) === 0;
  }

  it('stores exactly 20,000 distinct events, and rollups equal raw totals', async () => {
    await postAll();
    await waitFor('20,000 events in ClickHouse', async () => Number((await storedTotals(clickhouse)).distinct_ids) >= TOTAL, 120_000);
    await waitFor('the sink to commit everything', sinkCaughtUp, 60_000);
    const totals = await storedTotals(clickhouse);
    expect(Number(totals.distinct_ids)).toBe(TOTAL);
    expect(Number(totals.rows_final)).toBe(TOTAL);
    expect(Number(totals.requests_rollup)).toBe(TOTAL);
    expect(totals.tokens_rollup).toBe(totals.tokens_raw);
    const expectedCost = events.reduce((sum, e) => sum + (e.costUsd as number), 0);
    expect(totals.cost).toBeCloseTo(expectedCost, 6);
    expect(totals.cost_rollup).toBeCloseTo(expectedCost, 6);
  });

  it('sending the same 20,000 again changes nothing', async () => {
    await postAll();
    await waitFor('the sink to consume the resend', sinkCaughtUp, 120_000);
    const totals = await storedTotals(clickhouse);
    expect(Number(totals.distinct_ids)).toBe(TOTAL);
    expect(Number(totals.rows_final)).toBe(TOTAL);
    expect(Number(totals.requests_rollup)).toBe(TOTAL);
    expect(totals.tokens_rollup).toBe(totals.tokens_raw);
  });

  it('accepts a CloudEvents 1.0 envelope', async () => {
    const data = usageEvent(0, `${runId}-ce`);
    const response = await postEvents(
      api.url,
      JSON.stringify({ specversion: '1.0', id: 'ce-1', source: '/gateway/test', type: 'dev.spendguard.usage.v1', data }),
      'application/cloudevents+json',
    );
    expect(response.status).toBe(202);
    await waitFor('the CloudEvent in ClickHouse', async () => {
      const result = await clickhouse.query({ query: `SELECT count() AS n FROM usage_events WHERE event_id = '${String(data.id)}'`, format: 'JSONEachRow' });
      const [row] = await result.json<{ n: string }>();
      return Number(row.n) === 1;
    });
  });
});
