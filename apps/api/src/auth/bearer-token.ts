import { createHash } from 'node:crypto';
import { UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';

/**
 * Tokens are compared by their SHA-256, so a lookup never depends on how many
 * leading characters of a guess were right.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** token → name map from config, re-keyed by digest. */
export function digestTokenMap(tokens: Map<string, string> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [token, name] of tokens ?? []) out.set(tokenDigest(token), name);
  return out;
}

/** The name the request's bearer token belongs to; 401 with a reason otherwise. */
export function authenticateBearer(request: Request, tokens: Map<string, string>, realm: string): string {
  const header = request.headers.authorization;
  if (!header) throw new UnauthorizedException(`missing bearer token: send "Authorization: Bearer <${realm} token>"`);
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedException('malformed Authorization header: expected "Bearer <token>"');
  const name = tokens.get(tokenDigest(match[1]));
  if (!name) throw new UnauthorizedException(`invalid ${realm} token`);
  return name;
}
