import { z } from 'zod';
import type { AccountPolicy } from '@spendguard/contracts/control-command';
import { parseDetectionPolicy } from '@spendguard/detectors';
import { parseRoutingPolicy } from '@spendguard/escalation/policy/routing-policy';

export const accountPolicyBodySchema = z.strictObject({
  detection: z.unknown().optional(),
  routing: z.unknown().optional(),
});

export type AccountPolicyValidation = { ok: true; policy: AccountPolicy } | { ok: false; errors: string[] };

/**
 * Validates an account's policy with the owning libraries' parsers, as the account
 * section of each policy file, and lists every problem of both parts at once with
 * paths relative to the body (`detection.thresholds.zscore: …`, `routing.pagerduty…`).
 */
export function validateAccountPolicy(accountId: string, body: unknown, knownEndpointIds: ReadonlySet<string>): AccountPolicyValidation {
  const shape = accountPolicyBodySchema.safeParse(body);
  if (!shape.success) {
    return { ok: false, errors: shape.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`) };
  }
  const errors: string[] = [];
  const prefix = `accounts.${accountId}`;
  const relabel = (part: string) => (error: string) =>
    error.startsWith(`${prefix}.`) ? `${part}.${error.slice(prefix.length + 1)}` : error.startsWith(`${prefix}:`) ? `${part}${error.slice(prefix.length)}` : `${part}: ${error}`;

  const { detection, routing } = shape.data;
  if (detection !== undefined) {
    const parsed = parseDetectionPolicy({ accounts: { [accountId]: detection } });
    if (!parsed.ok) errors.push(...parsed.errors.map(relabel('detection')));
  }
  if (routing !== undefined) {
    const parsed = parseRoutingPolicy({ version: 1, accounts: { [accountId]: routing } }, { knownEndpointIds });
    if (!parsed.ok) errors.push(...parsed.errors.map(relabel('routing')));
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: { ...(detection !== undefined ? { detection } : {}), ...(routing !== undefined ? { routing } : {}) },
  };
}
