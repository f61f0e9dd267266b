import type { Finding } from '@spendguard/contracts/finding';
import { RoutingPolicyBook, withGlobalChannels } from '../policy/routing-policy';
import { incidentDedupKey, MAX_DEDUP_KEY_LENGTH } from './dedup-key';
import { IncidentEngine } from './incident-engine';
import { InMemoryIncidentStore } from './incident-store';

const T0 = Date.UTC(2026, 2, 1, 3, 0, 0);
const MINUTE = 60_000;
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';

let findingSeq = 0;
function finding(overrides: Partial<Finding> = {}): Finding {
  findingSeq += 1;
  return {
    v: 1,
    id: `f-${findingSeq}`,
    time: new Date(T0).toISOString(),
    accountId: 'acct_1',
    keyId: 'key_1',
    detector: 'spike-ratio',
    metric: 'cost_usd',
    observed: 120,
    expected: 2,
    score: 60,
    threshold: 10,
    severity: 'critical',
    explanation: 'Spend is 60x the baseline',
    ...overrides,
  };
}

function engineWithChannels(config = {}): IncidentEngine {
  const book = new RoutingPolicyBook(withGlobalChannels({ version: 1 }, { webhookEndpointIds: ['ep_1'], pagerdutyRoutingKey: ROUTING_KEY }));
  return new IncidentEngine(book, { quietPeriodMs: 10 * MINUTE, cooldownMs: 30 * MINUTE, ...config });
}

describe('incidentDedupKey', () => {
  it('is deterministic per account / key / family', () => {
    expect(incidentDedupKey('acct_1', 'key_1', 'burst')).toBe('sg:acct_1:key_1:burst');
    expect(incidentDedupKey('acct_1', undefined, 'cap')).toBe('sg:acct_1:*:cap');
  });

  it('hashes long or separator-bearing ids and stays within 255 characters', () => {
    const key = incidentDedupKey('a'.repeat(1000), 'k:with:colons', 'slow-drain');
    expect(key.length).toBeLessThanOrEqual(MAX_DEDUP_KEY_LENGTH);
    expect(key.split(':')).toHaveLength(4);
    expect(key).toBe(incidentDedupKey('a'.repeat(1000), 'k:with:colons', 'slow-drain'));
    expect(key).not.toBe(incidentDedupKey('a'.repeat(999), 'k:with:colons', 'slow-drain'));
  });
});

describe('IncidentEngine', () => {
  it('opens an incident on a critical finding: page, webhook and auto-suspend for a burst', () => {
    const engine = engineWithChannels();
    const update = engine.onFinding(finding(), T0);
    expect(update?.incident.state).toBe('open');
    expect(update?.incident.dedupKey).toBe('sg:acct_1:key_1:burst');
    expect(update?.transition).toMatchObject({ from: null, to: 'open', reason: 'finding-opened', findingId: 'f-' + findingSeq, at: T0 });
    expect(update?.actions.map((a) => a.type)).toEqual(['pagerduty-trigger', 'webhook', 'suspend-key']);
    expect(update?.actions[0]).toMatchObject({ routingKey: ROUTING_KEY, dedupKey: 'sg:acct_1:key_1:burst', severity: 'critical' });
  });

  it('groups detectors of one family into one incident and only updates it while open', () => {
    const engine = engineWithChannels();
    const first = engine.onFinding(finding({ detector: 'zscore' }), T0);
    const second = engine.onFinding(finding({ detector: 'ewma', observed: 300 }), T0 + MINUTE);
    expect(second?.incident.id).toBe(first?.incident.id);
    expect(second?.actions).toEqual([]);
    expect(second?.transition).toBeUndefined();
    expect(second?.incident.findingCount).toBe(2);
    expect(second?.incident.detectors).toEqual(['zscore', 'ewma']);
    expect(second?.incident.peak.observed).toBe(300);
    expect(engine.list()).toHaveLength(1);
  });

  it('keeps different families apart', () => {
    const engine = engineWithChannels();
    engine.onFinding(finding({ detector: 'spike-ratio' }), T0);
    engine.onFinding(finding({ detector: 'cap', metric: 'cost_usd_day' }), T0);
    engine.onFinding(finding({ detector: 'cusum', severity: 'warning' }), T0);
    expect(engine.list().map((i) => i.family).sort()).toEqual(['burst', 'cap', 'slow-drain']);
  });

  it('ignores a redelivered finding', () => {
    const engine = engineWithChannels();
    const f = finding();
    engine.onFinding(f, T0);
    expect(engine.onFinding(f, T0 + 1000)).toBeNull();
    expect(engine.list()[0]?.findingCount).toBe(1);
  });

  it('does not open on info findings', () => {
    const engine = engineWithChannels();
    expect(engine.onFinding(finding({ severity: 'info' }), T0)).toBeNull();
    expect(engine.list()).toEqual([]);
  });

  it('escalates warning to critical as an update: re-trigger, webhook, suspend', () => {
    const engine = engineWithChannels();
    const opened = engine.onFinding(finding({ severity: 'warning' }), T0);
    // defaults: warning → webhook only, no page, no suspend
    expect(opened?.actions.map((a) => a.type)).toEqual(['webhook']);
    const escalated = engine.onFinding(finding({ severity: 'critical' }), T0 + MINUTE);
    expect(escalated?.transition).toMatchObject({ from: 'open', to: 'open', severityFrom: 'warning', severityTo: 'critical', reason: 'severity-escalated' });
    expect(escalated?.actions.map((a) => a.type)).toEqual(['pagerduty-trigger', 'webhook', 'suspend-key']);
    expect(escalated?.actions[1]).toMatchObject({ event: 'incident.escalated' });
  });

  it('does not auto-suspend for novelty by default, but does when the account opts in', () => {
    const defaults = engineWithChannels();
    expect(defaults.onFinding(finding({ detector: 'novelty', value: 'gpt-x' }), T0)?.actions.map((a) => a.type)).toEqual(['pagerduty-trigger', 'webhook']);
    const optedIn = new IncidentEngine(
      new RoutingPolicyBook({ version: 1, accounts: { acct_1: { autoSuspend: { novelty: true } } } }),
    );
    expect(optedIn.onFinding(finding({ detector: 'novelty' }), T0)?.actions.map((a) => a.type)).toEqual(['suspend-key']);
  });

  it('never suspends for account-level findings (no key)', () => {
    const engine = engineWithChannels();
    const update = engine.onFinding(finding({ keyId: undefined }), T0);
    expect(update?.actions.map((a) => a.type)).toEqual(['pagerduty-trigger', 'webhook']);
    expect(update?.incident.dedupKey).toBe('sg:acct_1:*:burst');
  });

  it('acknowledges then resolves, telling PagerDuty and the endpoints that were told', () => {
    const engine = engineWithChannels();
    const id = engine.onFinding(finding(), T0)!.incident.id;
    const ack = engine.acknowledge(id, T0 + MINUTE, 'alice');
    expect(ack.ok && ack.update.transition).toMatchObject({ from: 'open', to: 'acknowledged', actor: 'alice' });
    expect(ack.ok && ack.update.actions.map((a) => a.type)).toEqual(['pagerduty-acknowledge', 'webhook']);
    expect(engine.acknowledge(id, T0 + MINUTE, 'alice')).toEqual({ ok: false, error: 'already-acknowledged' });
    const resolved = engine.resolve(id, T0 + 2 * MINUTE, 'alice', 'key rotated');
    expect(resolved.ok && resolved.update.transition).toMatchObject({ from: 'acknowledged', to: 'resolved', reason: 'resolved-manually', note: 'key rotated' });
    expect(resolved.ok && resolved.update.actions).toEqual([
      { type: 'pagerduty-resolve', incidentId: id, dedupKey: 'sg:acct_1:key_1:burst', routingKey: ROUTING_KEY },
      { type: 'webhook', incidentId: id, event: 'incident.resolved', endpointIds: ['ep_1'] },
    ]);
    expect(engine.resolve(id, T0, 'bob')).toEqual({ ok: false, error: 'already-resolved' });
    expect(engine.resolve('nope', T0, 'bob')).toEqual({ ok: false, error: 'not-found' });
  });

  it('auto-resolves after the quiet period, and findings keep it alive', () => {
    const engine = engineWithChannels();
    engine.onFinding(finding(), T0);
    engine.onFinding(finding(), T0 + 5 * MINUTE);
    expect(engine.tick(T0 + 14 * MINUTE)).toEqual([]);
    const resolutions = engine.tick(T0 + 15 * MINUTE);
    expect(resolutions).toHaveLength(1);
    expect(resolutions[0]?.transition).toMatchObject({ from: 'open', to: 'resolved', reason: 'auto-resolved-quiet', at: T0 + 15 * MINUTE });
    expect(resolutions[0]?.actions.map((a) => a.type)).toEqual(['pagerduty-resolve', 'webhook']);
    expect(engine.tick(T0 + 16 * MINUTE)).toEqual([]);
  });

  it('reopens the same incident within the cooldown, and opens a new one after it', () => {
    const engine = engineWithChannels();
    const first = engine.onFinding(finding(), T0)!;
    engine.tick(T0 + 10 * MINUTE);
    const reopened = engine.onFinding(finding(), T0 + 20 * MINUTE)!;
    expect(reopened.incident.id).toBe(first.incident.id);
    expect(reopened.transition).toMatchObject({ from: 'resolved', to: 'open', reason: 'finding-reopened' });
    expect(reopened.actions.map((a) => a.type)).toEqual(['pagerduty-trigger', 'webhook', 'suspend-key']);
    expect(reopened.incident.reopenCount).toBe(1);

    engine.tick(T0 + 30 * MINUTE); // quiet again → resolved at +30
    engine.tick(T0 + 60 * MINUTE); // cooldown over → evicted
    expect(engine.list()).toEqual([]);
    const fresh = engine.onFinding(finding(), T0 + 61 * MINUTE)!;
    expect(fresh.incident.id).not.toBe(first.incident.id);
    expect(fresh.incident.dedupKey).toBe(first.incident.dedupKey);
    expect(fresh.transition?.reason).toBe('finding-opened');
  });

  it('records every transition in order', () => {
    const engine = engineWithChannels();
    const id = engine.onFinding(finding({ severity: 'warning' }), T0)!.incident.id;
    engine.onFinding(finding({ severity: 'critical' }), T0 + MINUTE);
    engine.acknowledge(id, T0 + 2 * MINUTE, 'alice');
    engine.tick(T0 + 11 * MINUTE);
    engine.onFinding(finding(), T0 + 12 * MINUTE);
    expect(engine.get(id)?.transitions.map((t) => `${t.from}->${t.to}:${t.reason}`)).toEqual([
      'null->open:finding-opened',
      'open->open:severity-escalated',
      'open->acknowledged:acknowledged',
      'acknowledged->resolved:auto-resolved-quiet',
      'resolved->open:finding-reopened',
    ]);
  });

  it('emits no channel actions without configuration, but still auto-suspends a critical burst', () => {
    const engine = new IncidentEngine(new RoutingPolicyBook());
    const update = engine.onFinding(finding(), T0);
    expect(update?.actions.map((a) => a.type)).toEqual(['suspend-key']);
  });

  it('survives a restart through a snapshot', async () => {
    const store = new InMemoryIncidentStore();
    const engine = engineWithChannels();
    const opened = engine.onFinding(finding(), T0)!;
    await store.appendTransitions([opened.transition!]);
    await store.saveSnapshot(engine.snapshot(T0));

    const book = new RoutingPolicyBook(withGlobalChannels({ version: 1 }, { pagerdutyRoutingKey: ROUTING_KEY }));
    const restored = new IncidentEngine(book, { quietPeriodMs: 10 * MINUTE, cooldownMs: 30 * MINUTE }, await store.loadSnapshot());
    expect(restored.get(opened.incident.id)).toEqual(opened.incident);
    // a further finding updates, it does not open a second incident or page again
    expect(restored.onFinding(finding(), T0 + MINUTE)?.actions).toEqual([]);
    const [resolution] = restored.tick(T0 + 11 * MINUTE);
    expect(resolution?.actions[0]).toMatchObject({ type: 'pagerduty-resolve', routingKey: ROUTING_KEY });
    await store.appendTransitions([resolution!.transition!]);
    expect((await store.listTransitions(opened.incident.id)).map((t) => t.to)).toEqual(['open', 'resolved']);
  });
});
