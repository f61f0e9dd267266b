import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { IncidentsRepository } from '@spendguard/clickhouse/control-plane/incidents.repository';
import {
  IncidentReportQueries,
  REPORT_DIMENSIONS,
  USUAL_WINDOW_MS,
  type DimensionValue,
  type IncidentTotals,
  type ReportDimension,
  type ReportScope,
  type SpendBaseline,
} from '@spendguard/clickhouse/control-plane/incident-report.queries';
import { WebhookAttemptsRepository, type WebhookAttemptRecord } from '@spendguard/clickhouse/control-plane/webhook-attempts.repository';
import { webhookMessageId } from '@spendguard/escalation/webhooks/webhook-payload';
import type { WebhookEventType } from '@spendguard/escalation/incidents/incident.types';
import { incidentView, parseIncident, storedTransitionView } from './incident-view';
import type { IncidentDetailDto, IncidentTransitionDto } from './incident.dto';

/** Minutes of context before the incident's start. */
export const REPORT_LEAD_MS = 2 * 3600 * 1000;
/** Context after a resolved incident's end. */
export const REPORT_TAIL_MS = 3600 * 1000;
/** Longest spend series served (3 days of minutes). */
export const REPORT_MAX_SPAN_MS = 3 * 24 * 3600 * 1000;

const WEBHOOK_EVENTS: WebhookEventType[] = ['incident.opened', 'incident.reopened', 'incident.escalated', 'incident.acknowledged', 'incident.resolved'];

export interface SpendMinute {
  minute: string;
  costUsd: number;
  requests: number;
  errors: number;
  /** costUsd / baseline median active-minute spend (null without a baseline). */
  ratioToBaseline: number | null;
}

export interface IncidentReport {
  generatedAt: string;
  incident: IncidentDetailDto;
  scope: { accountId: string; keyId: string | null };
  /** The incident's span the figures cover (RFC 3339): first finding → resolution or now. */
  period: { start: string; end: string; ongoing: boolean };
  totals: IncidentTotals & { excessOverBaselineUsd: number; minutes: number };
  baseline: Omit<SpendBaseline, 'from' | 'to'> & { from: string; to: string };
  spendPerMinute: { from: string; to: string; minutes: SpendMinute[] };
  /** During the incident vs the 7 days before it, per dimension. */
  dimensions: Record<ReportDimension, DimensionValue[]>;
  /** Values never seen in the 30 days before the incident, per dimension. */
  firstSeen: Record<ReportDimension, string[]>;
  timeline: IncidentTransitionDto[];
  actions: {
    keyStatusChanges: { keyId: string; status: string; changedAt: string; changedBy: string; reason: string; incidentId: string }[];
    webhookAttempts: WebhookAttemptRecord[];
  };
}

const minuteFloor = (ms: number) => Math.floor(ms / 60_000) * 60_000;
const sqlMinute = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * The forensic evidence of one incident, for an abuse report or a refund dispute: what was
 * spent, on what, from where, compared with the key's usual traffic, and what spendguard
 * did about it. Everything is read from ClickHouse with explicit time bounds.
 */
@Injectable()
export class BuildIncidentReportUseCase {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly incidents: IncidentsRepository,
    private readonly queries: IncidentReportQueries,
    private readonly attempts: WebhookAttemptsRepository,
  ) {}

  async execute(incidentId: string, now = Date.now()): Promise<IncidentReport> {
    const row = await this.incidents.get(incidentId);
    if (!row) throw new NotFoundException(`incident ${incidentId} not found`);
    const incident = parseIncident(row.incidentJson) ?? {};
    const view = incidentView(row, this.config.PUBLIC_BASE_URL);
    const scope: ReportScope = { accountId: row.accountId, keyId: incident.keyId ?? row.keyId ?? '' };

    const firstFinding = Date.parse(incident.firstFindingTime ?? '');
    const opened = incident.openedAt ?? row.updatedAtMs;
    const start = Number.isFinite(firstFinding) ? Math.min(firstFinding, opened) : opened;
    const ongoing = incident.state !== 'resolved' || !incident.resolvedAt;
    const end = ongoing ? now : (incident.resolvedAt as number);

    const seriesFrom = minuteFloor(start - REPORT_LEAD_MS);
    const seriesTo = Math.min(minuteFloor(ongoing ? now : Math.min(now, end + REPORT_TAIL_MS)) + 60_000, seriesFrom + REPORT_MAX_SPAN_MS);
    const baselineFrom = start - USUAL_WINDOW_MS;

    const [minutes, baseline, totals, transitions, keyChanges, ...dimensionRows] = await Promise.all([
      this.queries.spendPerMinute(scope, seriesFrom, seriesTo),
      this.queries.baseline(scope, baselineFrom, minuteFloor(start)),
      this.queries.totals(scope, start, end),
      this.incidents.transitions(incidentId),
      this.queries.keyStatusChanges(scope, incidentId, seriesFrom),
      ...REPORT_DIMENSIONS.map((d) => this.queries.dimension(scope, d, start, end)),
    ]);

    const timeline = transitions.length > 0 ? transitions.map(storedTransitionView) : view.transitions;
    const messageIds = new Set<string>();
    for (const t of timeline) for (const event of WEBHOOK_EVENTS) messageIds.add(webhookMessageId(incidentId, event, Date.parse(t.at)));
    const webhookAttempts = await this.attempts.listForMessages([...messageIds]);

    const median = baseline.medianActiveMinuteUsd;
    const byMinute = new Map(minutes.map((m) => [m.minute, m]));
    const series: SpendMinute[] = [];
    for (let t = seriesFrom; t < seriesTo; t += 60_000) {
      const m = byMinute.get(sqlMinute(t));
      const cost = m?.costUsd ?? 0;
      series.push({
        minute: new Date(t).toISOString(),
        costUsd: round6(cost),
        requests: m?.requests ?? 0,
        errors: m?.errors ?? 0,
        ratioToBaseline: median > 0 ? Math.round((cost / median) * 100) / 100 : null,
      });
    }

    const incidentMinutes = Math.max(1, Math.ceil((end - start) / 60_000));
    const dimensions = Object.fromEntries(REPORT_DIMENSIONS.map((d, i) => [d, dimensionRows[i]])) as Record<ReportDimension, DimensionValue[]>;
    const firstSeen = Object.fromEntries(
      REPORT_DIMENSIONS.map((d) => [d, dimensions[d].filter((v) => v.firstSeen).map((v) => v.value)]),
    ) as Record<ReportDimension, string[]>;

    return {
      generatedAt: new Date(now).toISOString(),
      incident: view,
      scope: { accountId: scope.accountId, keyId: scope.keyId || null },
      period: { start: new Date(start).toISOString(), end: new Date(end).toISOString(), ongoing },
      totals: {
        ...totals,
        costUsd: round6(totals.costUsd),
        minutes: incidentMinutes,
        excessOverBaselineUsd: round6(Math.max(0, totals.costUsd - baseline.meanMinuteUsd * incidentMinutes)),
      },
      baseline: { ...baseline, from: new Date(baseline.from).toISOString(), to: new Date(baseline.to).toISOString() },
      spendPerMinute: { from: new Date(seriesFrom).toISOString(), to: new Date(seriesTo).toISOString(), minutes: series },
      dimensions,
      firstSeen,
      timeline,
      actions: { keyStatusChanges: keyChanges, webhookAttempts },
    };
  }
}
