import { z } from 'zod';
import { DETECTOR_FAMILIES } from '../incidents/detector-family';

/**
 * Routing policy file: global defaults plus per-account overrides.
 * Validated once (every bad field reported at once); resolved per account by `RoutingPolicyBook`.
 */
const severitySchema = z.enum(['info', 'warning', 'critical']);

/** PagerDuty integration (routing) keys are 32 characters. */
export const PAGERDUTY_ROUTING_KEY_LENGTH = 32;

const routingKeySchema = z
  .string()
  .length(PAGERDUTY_ROUTING_KEY_LENGTH, { message: `PagerDuty routing key must be ${PAGERDUTY_ROUTING_KEY_LENGTH} characters` })
  .regex(/^[A-Za-z0-9]+$/, { message: 'PagerDuty routing key must be alphanumeric' });

const endpointIdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, { message: 'endpoint id may hold letters, digits and . _ : -' });

const webhookRouteSchema = z.strictObject({
  endpointId: endpointIdSchema,
  /** Severities delivered to this endpoint. */
  severities: z.array(severitySchema).min(1),
});

const pagerDutyRouteSchema = z.strictObject({
  routingKey: routingKeySchema,
  /** Severities that page. */
  severities: z.array(severitySchema).min(1),
});

const autoSuspendSchema = z.strictObject(
  Object.fromEntries(DETECTOR_FAMILIES.map((family) => [family, z.boolean().optional()])) as Record<
    (typeof DETECTOR_FAMILIES)[number],
    z.ZodOptional<z.ZodBoolean>
  >,
);

function noDuplicateEndpoints(routes: { endpointId: string }[] | undefined, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  (routes ?? []).forEach((route, index) => {
    if (seen.has(route.endpointId)) {
      ctx.addIssue({ code: 'custom', path: [index, 'endpointId'], message: `duplicate endpoint ${route.endpointId}` });
    }
    seen.add(route.endpointId);
  });
}

const webhookRoutesSchema = z.array(webhookRouteSchema).superRefine(noDuplicateEndpoints);

export const accountPolicySchema = z.strictObject({
  /** Replaces the default webhook routes when present (an empty list turns webhooks off). */
  webhooks: webhookRoutesSchema.optional(),
  /** Replaces the default PagerDuty route; `null` turns paging off for the account. */
  pagerduty: pagerDutyRouteSchema.nullable().optional(),
  /** Per-family override of the auto-suspend switch for critical incidents. */
  autoSuspend: autoSuspendSchema.optional(),
});

export const defaultPolicySchema = z.strictObject({
  webhooks: webhookRoutesSchema.optional(),
  pagerduty: pagerDutyRouteSchema.nullable().optional(),
  autoSuspend: autoSuspendSchema.optional(),
});

export const routingPolicyFileSchema = z.strictObject({
  version: z.literal(1),
  defaults: defaultPolicySchema.optional(),
  accounts: z.record(z.string().min(1).max(256), accountPolicySchema).optional(),
});

export type AccountPolicy = z.infer<typeof accountPolicySchema>;
export type RoutingPolicyFile = z.infer<typeof routingPolicyFileSchema>;
export type WebhookRoute = z.infer<typeof webhookRouteSchema>;
export type PagerDutyRoute = z.infer<typeof pagerDutyRouteSchema>;
