import type { UsageEvent } from '@spendguard/contracts/usage-event.types';
import { formatDateTime } from './sql-literal';

/** Where in Kafka a row came from; lets the sink recognise redelivered rows. */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A `usage_events` row in JSONEachRow form. */
export interface UsageEventRow {
  event_id: string;
  time: string;
  time_ms: number;
  account_id: string;
  key_id: string;
  model: string;
  provider: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  status: number;
  latency_ms: number;
  ip: string;
  country: string;
  user_agent: string;
  gateway_id: string;
  attribute_keys: string[];
  attribute_values: string[];
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
  ingested_at: string;
}

/** formatDateTime for epoch ms, remembering the last second formatted (events of a batch share few seconds). */
function secondFormatter(): (ms: number) => string {
  let second = NaN;
  let text = '';
  return (ms) => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      text = formatDateTime(ms);
    }
    return text;
  };
}
const formatEventTime = secondFormatter();
const formatIngestedAt = secondFormatter();

export function toUsageEventRow(event: UsageEvent, position: KafkaPosition, ingestedAt: number): UsageEventRow {
  const attributeKeys = Object.keys(event.attributes);
  return {
    event_id: event.id,
    time: formatEventTime(event.time),
    time_ms: event.time,
    account_id: event.accountId,
    key_id: event.keyId,
    model: event.model,
    provider: event.provider,
    input_tokens: event.inputTokens,
    output_tokens: event.outputTokens,
    cost_usd: event.costUsd,
    status: event.status,
    latency_ms: event.latencyMs,
    ip: event.ip,
    country: event.country,
    user_agent: event.userAgent,
    gateway_id: event.gatewayId,
    attribute_keys: attributeKeys,
    attribute_values: attributeKeys.map((k) => event.attributes[k]),
    kafka_topic: position.topic,
    kafka_partition: position.partition,
    kafka_offset: position.offset,
    ingested_at: formatIngestedAt(ingestedAt),
  };
}
