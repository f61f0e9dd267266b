/**
 * Helpers of the control-plane integration tests: HTTP calls with tokens, a topic reader,
 * and direct inserts of rows the worker would write (incidents, transitions, attempts).
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { ADMIN_TOKEN, kafkaFor, waitFor } from '../support/spendguard';

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** Reads a topic from the beginning with a throw-away group; `messages` fills as they arrive. */
export class TopicReader {
  readonly messages: KafkaMessage[] = [];
  private consumer: Consumer | undefined;

  constructor(private readonly topic: string) {}

  async start(): Promise<void> {
    this.consumer = kafkaFor().consumer({ groupId: `test-reader-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({ eachMessage: async ({ message }) => void this.messages.push(message) });
  }

  values<T>(): T[] {
    return this.messages.filter((m) => m.value).map((m) => JSON.parse((m.value as Buffer).toString('utf8')) as T);
  }

  async waitForValue<T>(what: string, predicate: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
    let found: T | undefined;
    await waitFor(what, () => (found = this.values<T>().find(predicate)) !== undefined, timeoutMs);
    return found as T;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export interface IncidentSeed {
  id: string;
  accountId: string;
  keyId?: string;
  state?: 'open' | 'acknowledged' | 'resolved';
  severity?: string;
  family?: string;
  openedAt: number;
  updatedAt?: number;
  resolvedAt?: number;
  firstFindingTime?: string;
  transitions?: { at: number; from: string | null; to: string; reason: string; severityTo?: string; actor?: string }[];
}

/** An incident row as the escalate role writes it (full Incident JSON in incident_json). */
export async function insertIncident(client: ClickHouseClient, seed: IncidentSeed): Promise<void> {
  const state = seed.state ?? 'open';
  const updatedAt = seed.updatedAt ?? seed.openedAt;
  const severity = seed.severity ?? 'critical';
  const dedupKey = `${seed.accountId}|${seed.keyId ?? '*'}|${seed.family ?? 'burst'}`;
  const transitions = (seed.transitions ?? [{ at: seed.openedAt, from: null, to: 'open', reason: 'finding-opened' }]).map((t) => ({
    incidentId: seed.id,
    dedupKey,
    at: t.at,
    from: t.from,
    to: t.to,
    severityFrom: t.from ? severity : null,
    severityTo: t.severityTo ?? severity,
    reason: t.reason,
    ...(t.actor ? { actor: t.actor } : {}),
  }));
  const incident = {
    id: seed.id,
    dedupKey,
    accountId: seed.accountId,
    ...(seed.keyId ? { keyId: seed.keyId } : {}),
    family: seed.family ?? 'burst',
    state,
    severity,
    openedAt: seed.openedAt,
    updatedAt,
    lastFindingAt: updatedAt,
    ...(seed.resolvedAt ? { resolvedAt: seed.resolvedAt } : {}),
    firstFindingTime: seed.firstFindingTime ?? new Date(seed.openedAt).toISOString(),
    findingCount: 3,
    detectors: ['spike-ratio'],
    novelValues: [],
    peak: {
      findingId: `f-${seed.id}`,
      detector: 'spike-ratio',
      metric: 'cost_usd',
      observed: 12.5,
      expected: 0.4,
      score: 31.25,
      threshold: 10,
      explanation: 'Key spent $12.50 in one minute, 31× its usual $0.40.',
      time: new Date(seed.openedAt).toISOString(),
    },
    recentFindingIds: ['secret-internal'],
    pagedRoutingKey: 'R0UT1NGKEY0000000000000000000000',
    notifiedEndpointIds: [],
    suspendRequested: false,
    reopenCount: 0,
    transitions,
  };
  await client.insert({
    table: 'incidents',
    format: 'JSONEachRow',
    values: [
      {
        incident_id: seed.id,
        dedup_key: dedupKey,
        account_id: seed.accountId,
        key_id: seed.keyId ?? '',
        family: incident.family,
        state,
        severity,
        opened_at: Math.floor(seed.openedAt / 1000),
        updated_at_ms: updatedAt,
        acknowledged_at_ms: 0,
        resolved_at_ms: seed.resolvedAt ?? 0,
        first_finding_time: incident.firstFindingTime,
        finding_count: 3,
        detectors: incident.detectors,
        novel_values: [],
        summary: incident.peak.explanation,
        incident_json: JSON.stringify(incident),
      },
    ],
  });
  await client.insert({
    table: 'incident_transitions',
    format: 'JSONEachRow',
    values: transitions.map((t) => ({
      incident_id: seed.id,
      dedup_key: dedupKey,
      account_id: seed.accountId,
      key_id: seed.keyId ?? '',
      at_ms: t.at,
      from_state: t.from ?? '',
      to_state: t.to,
      severity_from: t.severityFrom ?? '',
      severity_to: t.severityTo,
      reason: t.reason,
      finding_id: '',
      actor: t.actor ?? '',
      note: '',
    })),
  });
}

export interface UsageRowSeed {
  time: number;
  accountId: string;
  keyId: string;
  model: string;
  costUsd: number;
  ip?: string;
  country?: string;
  userAgent?: string;
  status?: number;
  keyPrefix?: string;
}

/** usage_events rows as the sink writes them (the views fill rollups and key_directory). */
export async function insertUsage(client: ClickHouseClient, rows: UsageRowSeed[]): Promise<void> {
  await client.insert({
    table: 'usage_events',
    format: 'JSONEachRow',
    values: rows.map((r, i) => ({
      event_id: `ev-${r.time}-${i}-${randomUUID().slice(0, 8)}`,
      time: Math.floor(r.time / 1000),
      time_ms: r.time,
      account_id: r.accountId,
      key_id: r.keyId,
      model: r.model,
      provider: 'openai',
      input_tokens: 100,
      output_tokens: 50,
      cost_usd: r.costUsd,
      status: r.status ?? 200,
      latency_ms: 300,
      ip: r.ip ?? '198.51.100.7',
      country: r.country ?? 'US',
      user_agent: r.userAgent ?? 'acme-app/2.1',
      gateway_id: 'gw-test',
      attribute_keys: r.keyPrefix ? ['keyPrefix'] : [],
      attribute_values: r.keyPrefix ? [r.keyPrefix] : [],
      kafka_topic: 'usage-events',
      kafka_partition: 0,
      kafka_offset: i,
      ingested_at: Math.floor(r.time / 1000),
    })),
  });
}
