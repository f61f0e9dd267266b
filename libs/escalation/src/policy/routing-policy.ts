import type { Severity } from '@spendguard/contracts/finding';
import type { DetectorFamily } from '../incidents/detector-family';
import {
  routingPolicyFileSchema,
  type AccountPolicy,
  type PagerDutyRoute,
  type RoutingPolicyFile,
  type WebhookRoute,
} from './routing-policy.schema';

/**
 * Auto-suspend defaults: a critical burst drain, cap breach or leaked-key report suspends the key with no
 * configuration; the slower or noisier families only notify unless an account opts in.
 */
export const DEFAULT_AUTO_SUSPEND: Readonly<Record<DetectorFamily, boolean>> = {
  burst: true,
  cap: true,
  'slow-drain': false,
  novelty: false,
  // A person reported the key as leaked: stop it now, a human resumes it.
  report: true,
};

/** Severities routed when a route is configured globally but its severities are not overridden. */
export const DEFAULT_PAGE_SEVERITIES: readonly Severity[] = ['critical'];
export const DEFAULT_WEBHOOK_SEVERITIES: readonly Severity[] = ['warning', 'critical'];

/** The policy in force for one account, every field decided. */
export interface ResolvedRoutingPolicy {
  accountId: string;
  webhooks: readonly WebhookRoute[];
  pagerduty: PagerDutyRoute | null;
  autoSuspend: Readonly<Record<DetectorFamily, boolean>>;
}

export interface RoutingPolicyResolver {
  resolve(accountId: string): ResolvedRoutingPolicy;
}

export type PolicyParseResult =
  | { ok: true; policy: RoutingPolicyFile }
  | { ok: false; errors: string[] };

export interface PolicyParseOptions {
  /** When given, webhook routes must reference one of these endpoint ids. */
  knownEndpointIds?: ReadonlySet<string>;
}

/** Validates a policy file and lists every bad field at once (`path: message`). */
export function parseRoutingPolicy(input: unknown, options: PolicyParseOptions = {}): PolicyParseResult {
  const parsed = routingPolicyFileSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
    };
  }
  const errors: string[] = [];
  if (options.knownEndpointIds) {
    const known = options.knownEndpointIds;
    const check = (routes: WebhookRoute[] | undefined, prefix: string): void => {
      (routes ?? []).forEach((route, index) => {
        if (!known.has(route.endpointId)) errors.push(`${prefix}.webhooks.${index}.endpointId: unknown endpoint ${route.endpointId}`);
      });
    };
    check(parsed.data.defaults?.webhooks, 'defaults');
    for (const [accountId, account] of Object.entries(parsed.data.accounts ?? {})) check(account.webhooks, `accounts.${accountId}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: parsed.data };
}

/** An empty policy: protection on defaults only. */
export const EMPTY_ROUTING_POLICY: RoutingPolicyFile = { version: 1 };

/**
 * Resolves the policy for an account: account override, then file defaults, then built-in
 * defaults. Immutable; build a new book to replace a policy.
 */
export class RoutingPolicyBook implements RoutingPolicyResolver {
  constructor(private readonly file: RoutingPolicyFile = EMPTY_ROUTING_POLICY) {}

  resolve(accountId: string): ResolvedRoutingPolicy {
    const defaults = this.file.defaults ?? {};
    const account: AccountPolicy = this.file.accounts?.[accountId] ?? {};
    const webhooks = account.webhooks ?? defaults.webhooks ?? [];
    const pagerduty = account.pagerduty !== undefined ? account.pagerduty : (defaults.pagerduty ?? null);
    return {
      accountId,
      webhooks,
      pagerduty,
      autoSuspend: { ...DEFAULT_AUTO_SUSPEND, ...stripUndefined(defaults.autoSuspend), ...stripUndefined(account.autoSuspend) },
    };
  }

  /** Account ids that have an explicit policy. */
  accounts(): string[] {
    return Object.keys(this.file.accounts ?? {});
  }
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Fills the policy file's defaults from globally configured channels (boot config): with no
 * policy file at all, critical incidents page and warning/critical incidents are delivered to
 * the global webhook endpoints. Defaults written in the file win over the global channels.
 */
export function withGlobalChannels(
  file: RoutingPolicyFile,
  channels: { webhookEndpointIds?: string[]; pagerdutyRoutingKey?: string },
): RoutingPolicyFile {
  const defaults = file.defaults ?? {};
  return {
    ...file,
    defaults: {
      ...defaults,
      webhooks:
        defaults.webhooks ??
        (channels.webhookEndpointIds ?? []).map((endpointId) => ({ endpointId, severities: [...DEFAULT_WEBHOOK_SEVERITIES] })),
      pagerduty:
        defaults.pagerduty !== undefined
          ? defaults.pagerduty
          : channels.pagerdutyRoutingKey
            ? { routingKey: channels.pagerdutyRoutingKey, severities: [...DEFAULT_PAGE_SEVERITIES] }
            : null,
    },
  };
}
