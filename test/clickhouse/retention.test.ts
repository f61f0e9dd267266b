import type { INestApplicationContext } from '@nestjs/common';
import { RetentionJob } from '@spendguard/clickhouse';
import { clickhouseFor, queryRows, startWorker, testConfig, testEnv } from '../support/spendguard';

const DAY = 86_400_000;

describe('retention', () => {
  it('drops day partitions older than RETENTION_DAYS and keeps the rest', async () => {
    const config = testConfig(testEnv({ WORKER_ROLES: 'sink', RETENTION_DAYS: '30' }));
    const worker: INestApplicationContext = await startWorker(config);
    const clickhouse = clickhouseFor(config);
    try {
      const now = Date.parse('2026-12-04T12:00:00Z');
      const ages = [0, 29, 31, 45];
      await clickhouse.insert({
        table: 'usage_events',
        format: 'JSONEachRow',
        values: ages.map((age) => ({
          event_id: `e-${age}`,
          time: new Date(now - age * DAY).toISOString().slice(0, 19).replace('T', ' '),
          account_id: 'a',
          key_id: 'k',
          cost_usd: 1,
        })),
      });
      const dropped = await worker.get(RetentionJob).run(now);
      expect(dropped.sort()).toEqual(['usage_events:20261020', 'usage_events:20261103', 'usage_minute_rollups:20261020', 'usage_minute_rollups:20261103']);
      const kept = await queryRows<{ event_id: string }>(clickhouse, 'SELECT event_id FROM usage_events ORDER BY event_id');
      expect(kept.map((r) => r.event_id)).toEqual(['e-0', 'e-29']);
    } finally {
      await clickhouse.close();
      await worker.close();
    }
  });
});
