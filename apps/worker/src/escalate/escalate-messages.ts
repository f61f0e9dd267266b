import type { ControlCommand } from '@spendguard/contracts/control-command';
import type { Finding, ReportLeakedKeyCommand } from '@spendguard/contracts';
import { DETECTOR_FAMILIES, detectorFamily } from '@spendguard/escalation';

/** Longest reporter text carried into a finding's explanation (it ends up in pages). */
const MAX_REPORT_TEXT = 200;
const SEVERITIES = new Set(['info', 'warning', 'critical']);
const COMMAND_TYPES = new Set(['incident.acknowledge', 'incident.resolve', 'report.leaked-key', 'policy.replaced']);

export type ParsedMessage<T> = { ok: true; value: T } | { ok: false; reason: string };

function objectOf(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** A finding from the findings topic; checks the fields the incident engine relies on. */
export function parseFinding(json: string): ParsedMessage<Finding> {
  const value = objectOf(json);
  if (!value) return { ok: false, reason: 'not a JSON object' };
  if (value.v !== 1) return { ok: false, reason: 'unknown finding version' };
  if (!isText(value.id) || !isText(value.accountId) || !isText(value.time)) return { ok: false, reason: 'id, accountId and time are required' };
  if (value.keyId !== undefined && !isText(value.keyId)) return { ok: false, reason: 'keyId must be a string' };
  if (typeof value.detector !== 'string' || !DETECTOR_FAMILIES.includes(detectorFamily(value.detector as Finding['detector']))) {
    return { ok: false, reason: `unknown detector ${String(value.detector)}` };
  }
  if (typeof value.severity !== 'string' || !SEVERITIES.has(value.severity)) return { ok: false, reason: 'unknown severity' };
  for (const field of ['observed', 'expected', 'score', 'threshold'] as const) {
    if (typeof value[field] !== 'number' || !Number.isFinite(value[field])) return { ok: false, reason: `${field} must be a finite number` };
  }
  return { ok: true, value: value as unknown as Finding };
}

export function parseControlCommand(json: string): ParsedMessage<ControlCommand> {
  const value = objectOf(json);
  if (!value) return { ok: false, reason: 'not a JSON object' };
  if (value.v !== 1) return { ok: false, reason: 'unknown command version' };
  if (typeof value.type !== 'string' || !COMMAND_TYPES.has(value.type)) return { ok: false, reason: `unknown command type ${String(value.type)}` };
  if (!isText(value.commandId) || !isText(value.accountId) || !isText(value.actor) || typeof value.at !== 'number') {
    return { ok: false, reason: 'commandId, accountId, actor and at are required' };
  }
  if ((value.type === 'incident.acknowledge' || value.type === 'incident.resolve') && !isText(value.incidentId)) {
    return { ok: false, reason: 'incidentId is required' };
  }
  if (value.type === 'report.leaked-key' && (!isText(value.keyId) || !isText(value.reportId))) return { ok: false, reason: 'keyId and reportId are required' };
  if (value.type === 'policy.replaced' && (value.policy === null || typeof value.policy !== 'object')) return { ok: false, reason: 'policy is required' };
  return { ok: true, value: value as unknown as ControlCommand };
}

/**
 * A leaked-key report as a critical finding of the `report` family: it opens (or joins) the
 * key's report incident, pages, and suspends the key when the account's policy says so (on by
 * default). Its id derives from the report id, so a redelivered command is ignored.
 */
export function reportFinding(command: ReportLeakedKeyCommand): Finding {
  const text = [...command.description]
    .map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? ' ' : ch))
    .join('')
    .trim()
    .slice(0, MAX_REPORT_TEXT);
  return {
    v: 1,
    id: `report:${command.reportId}`,
    time: new Date(command.at).toISOString(),
    accountId: command.accountId,
    keyId: command.keyId,
    detector: 'report',
    metric: 'report',
    observed: 1,
    expected: 0,
    score: 1,
    threshold: 1,
    severity: 'critical',
    explanation: `Key reported as leaked (report ${command.reportId})${text ? `: ${text}` : ''}`,
  };
}
