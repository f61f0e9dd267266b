/**
 * Standard Webhooks retry schedule: delay before each attempt, the first being immediate.
 * After the last attempt fails the delivery has failed and the endpoint is disabled.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const STANDARD_WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];

/** Default ± fraction of jitter applied to each delay. */
export const DEFAULT_JITTER_RATIO = 0.2;

/** `delay` ± `ratio`·`delay`, using `random` ∈ [0, 1). */
export function withJitter(delayMs: number, ratio: number, random: () => number): number {
  if (delayMs <= 0 || ratio <= 0) return Math.max(0, delayMs);
  return Math.max(0, Math.round(delayMs * (1 + ratio * (2 * random() - 1))));
}

/**
 * Parses a `Retry-After` header (delta seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
