/**
 * Key status v1: published to the compacted `key-status` topic (message key =
 * keyId) whenever a key is suspended or resumed. The latest message per key is
 * the key's state; gateways consume the topic from the beginning.
 */
export type KeyState = 'active' | 'suspended';

export interface KeyStatus {
  v: 1;
  keyId: string;
  accountId: string;
  status: KeyState;
  /** RFC 3339 UTC. */
  changedAt: string;
  /** Who made the change: `policy:auto-suspend`, `admin:<name>`, `report:<id>`. */
  changedBy: string;
  reason: string;
  incidentId?: string;
}
