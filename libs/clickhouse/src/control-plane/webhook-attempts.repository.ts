import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '../clickhouse.tokens';
import { SqlFragment, sql } from '../sql-literal';
import { readRows } from './read-rows';

export interface WebhookAttemptRecord {
  endpointId: string;
  messageId: string;
  deliveryId: string;
  eventType: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  outcome: string;
  latencyMs: number;
  error?: string;
}

interface AttemptRow {
  endpoint_id: string;
  message_id: string;
  delivery_id: string;
  event_type: string;
  attempt: number;
  at_ms: string;
  status_code: number;
  outcome: string;
  latency_ms: number;
  error: string;
}

const COLUMNS = new SqlFragment('endpoint_id, message_id, delivery_id, event_type, attempt, at_ms, status_code, outcome, latency_ms, error');

function toRecord(r: AttemptRow): WebhookAttemptRecord {
  return {
    endpointId: r.endpoint_id,
    messageId: r.message_id,
    deliveryId: r.delivery_id,
    eventType: r.event_type,
    attempt: Number(r.attempt),
    at: new Date(Number(r.at_ms)).toISOString(),
    statusCode: Number(r.status_code) > 0 ? Number(r.status_code) : null,
    outcome: r.outcome,
    latencyMs: Number(r.latency_ms),
    ...(r.error ? { error: r.error } : {}),
  };
}

/** The webhook delivery log (`webhook_attempts`), read side. */
@Injectable()
export class WebhookAttemptsRepository {
  constructor(@Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient) {}

  /** Most recent first; `before` (epoch ms) pages backwards. */
  async listForEndpoint(endpointId: string, options: { limit: number; before?: number }): Promise<WebhookAttemptRecord[]> {
    const before = options.before ?? Number.MAX_SAFE_INTEGER;
    const rows = await readRows<AttemptRow>(
      this.client,
      sql`SELECT ${COLUMNS} FROM webhook_attempts
        WHERE endpoint_id = ${endpointId} AND at_ms < ${before}
        ORDER BY at_ms DESC, attempt DESC LIMIT ${options.limit}`,
    );
    return rows.map(toRecord);
  }

  /** Attempts of the given messages (webhook-id), oldest first. */
  async listForMessages(messageIds: readonly string[]): Promise<WebhookAttemptRecord[]> {
    if (messageIds.length === 0) return [];
    const rows = await readRows<AttemptRow>(
      this.client,
      sql`SELECT ${COLUMNS} FROM webhook_attempts WHERE has(${messageIds}, message_id) ORDER BY at_ms, attempt`,
    );
    return rows.map(toRecord);
  }
}
