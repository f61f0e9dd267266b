import type { INestApplicationContext } from '@nestjs/common';
import type { Consumer, Producer } from 'kafkajs';
import type { Finding } from '@spendguard/contracts';
import { clickhouseFor, kafkaFor, queryRows, startWorker, testConfig, testEnv, usageEvent, waitFor } from '../support/spendguard';

const MINUTE = 60_000;
const HISTORY_MINUTES = 26 * 60;

/** Collects every message of the findings topic. */
async function watchFindings(topic: string, groupId: string): Promise<{ findings: Finding[]; consumer: Consumer }> {
  const findings: Finding[] = [];
  const consumer = kafkaFor().consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void findings.push(JSON.parse(String(message.value)) as Finding) });
  return { findings, consumer };
}

/** One normal request a minute for `minutes`, then nothing; events in event-time order. */
function history(runId: string, accountId: string, keyId: string, start: number, minutes: number) {
  return Array.from({ length: minutes }, (_, m) =>
    usageEvent(m, `${runId}-${keyId}-h`, { accountId, keyId, time: start + m * MINUTE + 7_000, costUsd: 0.02, model: 'gpt-4o-mini' }),
  );
}

/** `perMinute` USD spread over `count` requests within one minute starting at `start`. */
function burst(runId: string, accountId: string, keyId: string, start: number, count: number, perRequestUsd: number) {
  return Array.from({ length: count }, (_, i) =>
    usageEvent(i, `${runId}-${keyId}-b${start}`, { accountId, keyId, time: start + i * 1000, costUsd: perRequestUsd, model: 'gpt-4o-mini' }),
  );
}

async function produce(producer: Producer, topic: string, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await producer.send({
      topic,
      messages: events.slice(i, i + 1000).map((e) => ({ key: String(e.accountId), value: JSON.stringify(e) })),
    });
  }
}

const criticalFor = (findings: Finding[], keyId: string) => findings.filter((f) => f.keyId === keyId && f.severity === 'critical');

describe('detect role', () => {
  let producer: Producer;
  beforeEach(async () => {
    producer = kafkaFor().producer();
    await producer.connect();
  });
  afterEach(async () => producer.disconnect());

  it('keeps baselines across a restart: a spike only a known key can be judged by is critical after it', async () => {
    const env = testEnv({ WORKER_ROLES: 'detect', DETECT_SNAPSHOT_INTERVAL_MS: '200' });
    const config = testConfig(env);
    const runId = `keep${Date.now().toString(36)}`;
    const historyStart = Date.now() - (HISTORY_MINUTES + 30) * MINUTE;
    const liveStart = historyStart + (HISTORY_MINUTES + 1) * MINUTE;
    let worker: INestApplicationContext | undefined = await startWorker(config);
    const watcher = await watchFindings(config.TOPIC_FINDINGS, `${config.SINK_GROUP_ID}-watch1`);
    try {
      await produce(producer, config.TOPIC_USAGE_EVENTS, history(runId, 'acct-a', 'key-known', historyStart, HISTORY_MINUTES));
      // Nudge after the snapshot interval so the history's state is saved and committed.
      await new Promise((r) => setTimeout(r, 400));
      await produce(producer, config.TOPIC_USAGE_EVENTS, history(runId, 'acct-a', 'key-known', historyStart + HISTORY_MINUTES * MINUTE, 1));
      const clickhouse = clickhouseFor(config);
      await waitFor('detection state saved', async () => {
        const rows = await queryRows<{ n: string }>(clickhouse, 'SELECT count() AS n FROM detector_snapshots');
        return Number(rows[0].n) > 0;
      }).finally(() => clickhouse.close());
      await worker.close();
      worker = await startWorker(config);

      // $4 in a minute is 200x this key's usual $0.02, but under the $10 floor a brand-new key gets.
      await produce(producer, config.TOPIC_USAGE_EVENTS, [
        ...burst(runId, 'acct-a', 'key-known', liveStart, 40, 0.1),
        ...burst(runId, 'acct-a', 'key-new', liveStart, 40, 0.1),
      ]);
      await waitFor('a critical finding for the known key', () => criticalFor(watcher.findings, 'key-known').length > 0, 60_000);
      const finding = criticalFor(watcher.findings, 'key-known')[0];
      expect(finding).toMatchObject({ accountId: 'acct-a', keyId: 'key-known' });
      expect(finding.explanation.length).toBeGreaterThan(20);
      expect(criticalFor(watcher.findings, 'key-new')).toHaveLength(0);
    } finally {
      await worker?.close();
      await watcher.consumer.disconnect();
    }
  });

  it('does not publish a finding again when a restarted worker replays the events behind it', async () => {
    // No snapshot during the test: the restarted worker replays everything from the start.
    const env = testEnv({ WORKER_ROLES: 'detect', DETECT_SNAPSHOT_INTERVAL_MS: '3600000' });
    const config = testConfig(env);
    const runId = `once${Date.now().toString(36)}`;
    const start = Date.now() - 3 * 3600_000;
    let worker: INestApplicationContext | undefined = await startWorker(config);
    const watcher = await watchFindings(config.TOPIC_FINDINGS, `${config.SINK_GROUP_ID}-watch2`);
    try {
      await produce(producer, config.TOPIC_USAGE_EVENTS, [
        ...history(runId, 'acct-b', 'key-drained', start, 60),
        ...burst(runId, 'acct-b', 'key-drained', start + 61 * MINUTE, 50, 1.5),
      ]);
      await waitFor('the drain finding', () => criticalFor(watcher.findings, 'key-drained').length > 0, 60_000);
      await new Promise((r) => setTimeout(r, 1000));
      const before = watcher.findings.map((f) => f.id);
      await worker.close();

      worker = await startWorker(config);
      // A second drain in the same account (same partition) marks the end of the replay.
      await produce(producer, config.TOPIC_USAGE_EVENTS, burst(runId, 'acct-b', 'key-marker', start + 90 * MINUTE, 50, 1.5));
      expect(before.length).toBeGreaterThan(0);
      await waitFor('the marker finding', () => criticalFor(watcher.findings, 'key-marker').length > 0, 60_000);
      await new Promise((r) => setTimeout(r, 1000));
      // Everything about the events before the restart (the marker's own key and account findings come later).
      const markerStart = start + 90 * MINUTE;
      const after = watcher.findings.filter((f) => Date.parse(f.time) < markerStart).map((f) => f.id);
      expect(after).toEqual(before);
      expect(new Set(watcher.findings.map((f) => f.id)).size).toBe(watcher.findings.length);
    } finally {
      await worker?.close();
      await watcher.consumer.disconnect();
    }
  });
});
