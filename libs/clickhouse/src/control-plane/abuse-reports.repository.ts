import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';

/** An abuse report as stored; description and contact are already free of secrets. */
export interface AbuseReportRecord {
  reportId: string;
  receivedAt: number;
  keyId: string;
  keyPrefix: string;
  accountId: string;
  description: string;
  contact: string;
  reporterIp: string;
  incidentId: string;
  outcome: string;
}

/** The `abuse_reports` table (append-only). */
@Injectable()
export class AbuseReportsRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  async insert(report: AbuseReportRecord): Promise<void> {
    await this.client.insert({
      table: 'abuse_reports',
      format: 'JSONEachRow',
      values: [
        {
          report_id: report.reportId,
          received_at_ms: report.receivedAt,
          key_id: report.keyId,
          key_prefix: report.keyPrefix,
          account_id: report.accountId,
          description: report.description,
          contact: report.contact,
          reporter_ip: report.reporterIp,
          incident_id: report.incidentId,
          outcome: report.outcome,
        },
      ],
    });
  }
}
