import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { findSecretPattern } from '@spendguard/contracts/secret-scan';
import { AbuseReportsRepository } from '@spendguard/clickhouse/control-plane/abuse-reports.repository';
import { KeyDirectoryRepository, type KeyDirectoryEntry } from '@spendguard/clickhouse/control-plane/key-directory.repository';
import { ControlCommandPublisher } from '../control/control-command.publisher';
import { redactSecrets } from './redact-secrets';
import type { SubmitReportInput } from './report.dto';

export type ReportStatus = 'accepted' | 'unknown-key' | 'ambiguous-key';

export interface SubmitReportResult {
  reportId: string;
  status: ReportStatus;
  redacted: number;
}

const SECRET_IN_KEY_FIELD =
  'this looks like the secret key itself. Never send the key: send its fingerprint (keyId) or its short display prefix ' +
  '(keyPrefix, e.g. "sk-or-…a1b2"), and revoke the key with its provider now';

/**
 * Records an abuse report and asks the worker to act on it.
 *
 * The raw key never enters spendguard: keyId/keyPrefix holding a secret are refused
 * (nothing is derived from them and the answer does not echo them); secrets in free text
 * are redacted before storing. The key's account comes from key_directory (by
 * fingerprint, else by display prefix). A unique match → stored and a
 * `report.leaked-key` command published (the escalate role opens a critical incident
 * and suspends per the account's policy); no or several matches → stored for review.
 */
@Injectable()
export class SubmitReportUseCase {
  private readonly logger = new Logger(SubmitReportUseCase.name);

  constructor(
    private readonly directory: KeyDirectoryRepository,
    private readonly reports: AbuseReportsRepository,
    private readonly commands: ControlCommandPublisher,
  ) {}

  async execute(input: SubmitReportInput, reporterIp: string, now = Date.now()): Promise<SubmitReportResult> {
    for (const field of ['keyId', 'keyPrefix'] as const) {
      const value = input[field];
      if (value !== undefined && findSecretPattern(value)) throw new BadRequestException({ message: `${field}: ${SECRET_IN_KEY_FIELD}` });
    }
    const description = redactSecrets(input.description);
    const contact = redactSecrets(input.contact ?? '');
    if (!description.ok || !contact.ok) {
      throw new BadRequestException('the report seems to contain a secret key that could not be redacted; remove it and send the fingerprint or display prefix instead');
    }

    const reportId = `rpt_${randomUUID()}`;
    let matches: KeyDirectoryEntry[];
    try {
      matches = input.keyId ? await this.directory.findByKeyId(input.keyId) : await this.directory.findByPrefix(input.keyPrefix as string);
      if (matches.length === 0 && input.keyId && input.keyPrefix) matches = await this.directory.findByPrefix(input.keyPrefix);
    } catch (error) {
      this.logger.error(`key directory lookup failed reportId=${reportId}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('could not look the key up; retry later');
    }
    const match = matches.length === 1 ? matches[0] : undefined;
    const status: ReportStatus = match ? 'accepted' : matches.length === 0 ? 'unknown-key' : 'ambiguous-key';

    try {
      await this.reports.insert({
        reportId,
        receivedAt: now,
        keyId: match?.keyId ?? input.keyId ?? '',
        keyPrefix: input.keyPrefix ?? match?.keyPrefix ?? '',
        accountId: match?.accountId ?? '',
        description: `[${input.kind}] ${description.text}`,
        contact: contact.text,
        reporterIp,
        incidentId: '',
        outcome: status,
      });
    } catch (error) {
      this.logger.error(`abuse report write failed reportId=${reportId}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('could not store the report; retry later');
    }

    if (match) {
      await this.commands.publish({
        type: 'report.leaked-key',
        accountId: match.accountId,
        actor: `report:${reportId}`,
        reportId,
        keyId: match.keyId,
        description: description.text,
      }, now);
    }
    this.logger.log(`abuse report reportId=${reportId} status=${status} redacted=${description.redacted + contact.redacted}`);
    return { reportId, status, redacted: description.redacted + contact.redacted };
  }
}
