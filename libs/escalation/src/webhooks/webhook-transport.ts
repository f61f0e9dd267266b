import * as http from 'node:http';
import * as https from 'node:https';
import { EgressGuard } from './ssrf-guard';

/**
 * One HTTP attempt to a webhook endpoint, with the SSRF guard applied at connect time.
 * No redirects are followed (node:http never follows them; a 3xx is returned as is),
 * the response body is read up to a small cap and discarded, and the whole attempt is bounded
 * by `timeoutMs`.
 */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type TransportErrorKind = 'ssrf-blocked' | 'invalid-url' | 'timeout' | 'network';

export type WebhookTransportResult =
  | { kind: 'response'; status: number; retryAfter?: string; latencyMs: number }
  | { kind: 'error'; error: TransportErrorKind; message: string; latencyMs: number };

export interface WebhookTransport {
  send(request: WebhookRequest): Promise<WebhookTransportResult>;
}

export interface UrlPolicy {
  /** Permit plain http:// targets (tests, private deployments). Default false. */
  allowHttp?: boolean;
}

/** Checks an endpoint URL when it is registered; returns the reason when it is refused. */
export function validateWebhookUrl(url: string, policy: UrlPolicy = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'https:' && !(policy.allowHttp && parsed.protocol === 'http:')) {
    return policy.allowHttp ? 'URL must be http or https' : 'URL must be https';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'URL must not carry credentials';
  if (parsed.hostname === '') return 'URL has no host';
  return undefined;
}

export interface NodeHttpTransportOptions extends UrlPolicy {
  guard?: EgressGuard;
  /** Response bytes read before the body is discarded. */
  maxResponseBytes?: number;
  userAgent?: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

export class NodeHttpWebhookTransport implements WebhookTransport {
  private readonly guard: EgressGuard;

  constructor(private readonly options: NodeHttpTransportOptions = {}) {
    this.guard = options.guard ?? new EgressGuard();
  }

  send(request: WebhookRequest): Promise<WebhookTransportResult> {
    const started = performance.now();
    const latency = (): number => Math.round(performance.now() - started);
    const refusal = validateWebhookUrl(request.url, this.options);
    if (refusal) return Promise.resolve({ kind: 'error', error: 'invalid-url', message: refusal, latencyMs: 0 });
    const url = new URL(request.url);
    const literalBlock = this.guard.checkLiteralHost(url.hostname);
    if (literalBlock) return Promise.resolve({ kind: 'error', error: 'ssrf-blocked', message: literalBlock.message, latencyMs: 0 });

    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: WebhookTransportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = client.request(
        url,
        {
          method: 'POST',
          agent: false,
          lookup: this.guard.lookup,
          headers: {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(request.body)),
            'user-agent': this.options.userAgent ?? 'spendguard-webhooks/1',
            ...request.headers,
          },
        },
        (res) => {
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > (this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES)) res.destroy();
          });
          const done = (): void => {
            const retryAfter = res.headers['retry-after'];
            finish({ kind: 'response', status: res.statusCode ?? 0, latencyMs: latency(), ...(retryAfter !== undefined ? { retryAfter } : {}) });
          };
          res.on('end', done);
          res.on('close', done);
          res.on('error', done);
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish({ kind: 'error', error: 'timeout', message: `no response within ${request.timeoutMs} ms`, latencyMs: latency() });
      }, request.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        const blocked = error.code === 'ESSRFBLOCKED';
        finish({ kind: 'error', error: blocked ? 'ssrf-blocked' : 'network', message: error.message, latencyMs: latency() });
      });
      req.end(request.body);
    });
  }
}
