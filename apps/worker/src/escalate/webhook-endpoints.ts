import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import {
  InMemoryWebhookEndpointStore,
  isValidWebhookSecret,
  validateWebhookUrl,
  type EndpointDisabledReason,
  type UrlPolicy,
  type WebhookEndpoint,
} from '@spendguard/escalation';

const ENDPOINT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Webhook endpoints from WEBHOOK_ENDPOINTS_FILE: a JSON list `[{id, url, secret, description?}]`.
 * Every entry is checked at boot (id format, unique ids, URL scheme, Standard Webhooks secret)
 * and every problem is reported at once; secrets never appear in errors or logs.
 */
export function parseWebhookEndpoints(input: unknown, policy: UrlPolicy): { ok: true; endpoints: WebhookEndpoint[] } | { ok: false; errors: string[] } {
  if (!Array.isArray(input)) return { ok: false, errors: ['(root): must be a JSON array of endpoints'] };
  const errors: string[] = [];
  const endpoints: WebhookEndpoint[] = [];
  const seen = new Set<string>();
  input.forEach((entry: unknown, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      errors.push(`${index}: must be an object {id, url, secret}`);
      return;
    }
    const { id, url, secret, description } = entry as Record<string, unknown>;
    const before = errors.length;
    if (typeof id !== 'string' || !ENDPOINT_ID.test(id)) errors.push(`${index}.id: 1–128 letters, digits and . _ : -`);
    else if (seen.has(id)) errors.push(`${index}.id: duplicate endpoint ${id}`);
    if (typeof url !== 'string') errors.push(`${index}.url: is required`);
    else {
      const refusal = validateWebhookUrl(url, policy);
      if (refusal) errors.push(`${index}.url: ${refusal}`);
    }
    if (typeof secret !== 'string' || !isValidWebhookSecret(secret)) errors.push(`${index}.secret: must be whsec_ + base64 of 24–64 bytes`);
    if (description !== undefined && typeof description !== 'string') errors.push(`${index}.description: must be a string`);
    if (errors.length === before) {
      seen.add(id as string);
      endpoints.push({ id: id as string, url: url as string, secret: secret as string, enabled: true });
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, endpoints };
}

export function loadWebhookEndpointsFile(path: string | undefined, policy: UrlPolicy): WebhookEndpoint[] {
  if (path === undefined || path === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`WEBHOOK_ENDPOINTS_FILE ${path}: ${(error as Error).message}`);
  }
  const parsed = parseWebhookEndpoints(json, policy);
  if (!parsed.ok) throw new Error(`WEBHOOK_ENDPOINTS_FILE ${path} is invalid:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.endpoints;
}

/**
 * Endpoints in memory. A disabled endpoint (410 Gone, retries exhausted) stays disabled until
 * the process restarts: the file is the source of truth and the disablement is logged for the
 * owner; persisting it is left to the control plane's endpoint API.
 */
export class WebhookEndpointRegistry extends InMemoryWebhookEndpointStore {
  private readonly logger = new Logger('WebhookEndpoints');

  constructor(readonly all: readonly WebhookEndpoint[]) {
    super([...all]);
  }

  ids(): string[] {
    return this.all.map((e) => e.id);
  }

  override async disable(id: string, reason: EndpointDisabledReason, at: number): Promise<void> {
    await super.disable(id, reason, at);
    this.logger.warn(`webhook endpoint disabled endpointId=${id} reason=${reason} at=${new Date(at).toISOString()}`);
  }
}
