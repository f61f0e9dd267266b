import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { ADMIN_TOKEN, clickhouseFor, postEvents, queryRows, startApi, startWorker, testConfig, testEnv, usageEvent, waitFor } from '../support/spendguard';

const ACCOUNT = 'acct-api-policy';

async function findingsOf(clickhouse: ClickHouseClient, keyId: string): Promise<{ detector: string; severity: string; explanation: string }[]> {
  return queryRows(clickhouse, `SELECT detector, severity, explanation FROM findings WHERE key_id = '${keyId}' ORDER BY time`);
}

/** `count` requests of `usd` each for `keyId`, one a second from `start`, through the ingest API. */
async function spend(url: string, runId: string, keyId: string, start: number, count: number, usd: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => usageEvent(i, `${runId}-${keyId}`, { accountId: ACCOUNT, keyId, time: start + i * 1000, costUsd: usd, model: 'gpt-4o-mini' }));
  const response = await postEvents(url, JSON.stringify(events));
  expect(response.status).toBe(202);
}

describe('detection policy set through the API', () => {
  let api: { app: INestApplication; url: string };
  let worker: INestApplicationContext;
  let clickhouse: ClickHouseClient;
  let runId: string;

  beforeAll(async () => {
    const env = testEnv({ WORKER_ROLES: 'sink,detect', DETECTION_POLICY_RELOAD_MS: '200' });
    const config = testConfig({ ...env, DETECT_GROUP_ID: `${env.CLICKHOUSE_DATABASE}.detect` });
    api = await startApi(config);
    worker = await startWorker(config);
    clickhouse = clickhouseFor(config);
    runId = config.CLICKHOUSE_DATABASE;
  });
  afterAll(async () => {
    await worker?.close();
    await api?.app.close();
    await clickhouse?.close();
  });

  it('PUT /v1/accounts/{id}/policy with a detection section reaches the running detect role: a key cap set at run time pages', async () => {
    const start = Date.now() - 120_000;
    const put = await fetch(`${api.url}/v1/accounts/${ACCOUNT}/policy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ detection: { keyCaps: { hourUsd: 1 } } }),
    });
    expect(put.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000)); // a few polls of DETECTION_POLICY_RELOAD_MS

    // No cap by default: only the account policy can make these page. $0.75 stays under the $1 cap, $1.50 goes over.
    await spend(api.url, runId, 'key-under', start, 3, 0.25);
    await spend(api.url, runId, 'key-after', start + 60_000, 6, 0.25);
    await waitFor('a cap finding for the key spending after the policy change', async () => (await findingsOf(clickhouse, 'key-after')).some((f) => f.detector === 'cap'), 30_000);
    const cap = (await findingsOf(clickhouse, 'key-after')).find((f) => f.detector === 'cap');
    expect(cap).toMatchObject({ severity: 'critical' });
    expect(cap?.explanation).toContain('over its hourly cap of $1.00');
    expect((await findingsOf(clickhouse, 'key-under')).filter((f) => f.detector === 'cap')).toEqual([]);
  });
});
