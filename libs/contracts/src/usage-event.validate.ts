import type { z } from 'zod';
import { findSecretInValue } from './secret-scan';
import { cloudEventEnvelopeSchema, usageEventSchema } from './usage-event.schema';
import type { UsageEvent } from './usage-event.types';

/** How far an event's time may be from the reference clock. */
export interface TimeSkewLimits {
  /** Reference clock, epoch ms (the ingest time, or the Kafka message timestamp). */
  now: number;
  /** Oldest accepted event, in ms before `now`. */
  maxPastMs: number;
  /** Newest accepted event, in ms after `now`. */
  maxFutureMs: number;
}

export interface ValidationIssue {
  /** Dotted path of the offending field ("" for the whole event). */
  path: string;
  message: string;
}

export type UsageEventParseResult =
  | { ok: true; event: UsageEvent }
  | { ok: false; reason: string; issues: ValidationIssue[] };

function fail(issues: ValidationIssue[]): UsageEventParseResult {
  const reason = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return { ok: false, reason, issues };
}

function zodIssues(error: z.ZodError, prefix = ''): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return { path, message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    if (issue.code === 'invalid_type') {
      if (issue.message.endsWith('received undefined')) return { path, message: 'is required' };
      return { path, message: issue.expected === 'int' ? 'must be an integer' : `must be a ${issue.expected}` };
    }
    return { path, message: issue.message };
  });
}

function isCloudEvent(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'specversion' in value;
}

/**
 * Validates one usage event (bare object or CloudEvents 1.0 structured envelope)
 * and normalises it: time to epoch ms, country upper case, attributes present.
 * Never throws; the reason lists every problem found.
 *
 * @param skew time-skew limits; omit for history (the replay command)
 */
export function parseUsageEvent(value: unknown, skew?: TimeSkewLimits): UsageEventParseResult {
  const secret = findSecretInValue(value);
  if (secret) {
    return fail([
      {
        path: secret.path,
        message: `looks like a raw secret key (${secret.pattern}); send a fingerprint of the key, never the key itself`,
      },
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail([{ path: '', message: 'an event must be a JSON object' }]);
  }
  let body: unknown = value;
  let prefix = '';
  if (isCloudEvent(value)) {
    const envelope = cloudEventEnvelopeSchema.safeParse(value);
    if (!envelope.success) return fail(zodIssues(envelope.error));
    body = envelope.data.data;
    prefix = 'data';
  }
  const parsed = usageEventSchema.safeParse(body);
  if (!parsed.success) return fail(zodIssues(parsed.error, prefix));
  const input = parsed.data;
  const time = typeof input.time === 'number' ? input.time : Date.parse(input.time);
  if (skew) {
    if (time < skew.now - skew.maxPastMs) {
      return fail([{ path: `${prefix ? prefix + '.' : ''}time`, message: `is more than ${skew.maxPastMs / 1000}s in the past` }]);
    }
    if (time > skew.now + skew.maxFutureMs) {
      return fail([{ path: `${prefix ? prefix + '.' : ''}time`, message: `is more than ${skew.maxFutureMs / 1000}s in the future` }]);
    }
  }
  return {
    ok: true,
    event: {
      id: input.id,
      time,
      accountId: input.accountId,
      keyId: input.keyId,
      model: input.model,
      provider: input.provider,
      inputTokens: input.inputTokens,
      outputTokens: input.outputTokens,
      costUsd: input.costUsd,
      status: input.status,
      latencyMs: input.latencyMs,
      ip: input.ip,
      country: input.country ? input.country.toUpperCase() : '',
      userAgent: input.userAgent,
      gatewayId: input.gatewayId,
      attributes: input.attributes ?? {},
    },
  };
}

/** Parses JSON text first; malformed JSON is a validation failure, not an exception. */
export function parseUsageEventJson(text: string, skew?: TimeSkewLimits): UsageEventParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail([{ path: '', message: `malformed JSON: ${(error as Error).message}` }]);
  }
  return parseUsageEvent(value, skew);
}

/**
 * The wire form spendguard itself produces to Kafka: the normalised bare object
 * with `time` as epoch ms. It is a valid v1 event, so consumers validate it again.
 */
export function serializeUsageEvent(event: UsageEvent): string {
  const { country, attributes, ...rest } = event;
  const wire: Record<string, unknown> = { v: 1, ...rest };
  if (country) wire.country = country;
  if (Object.keys(attributes).length > 0) wire.attributes = attributes;
  return JSON.stringify(wire);
}
