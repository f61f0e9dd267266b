import { createHash } from 'node:crypto';
import type { DetectorFamily } from './detector-family';

/** PagerDuty accepts dedup keys up to 255 characters. */
export const MAX_DEDUP_KEY_LENGTH = 255;
/** Ids longer than this, or holding characters outside the safe set, are hashed. */
const MAX_ID_PART_LENGTH = 64;
const SAFE_ID_PART = /^[A-Za-z0-9._-]+$/;

function idPart(id: string): string {
  if (id.length <= MAX_ID_PART_LENGTH && SAFE_ID_PART.test(id)) return id;
  return `h-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/**
 * Deterministic incident dedup key: `sg:<accountId>:<keyId|*>:<family>`.
 * The same account / key / detector family always gives the same key, so PagerDuty and
 * webhook consumers see one incident per drain; ids that are long or carry separators are
 * replaced by a SHA-256 prefix so the key stays unambiguous and ≤ 255 characters.
 *
 * @example incidentDedupKey('acct_1', 'key_9', 'burst') === 'sg:acct_1:key_9:burst'
 */
export function incidentDedupKey(accountId: string, keyId: string | undefined, family: DetectorFamily): string {
  return `sg:${idPart(accountId)}:${keyId === undefined ? '*' : idPart(keyId)}:${family}`;
}

/** Deterministic incident id for the episode of `dedupKey` opened at `openedAtMs`. */
export function incidentId(dedupKey: string, openedAtMs: number): string {
  return `inc_${createHash('sha256').update(`${dedupKey}|${openedAtMs}`).digest('hex').slice(0, 24)}`;
}
