import { Inject, Injectable, ServiceUnavailableException, Logger } from '@nestjs/common';
import type { Message } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { KAFKA_HEADERS, parseUsageEvent, serializeUsageEvent, type UsageEvent } from '@spendguard/contracts';
import { KafkaProducerService } from '@spendguard/kafka';
import { Metrics } from '@spendguard/observability';
import type { BodyItem } from './read-body';

export type IngestResult =
  | { index: number; id: string; status: 'accepted' }
  | { index: number; id?: string; status: 'rejected'; reason: string };

export interface IngestSummary {
  accepted: number;
  rejected: number;
  results: IngestResult[];
}

/**
 * Validates a gateway's events and publishes the valid ones to the usage
 * topic, keyed by account id. Resolves only after Kafka acknowledged them; if
 * Kafka is down nothing is accepted and the gateway is told to retry.
 */
@Injectable()
export class IngestEventsUseCase {
  private readonly logger = new Logger(IngestEventsUseCase.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: KafkaProducerService,
    private readonly metrics: Metrics,
  ) {}

  async execute(gatewayId: string, items: BodyItem[], now: number): Promise<IngestSummary> {
    const skew = {
      now,
      maxPastMs: this.config.EVENT_MAX_PAST_SECONDS * 1000,
      maxFutureMs: this.config.EVENT_MAX_FUTURE_SECONDS * 1000,
    };
    const results: IngestResult[] = [];
    const accepted: UsageEvent[] = [];
    items.forEach((item, index) => {
      if (!item.ok) {
        results.push({ index, status: 'rejected', reason: item.reason });
        return;
      }
      const parsed = parseUsageEvent(item.value, skew);
      if (!parsed.ok) {
        results.push({ index, id: idOf(item.value), status: 'rejected', reason: parsed.reason });
      } else if (parsed.event.gatewayId !== gatewayId) {
        results.push({
          index,
          id: parsed.event.id,
          status: 'rejected',
          reason: `gatewayId: "${parsed.event.gatewayId}" does not match this token's gateway "${gatewayId}"`,
        });
      } else {
        accepted.push(parsed.event);
        results.push({ index, id: parsed.event.id, status: 'accepted' });
      }
    });

    const messages: Message[] = accepted.map((event) => ({
      key: event.accountId,
      value: serializeUsageEvent(event),
      timestamp: String(now),
      headers: { [KAFKA_HEADERS.gatewayId]: gatewayId, [KAFKA_HEADERS.contentType]: 'application/json' },
    }));
    try {
      await this.producer.send(this.config.TOPIC_USAGE_EVENTS, messages);
    } catch (error) {
      this.logger.error(`publish failed gatewayId=${gatewayId} count=${messages.length}: ${(error as Error).message}`);
      throw new ServiceUnavailableException('could not publish events to Kafka; nothing was accepted, retry later');
    }
    this.metrics.ingestEvents.inc({ result: 'accepted' }, accepted.length);
    this.metrics.ingestEvents.inc({ result: 'rejected' }, results.length - accepted.length);
    return { accepted: accepted.length, rejected: results.length - accepted.length, results };
  }
}

/** The id of a rejected event, when it has a usable one, to help the gateway match results. */
function idOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const id = typeof record.id === 'string' ? record.id : (record.data as Record<string, unknown> | undefined)?.id;
  return typeof id === 'string' && id.length <= 128 && !/\s/.test(id) ? id : undefined;
}
