import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { literal, type SqlValue } from '@spendguard/clickhouse';
import { KeyStatusAuditRepository } from '@spendguard/clickhouse';
import { REPO_ROOT } from '../support/services';
import { clickhouseFor, queryRows, startApi, testConfig, testEnv } from '../support/spendguard';
import { insertIncident, insertUsage, type UsageRowSeed } from './control-plane-support';

const MINUTE = 60_000;

interface Recipe {
  title: string;
  sql: string;
}

/** `### n. Title` followed by a ```sql block. */
function parseCookbook(markdown: string): Recipe[] {
  const recipes: Recipe[] = [];
  const pattern = /^### (.+)\n[\s\S]*?```sql\n([\s\S]*?)```/gm;
  for (const match of markdown.matchAll(pattern)) recipes.push({ title: match[1].trim(), sql: match[2].trim() });
  return recipes;
}

/** Placeholders become literals through the one binder; an unknown placeholder fails the test. */
function bind(query: string, values: Record<string, SqlValue>): string {
  return query.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`unknown placeholder {${name}}`);
    return literal(values[name]);
  });
}

describe('docs/forensics.md cookbook runs on the real server', () => {
  const recipes = parseCookbook(readFileSync(resolve(REPO_ROOT, 'docs/forensics.md'), 'utf8'));
  let api: { app: INestApplication; url: string };
  let clickhouse: ClickHouseClient;
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = now - 30 * MINUTE;
  const values: Record<string, SqlValue> = {
    keyId: 'kf-drain',
    accountId: 'acct-d',
    incidentId: 'inc-drain',
    from: new Date(start),
    to: new Date(now + MINUTE),
  };
  const results = new Map<string, Record<string, unknown>[]>();

  beforeAll(async () => {
    const config = testConfig(testEnv());
    api = await startApi(config);
    clickhouse = clickhouseFor(config);
    const rows: UsageRowSeed[] = [];
    for (let t = start - 3 * 24 * 60 * MINUTE; t < start; t += 10 * MINUTE) {
      rows.push({ time: t, accountId: 'acct-d', keyId: 'kf-drain', model: 'gpt-4o-mini', costUsd: 0.02 });
      rows.push({ time: t, accountId: 'acct-q', keyId: 'kf-quiet', model: 'gpt-4o-mini', costUsd: 0.01, ip: '192.0.2.1' });
    }
    for (let i = 0; i < 200; i++) {
      rows.push({ time: start + i * 6000, accountId: 'acct-d', keyId: 'kf-drain', model: 'claude-3-opus', costUsd: 0.5, ip: '203.0.113.66', country: 'RU', userAgent: 'python-requests/2.31' });
    }
    rows.push({ time: start + 5 * MINUTE, accountId: 'acct-q', keyId: 'kf-quiet', model: 'gpt-4o-mini', costUsd: 0.01, ip: '192.0.2.1' });
    await insertUsage(clickhouse, rows);
    await insertIncident(clickhouse, {
      id: 'inc-drain',
      accountId: 'acct-d',
      keyId: 'kf-drain',
      openedAt: start + 45_000,
      transitions: [
        { at: start + 45_000, from: null, to: 'open', reason: 'finding-opened' },
        { at: start + 10 * MINUTE, from: 'open', to: 'acknowledged', reason: 'acknowledged', actor: 'admin:alice' },
      ],
      state: 'acknowledged',
    });
    await insertIncident(clickhouse, { id: 'inc-old', accountId: 'acct-q', openedAt: now - 5 * 24 * 60 * MINUTE, state: 'resolved', resolvedAt: now - 4 * 24 * 60 * MINUTE });
    const audit = new KeyStatusAuditRepository(clickhouse);
    await audit.record({ v: 1, keyId: 'kf-drain', accountId: 'acct-d', status: 'suspended', changedAt: new Date(start + 46_000).toISOString(), changedBy: 'policy:auto-suspend', reason: 'burst drain', incidentId: 'inc-drain' });
    await audit.record({ v: 1, keyId: 'kf-quiet', accountId: 'acct-q', status: 'suspended', changedAt: new Date(start - 60 * MINUTE).toISOString(), changedBy: 'admin:bob', reason: 'test' });
    await audit.record({ v: 1, keyId: 'kf-quiet', accountId: 'acct-q', status: 'active', changedAt: new Date(start - 30 * MINUTE).toISOString(), changedBy: 'admin:bob', reason: 'done' });
    await clickhouse.insert({
      table: 'webhook_attempts',
      format: 'JSONEachRow',
      values: [
        { endpoint_id: 'ops', message_id: 'msg_a', delivery_id: 'msg_a:ops', event_type: 'incident.opened', attempt: 1, at_ms: start + 50_000, status_code: 503, outcome: 'retry-scheduled', latency_ms: 20, error: 'HTTP 503' },
        { endpoint_id: 'ops', message_id: 'msg_a', delivery_id: 'msg_a:ops', event_type: 'incident.opened', attempt: 2, at_ms: start + 55_000, status_code: 200, outcome: 'delivered', latency_ms: 20, error: '' },
      ],
    });
    await clickhouse.insert({
      table: 'abuse_reports',
      format: 'JSONEachRow',
      values: [{ report_id: 'rpt_1', received_at_ms: start + 60_000, key_id: 'kf-drain', key_prefix: '', account_id: 'acct-d', description: 'seen on a forum', contact: '', reporter_ip: '127.0.0.1', incident_id: '', outcome: 'accepted' }],
    });
  });

  afterAll(async () => {
    await api?.app.close();
    await clickhouse?.close();
  });

  it('documents 8–13 recipes, each with a title and one SQL block', () => {
    expect(recipes.length).toBeGreaterThanOrEqual(8);
    expect(recipes.length).toBeLessThanOrEqual(13);
  });

  it('runs every recipe', async () => {
    for (const recipe of recipes) {
      try {
        results.set(recipe.title, await queryRows<Record<string, unknown>>(clickhouse, bind(recipe.sql, values)));
      } catch (error) {
        throw new Error(`recipe "${recipe.title}" failed: ${(error as Error).message}`);
      }
    }
    expect(results.size).toBe(recipes.length);
  });

  function rowsOf(prefix: string): Record<string, unknown>[] {
    const entry = [...results.entries()].find(([title]) => title.startsWith(prefix));
    if (!entry) throw new Error(`no recipe titled ${prefix}…`);
    return entry[1];
  }

  it('returns the expected rows', () => {
    const perMinute = rowsOf('1.');
    expect(perMinute).toHaveLength(20);
    expect(Number(perMinute[1].cost_usd)).toBeCloseTo(5, 6);

    const top = rowsOf('2.');
    // $100 of drain plus two usual $0.02 requests in the half hour before it.
    expect(Number(top[0].last_hour_usd)).toBeCloseTo(100.04, 4);
    expect(top.map((r) => r.key_id)).toEqual(['kf-drain', 'kf-quiet']);

    expect(rowsOf('3.').map((r) => [r.model, r.window_usd])).toEqual([
      ['claude-3-opus', 100],
      ['gpt-4o-mini', 0],
    ]);
    expect(rowsOf('4.').map((r) => r.model)).toEqual(['claude-3-opus']);
    expect(rowsOf('5.').map((r) => [r.ip, r.country, r.requests])).toEqual([['203.0.113.66', 'RU', '200']]);
    expect(rowsOf('6.').map((r) => r.country)).toEqual(['RU']);
    expect(rowsOf('7.').map((r) => [r.user_agent, r.window_requests, r.prior_7d_requests])).toEqual([
      ['python-requests/2.31', '200', '0'],
      ['acme-app/2.1', '0', '432'],
    ]);
    expect(rowsOf('8.')[0]).toMatchObject({ requests: '200', cost_usd: 100 });
    expect(rowsOf('9.').map((r) => [r.to_state, r.actor])).toEqual([
      ['open', ''],
      ['acknowledged', 'admin:alice'],
    ]);
    expect(rowsOf('10.').map((r) => [r.incident_id, r.current_state])).toEqual([['inc-drain', 'acknowledged']]);
    expect(rowsOf('11.').map((r) => [r.key_id, r.why, r.incident])).toEqual([['kf-drain', 'burst drain', 'inc-drain']]);
    expect(rowsOf('12.').map((r) => [r.attempt, r.status_code, r.outcome])).toEqual([[1, 503, 'retry-scheduled']]);
    expect(rowsOf('13.').map((r) => [r.kind, r.ref])).toEqual([['report', 'rpt_1']]);
  });
});
