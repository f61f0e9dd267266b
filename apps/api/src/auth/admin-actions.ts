import { SetMetadata } from '@nestjs/common';

/**
 * Every admin action, checked per route. A token's scopes (ADMIN_SCOPES) are action
 * names, `<area>.*` wildcards or `*`; a name without an ADMIN_SCOPES entry may do
 * everything, so a plain ADMIN_TOKENS setup keeps working.
 */
export const ADMIN_ACTIONS = [
  'keys.read',
  'keys.suspend',
  'keys.resume',
  'incidents.read',
  'incidents.acknowledge',
  'incidents.resolve',
  'policies.read',
  'policies.replace',
  'webhooks.read',
  'audit.read',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export const ADMIN_ACTION_METADATA = 'spendguard:admin-action';

/** Marks a route handler with the action it performs (required on every admin route). */
export const RequiresAdminAction = (action: AdminAction) => SetMetadata(ADMIN_ACTION_METADATA, action);

/** Whether a scope list grants `action`. */
export function scopesAllow(scopes: readonly string[], action: AdminAction): boolean {
  const area = action.slice(0, action.indexOf('.'));
  return scopes.some((scope) => scope === '*' || scope === action || scope === `${area}.*` || (scope === 'read' && action.endsWith('.read')));
}
