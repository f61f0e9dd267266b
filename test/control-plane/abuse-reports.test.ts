import type { INestApplication } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '@spendguard/config';
import type { ReportLeakedKeyCommand } from '@spendguard/contracts/control-command';
import { clickhouseFor, queryRows, startApi, testConfig, testEnv, waitFor } from '../support/spendguard';
import { TopicReader, call, insertUsage } from './control-plane-support';

const REPORTS_PER_MINUTE = 12;
const RAW_SECRET = `sk-or-v1-${'a1b2c3d4'.repeat(6)}`;

interface ReportRow {
  report_id: string;
  key_id: string;
  key_prefix: string;
  account_id: string;
  description: string;
  contact: string;
  outcome: string;
}

describe('POST /v1/reports', () => {
  let config: AppConfig;
  let api: { app: INestApplication; url: string };
  let clickhouse: ClickHouseClient;
  let commands: TopicReader;
  let sent = 0;

  beforeAll(async () => {
    config = testConfig(testEnv({ REPORTS_PER_MINUTE: String(REPORTS_PER_MINUTE) }));
    api = await startApi(config);
    clickhouse = clickhouseFor(config);
    commands = new TopicReader(config.TOPIC_CONTROL_COMMANDS);
    await commands.start();
    const now = Date.now();
    await insertUsage(clickhouse, [
      { time: now - 60_000, accountId: 'acct-r', keyId: 'kf-reported', model: 'gpt-4o', costUsd: 0.01, keyPrefix: 'sk-or-…a1b2' },
      { time: now - 60_000, accountId: 'acct-x', keyId: 'kf-twin-1', model: 'gpt-4o', costUsd: 0.01, keyPrefix: 'sk-or-…dup9' },
      { time: now - 60_000, accountId: 'acct-y', keyId: 'kf-twin-2', model: 'gpt-4o', costUsd: 0.01, keyPrefix: 'sk-or-…dup9' },
    ]);
  });

  afterAll(async () => {
    await commands?.stop();
    await api?.app.close();
    await clickhouse?.close();
  });

  async function report(body: unknown) {
    sent++;
    return call<{ reportId: string; status: string; redacted: number; errors?: string[]; message?: string }>(api.url, 'POST', '/v1/reports', { token: null, body });
  }

  async function storedReport(reportId: string): Promise<ReportRow> {
    let row: ReportRow | undefined;
    await waitFor(`report ${reportId} stored`, async () => {
      [row] = await queryRows<ReportRow>(clickhouse, `SELECT * FROM abuse_reports WHERE report_id = '${reportId}'`);
      return row !== undefined;
    }, 10_000);
    return row as ReportRow;
  }

  it('stores a report by fingerprint and asks the worker to open an incident', async () => {
    const res = await report({ keyId: 'kf-reported', description: 'Found this key in a public gist', contact: 'sec@example.org' });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    expect(res.body.reportId).toMatch(/^rpt_/);
    const row = await storedReport(res.body.reportId);
    expect(row).toMatchObject({ key_id: 'kf-reported', account_id: 'acct-r', outcome: 'accepted', contact: 'sec@example.org' });
    const command = await commands.waitForValue<ReportLeakedKeyCommand>('report.leaked-key command', (c) => c.type === 'report.leaked-key' && c.reportId === res.body.reportId);
    expect(command).toMatchObject({ v: 1, accountId: 'acct-r', keyId: 'kf-reported', actor: `report:${res.body.reportId}` });
    expect(commands.messages.find((m) => m.value?.toString().includes(res.body.reportId))?.key?.toString()).toBe('acct-r');
  });

  it('resolves a display prefix; an ambiguous prefix or an unknown key is stored without a command', async () => {
    const byPrefix = await report({ keyPrefix: 'sk-or-…a1b2', description: 'drained overnight' });
    expect(byPrefix.body.status).toBe('accepted');
    expect(await storedReport(byPrefix.body.reportId)).toMatchObject({ key_id: 'kf-reported', account_id: 'acct-r' });

    const ambiguous = await report({ keyPrefix: 'sk-or-…dup9', description: 'seen on pastebin' });
    expect(ambiguous).toMatchObject({ status: 202, body: { status: 'ambiguous-key' } });
    const unknown = await report({ keyId: 'kf-nobody-knows', description: 'random key' });
    expect(unknown).toMatchObject({ status: 202, body: { status: 'unknown-key' } });
    expect(await storedReport(unknown.body.reportId)).toMatchObject({ key_id: 'kf-nobody-knows', account_id: '', outcome: 'unknown-key' });
    await commands.waitForValue('the prefix report command', (c: ReportLeakedKeyCommand) => c.reportId === byPrefix.body.reportId);
    expect(commands.values<ReportLeakedKeyCommand>().filter((c) => c.reportId === ambiguous.body.reportId || c.reportId === unknown.body.reportId)).toHaveLength(0);
  });

  it('never stores a raw key: refused in key fields, redacted in free text', async () => {
    const inKey = await report({ keyPrefix: RAW_SECRET, description: 'here is the key' });
    expect(inKey.status).toBe(400);
    expect(JSON.stringify(inKey.body)).not.toContain(RAW_SECRET);
    expect(inKey.body.message).toMatch(/fingerprint|prefix/);

    const inText = await report({ keyId: 'kf-reported', description: `leaked: ${RAW_SECRET} in repo foo/bar`, contact: `Bearer ${'x'.repeat(30)}` });
    expect(inText.status).toBe(202);
    expect(inText.body.redacted).toBe(2);
    const row = await storedReport(inText.body.reportId);
    expect(row.description).toContain('[redacted: ');
    expect(row.description).not.toContain(RAW_SECRET);
    expect(row.contact).not.toContain('x'.repeat(30));
    const command = await commands.waitForValue<ReportLeakedKeyCommand>('the redacted report command', (c) => c.reportId === inText.body.reportId);
    expect(command.description).not.toContain(RAW_SECRET);
    const anywhere = await queryRows<{ n: string }>(clickhouse, `SELECT count() AS n FROM abuse_reports WHERE position(description, 'a1b2c3d4a1b2c3d4') > 0 OR position(key_prefix, 'a1b2c3d4') > 0`);
    expect(anywhere[0].n).toBe('0');
  });

  it('lists every field problem at once (400)', async () => {
    const res = await report({ description: 'x'.repeat(2001), contact: 'y'.repeat(321), extra: true });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^description:/), expect.stringMatching(/^contact:/), expect.stringMatching(/extra/)]),
    );
    const missingKey = await report({ description: 'no key given' });
    expect(missingKey.status).toBe(400);
    expect(missingKey.body.errors).toEqual([expect.stringMatching(/keyId .*or keyPrefix/)]);
  });

  it('rate-limits reports per client address', async () => {
    const statuses: number[] = [];
    while (sent < REPORTS_PER_MINUTE + 2) statuses.push((await report({ keyId: 'kf-unknown', description: 'spam' })).status);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    expect(statuses.filter((s) => s === 202).length).toBe(statuses.length - 2);
  });
});
