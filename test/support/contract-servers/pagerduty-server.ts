import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local PagerDuty Events API v2 that enforces the contract in shared/CONTRACTS.md:
 * `POST /v2/enqueue`, JSON body ≤ 512 KB, `routing_key` of 32 characters, `event_action`
 * trigger | acknowledge | resolve, for trigger a payload with summary (≤ 1024), source and
 * severity (critical | error | warning | info), `dedup_key` ≤ 255 and required for
 * acknowledge/resolve, optional fields type-checked, image `src` https. Answers 202
 * `{status:'success', message:'Event processed', dedup_key}` or 400 `{status:'invalid event',
 * message, errors[]}`. It keeps alerts with PagerDuty's dedup semantics (per routing key):
 * a trigger opens an alert or updates the open one, acknowledge/resolve act on the open one
 * (or are dropped), a trigger after a resolve opens a new alert, a trigger without a dedup key
 * always opens a new alert. Tests can script failures (429/5xx) for the next N requests and
 * enable the 120 events/min per routing key rate limit.
 */
export type AlertStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface Alert {
  number: number;
  routingKey: string;
  dedupKey: string;
  status: AlertStatus;
  summary: string;
  severity: string;
  /** Event actions applied to this alert, in order. */
  actions: string[];
  triggerCount: number;
  lastPayload: Record<string, unknown>;
  links: unknown[];
}

export interface ReceivedEvent {
  body: Record<string, unknown>;
  status: number;
  /** What happened: opened / updated / acknowledged / resolved / dropped. */
  effect?: 'opened' | 'updated' | 'acknowledged' | 'resolved' | 'dropped';
  alertNumber?: number;
}

const MAX_BODY_BYTES = 512 * 1024;
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);

export class PagerDutyServer {
  readonly alerts: Alert[] = [];
  /** Every request that reached validation (accepted and rejected), in order. */
  readonly received: ReceivedEvent[] = [];
  requestCount = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly failures: Array<{ status: number; retryAfter?: string }> = [];
  private rateLimitPerMinute: number | undefined;
  private readonly recentByRoutingKey = new Map<string, number[]>();
  private port = 0;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<PagerDutyServer> {
    const server = new PagerDutyServer();
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    server.port = (server.server.address() as AddressInfo).port;
    return server;
  }

  /** Base URL to give the client (`PAGERDUTY_EVENTS_URL`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Answers the next `times` requests with `status` (e.g. 429, 500, 503) before any validation. */
  failNext(times: number, status: number, retryAfter?: string): void {
    for (let i = 0; i < times; i += 1) this.failures.push({ status, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }

  /** Enforces PagerDuty's per-routing-key rate limit (about 120 events per minute). */
  enableRateLimit(perMinute = 120): void {
    this.rateLimitPerMinute = perMinute;
  }

  /** Accepted events (202) in order. */
  get events(): ReceivedEvent[] {
    return this.received.filter((e) => e.status === 202);
  }

  alertsFor(dedupKey: string, routingKey?: string): Alert[] {
    return this.alerts.filter((a) => a.dedupKey === dedupKey && (routingKey === undefined || a.routingKey === routingKey));
  }

  openAlerts(): Alert[] {
    return this.alerts.filter((a) => a.status !== 'resolved');
  }

  async waitFor(predicate: (server: PagerDutyServer) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`PagerDuty server: condition not met within ${timeoutMs} ms (${this.received.length} events received)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount += 1;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk as Buffer);
    }
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') {
      send(res, 404, { status: 'not found', message: `no route ${req.method ?? '?'} ${req.url ?? '?'}` });
      return;
    }
    const failure = this.failures.shift();
    if (failure) {
      send(res, failure.status, { status: 'error', message: `scripted ${failure.status}` }, failure.retryAfter !== undefined ? { 'retry-after': failure.retryAfter } : {});
      return;
    }
    if (tooLarge) {
      this.reject(res, {}, ['Event object is larger than 512 KB']);
      return;
    }
    if (!String(req.headers['content-type'] ?? '').includes('application/json')) {
      this.reject(res, {}, ['Content-Type must be application/json']);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      this.reject(res, {}, ['Event object is invalid JSON']);
      return;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.reject(res, {}, ['Event object must be a JSON object']);
      return;
    }
    const event = body as Record<string, unknown>;
    const errors = validateEvent(event);
    if (errors.length > 0) {
      this.reject(res, event, errors);
      return;
    }
    const routingKey = event.routing_key as string;
    if (this.rateLimited(routingKey)) {
      send(res, 429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' });
      return;
    }
    const received = this.apply(event);
    this.received.push(received);
    send(res, 202, { status: 'success', message: 'Event processed', dedup_key: received.alertNumber !== undefined ? this.alerts[received.alertNumber - 1]!.dedupKey : event.dedup_key });
  }

  private apply(event: Record<string, unknown>): ReceivedEvent {
    const routingKey = event.routing_key as string;
    const action = event.event_action as string;
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : undefined;
    const open = dedupKey === undefined ? undefined : this.alerts.find((a) => a.routingKey === routingKey && a.dedupKey === dedupKey && a.status !== 'resolved');
    if (action === 'trigger') {
      const payload = event.payload as Record<string, unknown>;
      if (open) {
        open.triggerCount += 1;
        open.actions.push('trigger');
        open.summary = payload.summary as string;
        open.severity = payload.severity as string;
        open.lastPayload = payload;
        return { body: event, status: 202, effect: 'updated', alertNumber: open.number };
      }
      const alert: Alert = {
        number: this.alerts.length + 1,
        routingKey,
        dedupKey: dedupKey ?? randomBytes(16).toString('hex'),
        status: 'triggered',
        summary: payload.summary as string,
        severity: payload.severity as string,
        actions: ['trigger'],
        triggerCount: 1,
        lastPayload: payload,
        links: Array.isArray(event.links) ? event.links : [],
      };
      this.alerts.push(alert);
      return { body: event, status: 202, effect: 'opened', alertNumber: alert.number };
    }
    if (!open) return { body: event, status: 202, effect: 'dropped' };
    open.actions.push(action);
    if (action === 'acknowledge') {
      open.status = 'acknowledged';
      return { body: event, status: 202, effect: 'acknowledged', alertNumber: open.number };
    }
    open.status = 'resolved';
    return { body: event, status: 202, effect: 'resolved', alertNumber: open.number };
  }

  private rateLimited(routingKey: string): boolean {
    if (this.rateLimitPerMinute === undefined) return false;
    const now = Date.now();
    const recent = (this.recentByRoutingKey.get(routingKey) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.rateLimitPerMinute) return true;
    recent.push(now);
    this.recentByRoutingKey.set(routingKey, recent);
    return false;
  }

  private reject(res: ServerResponse, body: Record<string, unknown>, errors: string[]): void {
    this.received.push({ body, status: 400 });
    send(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** Every contract violation in one event. */
export function validateEvent(event: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (!isString(event.routing_key) || event.routing_key.length !== 32) errors.push("'routing_key' must be a 32 character string");
  if (!isString(event.event_action) || !ACTIONS.has(event.event_action)) errors.push("'event_action' must be one of trigger, acknowledge, resolve");
  if (event.dedup_key !== undefined && (!isString(event.dedup_key) || event.dedup_key.length === 0 || event.dedup_key.length > 255)) {
    errors.push("'dedup_key' must be a string of at most 255 characters");
  }
  if ((event.event_action === 'acknowledge' || event.event_action === 'resolve') && !isString(event.dedup_key)) {
    errors.push(`'dedup_key' is required for ${event.event_action}`);
  }
  if (event.event_action === 'trigger') {
    const payload = event.payload;
    if (!isObject(payload)) errors.push("'payload' is required for trigger");
    else {
      if (!isString(payload.summary) || payload.summary.length === 0) errors.push("'payload.summary' is required");
      else if (payload.summary.length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      if (!isString(payload.source) || payload.source.length === 0) errors.push("'payload.source' is required");
      if (!isString(payload.severity) || !SEVERITIES.has(payload.severity)) errors.push("'payload.severity' must be one of critical, error, warning, info");
      if (payload.timestamp !== undefined && (!isString(payload.timestamp) || Number.isNaN(Date.parse(payload.timestamp)))) errors.push("'payload.timestamp' must be ISO 8601");
      for (const field of ['component', 'group', 'class'] as const) {
        if (payload[field] !== undefined && !isString(payload[field])) errors.push(`'payload.${field}' must be a string`);
      }
      if (payload.custom_details !== undefined && !isObject(payload.custom_details)) errors.push("'payload.custom_details' must be an object");
    }
  }
  if (event.links !== undefined) {
    if (!Array.isArray(event.links)) errors.push("'links' must be an array");
    else event.links.forEach((link, i) => {
      if (!isObject(link) || !isString(link.href)) errors.push(`'links[${i}].href' is required`);
    });
  }
  if (event.images !== undefined) {
    if (!Array.isArray(event.images)) errors.push("'images' must be an array");
    else event.images.forEach((image, i) => {
      if (!isObject(image) || !isString(image.src) || !image.src.startsWith('https://')) errors.push(`'images[${i}].src' must be an https URL`);
    });
  }
  for (const field of ['client', 'client_url'] as const) {
    if (event[field] !== undefined && !isString(event[field])) errors.push(`'${field}' must be a string`);
  }
  return errors;
}
