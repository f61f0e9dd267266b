import { findSecretInValue, findSecretPattern } from '@spendguard/contracts/secret-scan';

export type RedactResult = { ok: true; text: string; redacted: number } | { ok: false };

/**
 * Replaces every whitespace-separated token of free text that looks like a raw secret
 * key with `[redacted: <kind>]`. If the text still looks like it holds a secret
 * afterwards (a secret spread over several tokens, e.g. `Bearer <token>`), the whole
 * text is refused: a raw key must never reach storage or logs.
 */
export function redactSecrets(text: string): RedactResult {
  let redacted = 0;
  const parts = text.split(/(\s+)/);
  for (let i = 0; i < parts.length; i++) {
    const kind = parts[i].trim() ? findSecretPattern(parts[i]) : undefined;
    if (kind) {
      parts[i] = `[redacted: ${kind}]`;
      redacted++;
    }
  }
  // "Bearer <token>" is two tokens; drop the credential after a lone "Bearer".
  for (let i = 0; i + 2 < parts.length; i++) {
    if (/^bearer$/i.test(parts[i]) && parts[i + 2].length >= 24 && !parts[i + 2].startsWith('[redacted')) {
      parts[i + 2] = '[redacted: bearer credential]';
      redacted++;
    }
  }
  const out = parts.join('');
  if (findSecretInValue(out)) return { ok: false };
  return { ok: true, text: out, redacted };
}
