/**
 * Refuses anything that looks like a raw AI-provider secret key.
 *
 * spendguard must never become the leak: gateways send a fingerprint of the key
 * (e.g. HMAC-SHA256 with a pepper) and at most a short display prefix such as
 * `sk-or-…a1b2`. A string that contains a full-length secret is refused wherever
 * it appears in the event, so it never reaches Kafka, ClickHouse or a log line.
 */

interface SecretPattern {
  readonly name: string;
  readonly pattern: RegExp;
}

// Lengths are the shortest real secrets of each family; display prefixes are far shorter.
const SECRET_PATTERNS: readonly SecretPattern[] = [
  { name: 'OpenAI/OpenRouter/Anthropic-style sk- key', pattern: /\bsk-[A-Za-z0-9_-]{20,}/ },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/ },
  { name: 'Groq key', pattern: /\bgsk_[A-Za-z0-9]{40,}/ },
  { name: 'xAI key', pattern: /\bxai-[A-Za-z0-9]{40,}/ },
  { name: 'Hugging Face token', pattern: /\bhf_[A-Za-z0-9]{30,}/ },
  { name: 'Replicate token', pattern: /\br8_[A-Za-z0-9]{30,}/ },
  { name: 'bearer credential', pattern: /\bBearer\s+[A-Za-z0-9._~+/-]{24,}/i },
];

/** No pattern matches fewer characters (`sk-` + 20); shorter strings are skipped. */
const SHORTEST_SECRET = 23;
/** A pattern can only match where one of these prefixes occurs; one scan rules most strings out. */
const ANY_PREFIX = /sk-|AIza|gsk_|xai-|hf_|r8_|bearer/i;

/** Name of the first secret pattern found in `text`, or undefined. */
export function findSecretPattern(text: string): string | undefined {
  if (text.length < SHORTEST_SECRET || !ANY_PREFIX.test(text)) return undefined;
  for (const { name, pattern } of SECRET_PATTERNS) {
    if (pattern.test(text)) return name;
  }
  return undefined;
}

/**
 * Walks every string (keys and values) of a parsed JSON value and returns the
 * path and pattern name of the first one that looks like a secret.
 */
export function findSecretInValue(value: unknown, path = ''): { path: string; pattern: string } | undefined {
  if (typeof value === 'string') {
    const pattern = findSecretPattern(value);
    return pattern ? { path: path || '(root)', pattern } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findSecretInValue(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      const keyHit = findSecretPattern(key);
      if (keyHit) return { path: childPath, pattern: keyHit };
      const hit = findSecretInValue(child, childPath);
      if (hit) return hit;
    }
  }
  return undefined;
}
