import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateWebhookSecret } from '@spendguard/escalation';

/**
 * A webhook target that enforces Standard Webhooks 1.0 (see shared/CONTRACTS.md): every
 * request must carry `webhook-id`, `webhook-timestamp` and a `webhook-signature` that the
 * `standardwebhooks` package verifies with this endpoint's secret (±5 min tolerance);
 * otherwise 401. Verified requests are recorded, then answered as the test asks: 204 by
 * default, or a scripted status (410, 429 + Retry-After, 302, 500 …), or slowly; the receiver
 * can also go down (listener closed: connection refused) and come back on the same port.
 */
export interface VerifiedDelivery {
  messageId: string;
  timestamp: number;
  body: string;
  payload: unknown;
  receivedAt: number;
  /** Status this request was answered with. */
  answeredWith: number;
}

export type ReceiverBehaviour =
  | { kind: 'ok'; status?: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'slow'; delayMs: number; status?: number };

export interface RejectedRequest {
  reason: string;
  headers: Record<string, string | string[] | undefined>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export class WebhookReceiver {
  readonly deliveries: VerifiedDelivery[] = [];
  readonly rejected: RejectedRequest[] = [];
  requestCount = 0;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly scripted: ReceiverBehaviour[] = [];
  private fallback: ReceiverBehaviour = { kind: 'ok' };
  private listeningPort = 0;
  private waiters: Array<() => void> = [];
  private readonly verifier: Webhook;

  private constructor(readonly secret: string, readonly path: string) {
    this.verifier = new Webhook(secret);
    this.server = this.createServer();
  }

  static async start(options: { secret?: string; path?: string } = {}): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(options.secret ?? generateWebhookSecret(), options.path ?? '/hooks/spendguard');
    await receiver.listen(0);
    return receiver;
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}${this.path}`;
  }

  /** Answers the next `times` verified requests with `behaviour`, then falls back. */
  respondNext(times: number, behaviour: ReceiverBehaviour): void {
    for (let i = 0; i < times; i += 1) this.scripted.push(behaviour);
  }

  /** Behaviour once the scripted answers are used up. */
  setDefault(behaviour: ReceiverBehaviour): void {
    this.fallback = behaviour;
  }

  /** Distinct message ids delivered (a retried message counts once). */
  uniqueMessageIds(): string[] {
    return [...new Set(this.deliveries.filter((d) => d.answeredWith < 300).map((d) => d.messageId))];
  }

  /** Closes the listener and every open connection: new connections are refused. */
  async goDown(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async comeBack(): Promise<void> {
    this.server = this.createServer();
    await this.listen(this.listeningPort);
  }

  /** Resolves once `count` requests were verified and answered with 2xx. */
  async waitForDeliveries(count: number, timeoutMs = 5000): Promise<VerifiedDelivery[]> {
    const deadline = Date.now() + timeoutMs;
    const ok = (): VerifiedDelivery[] => this.deliveries.filter((d) => d.answeredWith >= 200 && d.answeredWith < 300);
    while (ok().length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`expected ${count} deliveries, got ${ok().length} (requests: ${this.requestCount}, rejected: ${this.rejected.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return ok();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private createServer(): Server {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.listeningPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount += 1;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST' || req.url !== this.path) {
      this.reject(res, 404, `unexpected ${req.method ?? '?'} ${req.url ?? '?'}`, req);
      return;
    }
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    let payload: unknown;
    try {
      payload = this.verifier.verify(body, headers);
    } catch (error) {
      const reason = error instanceof WebhookVerificationError ? error.message : `invalid: ${String(error)}`;
      this.reject(res, 401, reason, req);
      return;
    }
    const behaviour = this.scripted.shift() ?? this.fallback;
    if (behaviour.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    const status = behaviour.kind === 'status' ? behaviour.status : (behaviour.status ?? 204);
    if (res.destroyed) return;
    this.deliveries.push({
      messageId: headers['webhook-id'],
      timestamp: Number(headers['webhook-timestamp']),
      body,
      payload,
      receivedAt: Date.now(),
      answeredWith: status,
    });
    res.writeHead(status, behaviour.kind === 'status' ? (behaviour.headers ?? {}) : {}).end();
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private reject(res: ServerResponse, status: number, reason: string, req: IncomingMessage): void {
    this.rejected.push({ reason, headers: req.headers });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: reason }));
  }
}
