/**
 * The demo's story: a few keys with normal history, then one key leaks and is
 * drained. Prints what spendguard saw and did, with times and dollars.
 *
 *   npx tsx scripts/demo/attack.ts   (scripts/demo.sh starts everything first)
 *
 * Talks to the api only over HTTP, like a gateway and an on-call engineer would.
 */
import { randomUUID } from 'node:crypto';

const API = process.env.DEMO_API_URL ?? 'http://127.0.0.1:3000';
const GATEWAY_TOKEN = process.env.DEMO_GATEWAY_TOKEN ?? '';
const ADMIN_TOKEN = process.env.DEMO_ADMIN_TOKEN ?? '';
const GATEWAY_ID = process.env.DEMO_GATEWAY_ID ?? 'gw-demo';
const MINUTE = 60_000;
const HISTORY_HOURS = 26;
const ATTACK_REQUESTS_PER_SECOND = 20;
const ATTACK_USD_PER_REQUEST = 0.15;

interface Key {
  accountId: string;
  keyId: string;
  perMinuteUsd: number;
}

const keys: Key[] = [
  { accountId: 'acme', keyId: 'kf_acme_web_7c1e', perMinuteUsd: 0.03 },
  { accountId: 'acme', keyId: 'kf_acme_batch_2b9d', perMinuteUsd: 0.08 },
  { accountId: 'globex', keyId: 'kf_globex_app_91aa', perMinuteUsd: 0.02 },
];
const victim = keys[0];

function event(key: Key, time: number, costUsd: number, model: string, ip: string, country: string) {
  return {
    id: randomUUID(),
    time,
    accountId: key.accountId,
    keyId: key.keyId,
    model,
    provider: model.startsWith('claude') ? 'anthropic' : 'openai',
    inputTokens: Math.round(costUsd * 200_000),
    outputTokens: Math.round(costUsd * 50_000),
    costUsd: Math.round(costUsd * 1e6) / 1e6,
    status: 200,
    latencyMs: 400 + Math.round(Math.random() * 600),
    ip,
    country,
    userAgent: 'acme-app/3.2',
    gatewayId: GATEWAY_ID,
    attributes: { keyPrefix: `sk-…${key.keyId.slice(-4)}` },
  };
}

async function post(path: string, body: unknown, token: string): Promise<Response> {
  return fetch(`${API}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

async function publish(events: unknown[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5000) {
    const response = await post('/v1/events', events.slice(i, i + 5000), GATEWAY_TOKEN);
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  }
}

async function getJson<T>(path: string, token: string): Promise<T | undefined> {
  const response = await fetch(`${API}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return response.ok ? ((await response.json()) as T) : undefined;
}

interface Incident {
  id: string;
  family: string;
  severity: string;
  peak: { explanation: string };
}

const clock = (start: number) => `+${((Date.now() - start) / 1000).toFixed(1)}s`;

async function main(): Promise<void> {
  if (!GATEWAY_TOKEN || !ADMIN_TOKEN) throw new Error('set DEMO_GATEWAY_TOKEN and DEMO_ADMIN_TOKEN (scripts/demo.sh does)');
  const now = Date.now();
  const historyStart = now - HISTORY_HOURS * 60 * MINUTE;
  console.log(`1. ${HISTORY_HOURS} hours of normal traffic for ${keys.length} keys (one request a minute each)…`);
  const history = [];
  for (let t = historyStart; t < now - MINUTE; t += MINUTE) {
    for (const key of keys) history.push(event(key, t + Math.floor(Math.random() * 50_000), key.perMinuteUsd, 'gpt-4o-mini', '203.0.113.10', 'DE'));
  }
  await publish(history);
  console.log(`   sent ${history.length} events; the victim ${victim.keyId} usually spends $${victim.perMinuteUsd.toFixed(2)}/min`);

  console.log(`2. ${victim.keyId} leaks: a bot drains it with parallel requests on an expensive model from a new country…`);
  const attackStart = Date.now();
  let spent = 0;
  let caughtAt: number | undefined;
  let suspendedAt: number | undefined;
  let spentAtSuspension = 0;
  const deadline = attackStart + 90_000;
  while (Date.now() < deadline && suspendedAt === undefined) {
    // ATTACK_REQUESTS_PER_SECOND requests a second at about $0.15 each: about $180 a minute.
    const burst = Array.from({ length: ATTACK_REQUESTS_PER_SECOND }, () => event(victim, Date.now(), ATTACK_USD_PER_REQUEST * (0.8 + Math.random() * 0.4), 'claude-opus-4', '198.51.100.66', 'KP'));
    spent += burst.reduce((s, e) => s + e.costUsd, 0);
    await publish(burst);
    if (caughtAt === undefined) {
      const list = await getJson<{ incidents?: Incident[] }>(`/v1/incidents?keyId=${victim.keyId}&state=open`, ADMIN_TOKEN);
      const critical = (list?.incidents ?? []).filter((i) => i.severity === 'critical');
      if (critical.length > 0) {
        caughtAt = Date.now();
        for (const incident of critical) {
          console.log(`   ${clock(attackStart)} critical ${incident.family} incident ${incident.id} ($${spent.toFixed(2)} spent by the attacker so far)`);
          console.log(`      “${incident.peak.explanation}”`);
        }
      }
    }
    const status = await getJson<{ status: string; reason?: string }>(`/v1/keys/${victim.keyId}/status`, GATEWAY_TOKEN);
    if (status?.status === 'suspended') {
      suspendedAt = Date.now();
      spentAtSuspension = spent;
      console.log(`   ${clock(attackStart)} key suspended for every gateway: ${status.reason ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log('3. Result');
  if (caughtAt === undefined) {
    const list = await getJson<{ incidents?: Incident[] }>(`/v1/incidents?keyId=${victim.keyId}`, ADMIN_TOKEN);
    for (const incident of list?.incidents ?? []) console.log(`   ${incident.severity} ${incident.family} incident ${incident.id}: “${incident.peak.explanation}”`);
  }
  if (suspendedAt === undefined) {
    console.log(`   NOT caught within 90 s; the attacker spent $${spent.toFixed(2)}. Check the worker log.`);
    process.exitCode = 1;
    return;
  }
  console.log(`   drain stopped ${((suspendedAt - attackStart) / 1000).toFixed(1)} s after it began; attacker spent $${spentAtSuspension.toFixed(2)}`);
  const perHour = ATTACK_REQUESTS_PER_SECOND * ATTACK_USD_PER_REQUEST * 3600;
  console.log(`   without spendguard this bot ($${perHour.toLocaleString('en-US')}/hour) would take $${(perHour * 8).toLocaleString('en-US')} in an 8-hour night`);
  console.log(`   evidence: curl -H "Authorization: Bearer $DEMO_ADMIN_TOKEN" ${API}/v1/incidents?keyId=${victim.keyId}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
