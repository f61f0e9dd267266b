import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer } from 'kafkajs';
import type { AppConfig } from '@spendguard/config';
import {
  clickhouseFor,
  GATEWAY_ID,
  kafkaFor,
  postEvents,
  queryRows,
  startApi,
  startWorker,
  testConfig,
  testEnv,
  usageEvent,
  waitFor,
} from '../support/spendguard';

const runId = `bad${Date.now().toString(36)}`;
const valid = (n: number, overrides: Record<string, unknown> = {}) => ({ ...usageEvent(n, runId), ...overrides });
const RAW_SECRET = 'sk-proj-' + 'Ab3dEf6hIj9kLm2nOp5qRs8t'.repeat(2);

/** Events that must be refused, each with the reason they must be refused for. */
const BAD_EVENTS: { name: string; event: Record<string, unknown>; reason: RegExp }[] = [
  { name: 'wrong type', event: valid(1, { inputTokens: '12' }), reason: /^inputTokens: must be a number$/ },
  { name: 'negative cost', event: valid(2, { costUsd: -0.5 }), reason: /^costUsd: must be ≥ 0$/ },
  { name: 'oversized string', event: valid(3, { model: 'm'.repeat(500) }), reason: /^model: must be at most 128 characters$/ },
  { name: 'raw secret key', event: valid(4, { userAgent: `client ${RAW_SECRET}` }), reason: /^userAgent: looks like a raw secret key/ },
  { name: 'unknown version', event: valid(5, { v: 2 }), reason: /^v: unknown version: only v1 is supported$/ },
  { name: 'missing field', event: (({ accountId: _a, ...rest }) => rest)(valid(6)), reason: /^accountId: is required$/ },
  { name: 'time far in the past', event: valid(7, { time: '2001-01-01T00:00:00Z' }), reason: /^time: is more than \d+s in the past$/ },
];

describe('bad input', () => {
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let worker: INestApplicationContext;
  let clickhouse: ClickHouseClient;

  beforeAll(async () => {
    config = testConfig(testEnv({ WORKER_ROLES: 'sink', INGEST_MAX_BODY_BYTES: '65536' }));
    api = await startApi(config);
    worker = await startWorker(config);
    clickhouse = clickhouseFor(config);
  });

  afterAll(async () => {
    await api?.app.close();
    await worker?.close();
    await clickhouse?.close();
  });

  it.each(BAD_EVENTS)('the API refuses an event with $name, saying why', async ({ event, reason }) => {
    const response = await postEvents(api.url, JSON.stringify(event));
    expect(response.status).toBe(400);
    const results = response.body.results as { status: string; reason: string }[];
    expect(results).toHaveLength(1);
    expect(results[0].status).toBe('rejected');
    expect(results[0].reason).toMatch(reason);
    expect(JSON.stringify(response.body)).not.toContain(RAW_SECRET);
  });

  it('refuses malformed JSON', async () => {
    const response = await postEvents(api.url, '{"id": "x", ');
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^malformed JSON/);
  });

  it('refuses an oversized body with 413', async () => {
    const many = Array.from({ length: 400 }, (_, n) => valid(1000 + n));
    const response = await postEvents(api.url, JSON.stringify(many));
    expect(response.status).toBe(413);
    expect(response.body.message).toMatch(/exceeds the limit of 65536 bytes/);
  });

  it('refuses a missing or wrong token with 401', async () => {
    const missing = await postEvents(api.url, JSON.stringify(valid(8)), 'application/json', '');
    expect(missing.status).toBe(401);
    expect(missing.body.message).toMatch(/^missing bearer token/);
    const wrong = await postEvents(api.url, JSON.stringify(valid(8)), 'application/json', 'not-the-token-000000000');
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('invalid gateway token');
  });

  it("refuses an event for another gateway than the token's", async () => {
    const response = await postEvents(api.url, JSON.stringify(valid(9, { gatewayId: 'gw-other' })));
    expect(response.status).toBe(400);
    expect((response.body.results as { reason: string }[])[0].reason).toMatch(/does not match this token's gateway "gw-test"/);
  });

  it('accepts the good events of a mixed NDJSON body with 207 and stores none of the bad', async () => {
    const marker = valid(100);
    const lines = [JSON.stringify(marker), 'not json', ...BAD_EVENTS.map((b) => JSON.stringify(b.event))];
    const response = await postEvents(api.url, lines.join('\n'), 'application/x-ndjson');
    expect(response.status).toBe(207);
    expect(response.body).toMatchObject({ accepted: 1, rejected: 1 + BAD_EVENTS.length });
    await waitFor('the good event to be stored', async () => {
      const rows = await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM usage_events WHERE event_id = '${String(marker.id)}'`);
      return Number(rows[0].n) === 1;
    });
    const stored = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM usage_events');
    expect(Number(stored[0].n)).toBe(1);
  });

  it('sends the same bad events produced straight to Kafka to the DLQ, with reasons, and keeps the partition moving', async () => {
    const kafka = kafkaFor();
    const producer = kafka.producer();
    await producer.connect();
    const after = valid(200);
    const messages = [
      { key: 'acct-x', value: '{"id": "broken' },
      ...BAD_EVENTS.map((b) => ({ key: 'acct-x', value: JSON.stringify(b.event) })),
      { key: 'acct-x', value: JSON.stringify(after) },
    ];
    await producer.send({ topic: config.TOPIC_USAGE_EVENTS, messages });
    await producer.disconnect();

    const reasons: string[] = [];
    const consumer: Consumer = kafka.consumer({ groupId: `${config.SINK_GROUP_ID}-dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: config.TOPIC_USAGE_EVENTS_DLQ, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        reasons.push(String(message.headers?.['sg-dlq-reason']));
      },
    });
    try {
      await waitFor('all bad messages in the DLQ', () => reasons.length >= messages.length - 1, 60_000);
    } finally {
      await consumer.disconnect();
    }
    expect(reasons).toHaveLength(messages.length - 1);
    expect(reasons[0]).toMatch(/^malformed JSON/);
    BAD_EVENTS.forEach((bad, i) => expect(reasons[i + 1]).toMatch(bad.reason));
    expect(reasons.join('\n')).not.toContain(RAW_SECRET);
    // The valid event behind the bad ones still arrives: the partition keeps moving.
    await waitFor('the event after the bad ones', async () => {
      const rows = await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM usage_events WHERE event_id = '${String(after.id)}'`);
      return Number(rows[0].n) === 1;
    });
    expect(GATEWAY_ID).toBe(after.gatewayId);
  });
});

describe('ingest rate limit', () => {
  it('answers 429 with a reason once a gateway exceeds INGEST_REQUESTS_PER_SECOND', async () => {
    const config = testConfig(testEnv({ WORKER_ROLES: 'sink', INGEST_REQUESTS_PER_SECOND: '3' }));
    const api = await startApi(config);
    try {
      const statuses: number[] = [];
      let lastBody: Record<string, unknown> = {};
      for (let i = 0; i < 6; i++) {
        const response = await postEvents(api.url, JSON.stringify(valid(300 + i)));
        statuses.push(response.status);
        lastBody = response.body;
      }
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(3);
      expect(statuses).toContain(429);
      expect(lastBody.message).toMatch(/too many ingest requests from this gateway; at most 3 per second/);
    } finally {
      await api.app.close();
    }
  });
});
