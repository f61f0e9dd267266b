import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';

/** An endpoint as the API shows it: never its secret. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description?: string;
  accountId?: string;
}

const endpointFileSchema = z.array(
  z.looseObject({
    id: z.string().min(1),
    url: z.string().min(1),
    description: z.string().optional(),
    accountId: z.string().optional(),
  }),
);

/**
 * Reads WEBHOOK_ENDPOINTS_FILE (`[{id, url, secret, description?}]`) once, keeping only
 * what may be shown: the secrets are dropped as the file is parsed. The worker validates
 * the file fully (secret format); an unreadable file here yields an empty list and a
 * warning rather than a failed boot.
 */
@Injectable()
export class WebhookEndpointsReader {
  private readonly logger = new Logger(WebhookEndpointsReader.name);
  private cached: WebhookEndpointView[] | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  list(): WebhookEndpointView[] {
    this.cached ??= this.load();
    return this.cached;
  }

  ids(): Set<string> {
    return new Set(this.list().map((e) => e.id));
  }

  private load(): WebhookEndpointView[] {
    const file = this.config.WEBHOOK_ENDPOINTS_FILE;
    if (!file) return [];
    try {
      const parsed = endpointFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) {
        this.logger.warn(`WEBHOOK_ENDPOINTS_FILE ${file} is not a list of {id, url, secret}; no endpoints listed`);
        return [];
      }
      return parsed.data.map((e) => ({
        id: e.id,
        url: redactUrlCredentials(e.url),
        ...(e.description ? { description: e.description } : {}),
        ...(e.accountId ? { accountId: e.accountId } : {}),
      }));
    } catch (error) {
      this.logger.warn(`WEBHOOK_ENDPOINTS_FILE ${file} unreadable: ${(error as Error).message}`);
      return [];
    }
  }
}

/** `https://user:pass@host/…` → `https://***@host/…`; query strings may hold tokens too. */
function redactUrlCredentials(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.username || url.password) {
      url.username = '***';
      url.password = '';
    }
    const hadQuery = url.search.length > 0;
    url.search = '';
    return hadQuery ? `${url.toString()}?…` : url.toString();
  } catch {
    return '(invalid url)';
  }
}
