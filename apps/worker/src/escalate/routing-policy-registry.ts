import { readFileSync } from 'node:fs';
import {
  EMPTY_ROUTING_POLICY,
  parseRoutingPolicy,
  RoutingPolicyBook,
  withGlobalChannels,
  type AccountPolicy,
  type ResolvedRoutingPolicy,
  type RoutingPolicyFile,
  type RoutingPolicyResolver,
} from '@spendguard/escalation';

/**
 * The routing policy in force: ROUTING_POLICY_FILE (validated at boot, every error at once),
 * its defaults filled from the global channels (every configured webhook endpoint and
 * PAGERDUTY_ROUTING_KEY, via `withGlobalChannels`), and per-account overrides from the
 * control plane (`account_policies` at start, `policy.replaced` commands later). An account
 * override replaces that account's section of the file; `routing` absent restores the file's.
 */
export class RoutingPolicyRegistry implements RoutingPolicyResolver {
  private readonly overrides = new Map<string, AccountPolicy>();
  private book: RoutingPolicyBook;

  constructor(
    private readonly base: RoutingPolicyFile,
    private readonly knownEndpointIds: ReadonlySet<string>,
  ) {
    this.book = new RoutingPolicyBook(base);
  }

  resolve(accountId: string): ResolvedRoutingPolicy {
    return this.book.resolve(accountId);
  }

  /** Validates and applies an account's routing section; invalid input changes nothing. */
  replaceAccount(accountId: string, routing: unknown): { ok: true } | { ok: false; errors: string[] } {
    if (routing === undefined || routing === null) {
      this.overrides.delete(accountId);
    } else {
      const parsed = parseRoutingPolicy({ version: 1, accounts: { [accountId]: routing } }, { knownEndpointIds: this.knownEndpointIds });
      if (!parsed.ok) return parsed;
      const section = parsed.policy.accounts?.[accountId];
      if (section) this.overrides.set(accountId, section);
    }
    this.book = new RoutingPolicyBook({ ...this.base, accounts: { ...(this.base.accounts ?? {}), ...Object.fromEntries(this.overrides) } });
    return { ok: true };
  }
}

export function loadRoutingPolicy(
  path: string | undefined,
  channels: { webhookEndpointIds: string[]; pagerdutyRoutingKey?: string },
): RoutingPolicyFile {
  let file = EMPTY_ROUTING_POLICY;
  if (path !== undefined && path !== '') {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`ROUTING_POLICY_FILE ${path}: ${(error as Error).message}`);
    }
    const parsed = parseRoutingPolicy(json, { knownEndpointIds: new Set(channels.webhookEndpointIds) });
    if (!parsed.ok) throw new Error(`ROUTING_POLICY_FILE ${path} is invalid:\n  ${parsed.errors.join('\n  ')}`);
    file = parsed.policy;
  }
  return withGlobalChannels(file, channels);
}
