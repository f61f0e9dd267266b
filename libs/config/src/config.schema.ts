import { z } from 'zod';
import { DEFAULT_TOPICS } from '@spendguard/contracts/topics';

/**
 * Every environment variable spendguard reads, with its description. Secrets
 * are marked sensitive (never printed) and have no defaults.
 */
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const list = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean));

/** `name:token,name:token` pairs, e.g. one per gateway or per admin. */
const tokenPairs = z.string().transform((s, ctx) => {
  const out = new Map<string, string>();
  for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const name = pair.slice(0, at);
    const token = pair.slice(at + 1);
    if (at <= 0 || token.length < 16) {
      ctx.addIssue({ code: 'custom', message: 'each entry must be name:token with a token of at least 16 characters' });
      return z.NEVER;
    }
    out.set(token, name);
  }
  return out;
});

/** `name:scope|scope,name:scope` — the scopes of each admin (see apps/api/src/auth/admin-actions.ts). */
const scopeLists = z.string().transform((s, ctx) => {
  const out = new Map<string, string[]>();
  for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const scopes = pair.slice(at + 1).split('|').map((p) => p.trim()).filter(Boolean);
    if (at <= 0 || scopes.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'each entry must be name:scope|scope…, e.g. oncall:keys.*|incidents.*' });
      return z.NEVER;
    }
    out.set(pair.slice(0, at), scopes);
  }
  return out;
});

export const WORKER_ROLES = ['sink', 'detect', 'escalate'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export const configVariables = {
  KAFKA_BROKERS: list.default(['127.0.0.1:9092']).describe('Kafka bootstrap servers, comma separated'),
  KAFKA_CLIENT_ID: z.string().default('spendguard').describe('Kafka client id prefix'),
  TOPIC_USAGE_EVENTS: z.string().default(DEFAULT_TOPICS.usageEvents).describe('Topic gateways publish usage events to'),
  TOPIC_USAGE_EVENTS_DLQ: z.string().default(DEFAULT_TOPICS.usageEventsDeadLetter).describe('Dead-letter topic for invalid usage events'),
  TOPIC_FINDINGS: z.string().default(DEFAULT_TOPICS.findings).describe('Topic detector findings are published to'),
  TOPIC_KEY_STATUS: z.string().default(DEFAULT_TOPICS.keyStatus).describe('Compacted topic of key suspensions, consumed by gateways'),
  TOPIC_CONTROL_COMMANDS: z.string().default(DEFAULT_TOPICS.controlCommands).describe('Topic the api sends incident and policy commands to the worker on'),
  TOPIC_PARTITIONS: int(4, 1).describe('Partitions of topics spendguard creates'),

  CLICKHOUSE_URL: z.url().default('http://127.0.0.1:8123').describe('ClickHouse HTTP endpoint'),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('spendguard').describe('ClickHouse database'),
  CLICKHOUSE_USER: z.string().default('default').describe('ClickHouse user'),
  CLICKHOUSE_PASSWORD: z.string().default('').describe('ClickHouse password (sensitive)'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: int(30_000, 1000).describe('ClickHouse request timeout'),

  API_HOST: z.string().default('127.0.0.1').describe('Address the HTTP API listens on'),
  API_PORT: int(3000).describe('Port the HTTP API listens on'),
  INGEST_TOKENS: tokenPairs.optional().describe('Gateway bearer tokens for POST /v1/events as gatewayId:token,… (sensitive)'),
  ADMIN_TOKENS: tokenPairs.optional().describe('Admin bearer tokens as name:token,… (sensitive)'),
  ADMIN_SCOPES: scopeLists
    .optional()
    .describe('Per-admin scopes as name:scope|scope,… (action names like keys.suspend, area.*, read, *); admins not listed may do everything'),
  INGEST_MAX_BODY_BYTES: int(5 * 1024 * 1024, 1024).describe('Largest accepted ingest request body'),
  INGEST_REQUESTS_PER_SECOND: int(200, 1).describe('Ingest requests accepted per gateway per second (then 429)'),
  INGEST_MAX_EVENTS_PER_REQUEST: int(10_000, 1).describe('Most events accepted in one ingest request'),
  EVENT_MAX_PAST_SECONDS: int(7 * 24 * 3600, 1).describe('Oldest event time accepted, seconds before now'),
  EVENT_MAX_FUTURE_SECONDS: int(300, 0).describe('Newest event time accepted, seconds after now'),

  WORKER_ROLES: list
    .pipe(z.array(z.enum(WORKER_ROLES)).min(1))
    .default([...WORKER_ROLES])
    .describe('Roles this worker process runs: sink, detect, escalate'),
  WORKER_HTTP_PORT: int(3001).describe('Port of the worker\'s /healthz and /metrics (0 = none)'),
  SINK_GROUP_ID: z.string().default('spendguard-sink').describe('Consumer group of the sink role'),
  SINK_FLUSH_ROWS: int(50_000, 1).describe('Sink flushes to ClickHouse when this many rows are buffered'),
  SINK_FLUSH_INTERVAL_MS: int(1000, 10).describe('Sink flushes at least this often'),
  SINK_MAX_BUFFER_ROWS: int(200_000, 1).describe('Rows the sink buffers before pausing consumption'),
  SINK_RETRY_MAX_MS: int(30_000, 100).describe('Longest backoff between ClickHouse retries'),
  SINK_DEDUPE_IDS: int(1_000_000, 0).describe('Recently inserted event ids the sink remembers to drop resends'),

  DETECT_GROUP_ID: z.string().default('spendguard-detect').describe('Consumer group of the detect role'),
  DETECTION_POLICY_FILE: z.string().optional().describe('JSON detection policy (thresholds, caps per account/key); defaults protect every key'),
  DETECT_SNAPSHOT_INTERVAL_MS: int(10_000, 100).describe('How often the detect role saves its state and commits offsets'),
  DETECTION_POLICY_RELOAD_MS: int(5000).describe('How often the detect role checks DETECTION_POLICY_FILE and the accounts\' detection policies set through the API for changes and applies a valid new version (0 = only at start, and the file on SIGHUP)'),
  DETECT_SEED_LOOKBACK_HOURS: int(14 * 24)
    .describe('Hours of usage_minute_rollups a detect partition without saved state learns its baselines from before replaying Kafka (0 = start from priors)'),

  ESCALATE_GROUP_ID: z.string().default('spendguard-escalate').describe('Consumer group of the escalate role'),
  ROUTING_POLICY_FILE: z.string().optional().describe('JSON routing policy: which severities go to which webhooks / PagerDuty, auto-suspend per account'),
  WEBHOOK_ENDPOINTS_FILE: z.string().optional().describe('JSON list of webhook endpoints [{id, url, secret}] (secrets: sensitive)'),
  WEBHOOK_ALLOW_HTTP: z.stringbool().default(false).describe('Allow http:// webhook targets (https only by default)'),
  WEBHOOK_ALLOW_CIDRS: list.default([]).describe('Private-network CIDRs webhook targets may resolve to (refused by default)'),
  WEBHOOK_RETRY_SCHEDULE_SECONDS: list
    .pipe(z.array(z.coerce.number<string>().min(0)).min(1))
    .default([0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400])
    .describe('Delay before each webhook attempt (Standard Webhooks schedule by default)'),
  WEBHOOK_TIMEOUT_MS: int(15_000, 100).describe('Webhook request timeout'),
  PAGERDUTY_EVENTS_URL: z.url().default('https://events.pagerduty.com').describe('PagerDuty Events API v2 base URL'),
  PAGERDUTY_ROUTING_KEY: z.string().length(32).optional().describe('Default PagerDuty integration key for critical incidents (sensitive)'),
  PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:3000').describe('Base URL of the api, for links in pages and webhooks'),
  INCIDENT_QUIET_MINUTES: z.coerce.number().min(0.05).default(15).describe('Minutes without findings after which an incident auto-resolves (fractions allowed, e.g. 0.5)'),
  ESCALATE_TICK_INTERVAL_MS: int(10_000, 100).describe('How often the escalate role checks incidents for auto-resolution'),
  INCIDENT_COOLDOWN_MINUTES: int(60, 0).describe('A finding this soon after a resolution reopens the incident instead of a new one'),
  REPORTS_PER_MINUTE: int(10, 1).describe('Abuse reports accepted per client IP per minute'),

  RETENTION_DAYS: int(90, 1).describe('Days of usage events kept in ClickHouse'),
  RETENTION_CRON: z.string().default('17 3 * * *').describe('When the retention job drops old partitions (cron, UTC)'),

  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log').describe('Lowest log level printed'),
};

export const SENSITIVE_VARIABLES = new Set(['CLICKHOUSE_PASSWORD', 'INGEST_TOKENS', 'ADMIN_TOKENS', 'PAGERDUTY_ROUTING_KEY']);

export const configSchema = z.object(configVariables);
export type AppConfig = z.output<typeof configSchema>;
