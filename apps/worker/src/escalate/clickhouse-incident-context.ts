import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { IncidentEvidenceRepository } from '@spendguard/clickhouse/escalation/incident-evidence.repository';
import type { Incident, IncidentContext, IncidentContextProvider } from '@spendguard/escalation';

/** A page must not wait on a slow ClickHouse: evidence that takes longer is left out. */
export const CONTEXT_TIMEOUT_MS = 3000;

/**
 * Evidence for pages and webhooks, read from ClickHouse: spend since the first finding's
 * minute, top models, IPs, countries and user agents of the key (or account) in that window,
 * the key's display prefix, and the link to the incident report. Best effort: on error or
 * timeout only the report link is returned and the page still goes out.
 */
@Injectable()
export class ClickHouseIncidentContextProvider implements IncidentContextProvider {
  private readonly logger = new Logger('IncidentContext');
  private readonly baseUrl: string;

  constructor(
    private readonly evidence: IncidentEvidenceRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.baseUrl = config.PUBLIC_BASE_URL.replace(/\/+$/, '');
  }

  async contextFor(incident: Incident): Promise<IncidentContext> {
    const reportUrl = `${this.baseUrl}/v1/incidents/${encodeURIComponent(incident.id)}/report`;
    const since = new Date(incident.firstFindingTime);
    if (Number.isNaN(since.getTime())) return { reportUrl };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONTEXT_TIMEOUT_MS} ms`)), CONTEXT_TIMEOUT_MS);
      });
      const found = await Promise.race([this.evidence.evidence(incident.accountId, incident.keyId, since), timeout]);
      return {
        reportUrl,
        spendSoFarUsd: Math.round(found.spendUsd * 100) / 100,
        topModels: found.topModels.map((m) => ({ model: m.model, costUsd: Math.round(m.costUsd * 100) / 100 })),
        ips: found.ips,
        countries: found.countries,
        userAgents: found.userAgents,
        ...(found.keyPrefix ? { keyDisplay: found.keyPrefix } : {}),
      };
    } catch (error) {
      this.logger.warn(`incident evidence unavailable incidentId=${incident.id}: ${(error as Error).message}`);
      return { reportUrl };
    } finally {
      clearTimeout(timer);
    }
  }
}
