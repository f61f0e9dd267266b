import { z } from 'zod';

/** Limits of the v1 contract; documented in the README. */
export const USAGE_EVENT_LIMITS = {
  idLength: 128,
  nameLength: 128,
  providerLength: 64,
  userAgentLength: 512,
  attributeCount: 32,
  attributeKeyLength: 64,
  attributeValueLength: 256,
  maxTokens: 100_000_000,
  maxCostUsd: 1_000_000,
  maxLatencyMs: 86_400_000,
} as const;

const L = USAGE_EVENT_LIMITS;

/** Identifiers: printable ASCII without spaces, so they are safe in logs, keys and URLs. */
const identifier = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const count = z.number().int('must be an integer').min(0, 'must be ≥ 0').max(L.maxTokens, `must be ≤ ${L.maxTokens}`);

/** Epoch milliseconds, or an RFC 3339 date-time with an explicit offset. */
const TIME_FORMAT = 'must be RFC 3339 with an offset (e.g. 2026-12-04T10:00:00Z) or integer epoch milliseconds';
const eventTime = z.union(
  [z.number().int().min(0).max(8_640_000_000_000), z.iso.datetime({ offset: true, message: TIME_FORMAT })],
  { message: TIME_FORMAT },
);

/** The bare usage event object, as gateways send it. Unknown fields are refused. */
export const usageEventSchema = z.strictObject({
  /** Optional contract version; only 1 exists. */
  v: z.literal(1, { message: 'unknown version: only v1 is supported' }).optional(),
  id: identifier(L.idLength),
  time: eventTime,
  accountId: identifier(L.nameLength),
  keyId: identifier(L.nameLength),
  model: z.string().min(1, 'must not be empty').max(L.nameLength, `must be at most ${L.nameLength} characters`),
  provider: identifier(L.providerLength),
  inputTokens: count,
  outputTokens: count,
  costUsd: z.number().min(0, 'must be ≥ 0').max(L.maxCostUsd, `must be ≤ ${L.maxCostUsd}`),
  status: z.number().int('must be an integer').min(0).max(599, 'must be an HTTP status (0 for no response)'),
  latencyMs: z.number().min(0, 'must be ≥ 0').max(L.maxLatencyMs, `must be ≤ ${L.maxLatencyMs}`),
  ip: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .optional(),
  userAgent: z.string().max(L.userAgentLength, `must be at most ${L.userAgentLength} characters`),
  gatewayId: identifier(L.nameLength),
  attributes: z
    .record(
      z.string().min(1).max(L.attributeKeyLength, `attribute names must be at most ${L.attributeKeyLength} characters`),
      z.string().max(L.attributeValueLength, `attribute values must be at most ${L.attributeValueLength} characters`),
    )
    .refine((a) => Object.keys(a).length <= L.attributeCount, `must have at most ${L.attributeCount} entries`)
    .optional(),
});

export type UsageEventInput = z.input<typeof usageEventSchema>;

/** CloudEvents `type` for usage events; the version is part of the type. */
export const USAGE_EVENT_CLOUDEVENT_TYPE = 'dev.spendguard.usage.v1';

/** CloudEvents 1.0 structured JSON envelope carrying a usage event as `data`. */
export const cloudEventEnvelopeSchema = z.looseObject({
  specversion: z.literal('1.0', { message: 'unsupported CloudEvents specversion: only 1.0' }),
  id: z.string().min(1).max(L.idLength),
  source: z.string().min(1).max(1024),
  type: z.literal(USAGE_EVENT_CLOUDEVENT_TYPE, {
    message: `unknown event type or version: expected ${USAGE_EVENT_CLOUDEVENT_TYPE}`,
  }),
  datacontenttype: z.string().regex(/^application\/(cloudevents\+)?json/, 'data must be JSON').optional(),
  data: z.unknown(),
});
