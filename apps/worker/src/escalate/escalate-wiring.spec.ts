import { generateWebhookSecret, withGlobalChannels } from '@spendguard/escalation';
import { parseControlCommand, parseFinding, reportFinding } from './escalate-messages';
import { RoutingPolicyRegistry } from './routing-policy-registry';
import { parseWebhookEndpoints } from './webhook-endpoints';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';

describe('parseWebhookEndpoints', () => {
  it('accepts valid endpoints and lists every problem at once, never echoing a secret', () => {
    const secret = generateWebhookSecret();
    expect(parseWebhookEndpoints([{ id: 'ep_1', url: 'https://hooks.example/sg', secret, description: 'ops' }], {})).toEqual({
      ok: true,
      endpoints: [{ id: 'ep_1', url: 'https://hooks.example/sg', secret, enabled: true }],
    });
    const bad = parseWebhookEndpoints(
      [
        { id: 'ep_1', url: 'http://hooks.example/sg', secret },
        { id: 'ep_1', url: 'https://ok.example', secret: 'whsec_short' },
        { id: 'bad id', url: 'https://ok.example', secret },
      ],
      {},
    );
    expect(bad).toEqual({
      ok: false,
      errors: ['0.url: URL must be https', '1.secret: must be whsec_ + base64 of 24–64 bytes', '2.id: 1–128 letters, digits and . _ : -'],
    });
    expect(JSON.stringify(bad)).not.toContain(secret);
    expect(parseWebhookEndpoints([{ id: 'ep_1', url: 'http://127.0.0.1:9/x', secret }], { allowHttp: true }).ok).toBe(true);
    expect(parseWebhookEndpoints({}, {})).toEqual({ ok: false, errors: ['(root): must be a JSON array of endpoints'] });
  });
});

describe('RoutingPolicyRegistry', () => {
  const base = withGlobalChannels({ version: 1 }, { webhookEndpointIds: ['ep_1'], pagerdutyRoutingKey: ROUTING_KEY });

  it('applies a valid account override, ignores an invalid one, and restores the defaults when routing is removed', () => {
    const registry = new RoutingPolicyRegistry(base, new Set(['ep_1']));
    expect(registry.resolve('a').pagerduty?.routingKey).toBe(ROUTING_KEY);
    expect(registry.replaceAccount('a', { pagerduty: null, autoSuspend: { burst: false } })).toEqual({ ok: true });
    expect(registry.resolve('a')).toMatchObject({ pagerduty: null, autoSuspend: { burst: false, report: true } });
    expect(registry.resolve('b').pagerduty?.routingKey).toBe(ROUTING_KEY);
    const invalid = registry.replaceAccount('a', { webhooks: [{ endpointId: 'ep_unknown', severities: ['critical'] }] });
    expect(invalid.ok).toBe(false);
    expect(registry.resolve('a').pagerduty).toBeNull();
    expect(registry.replaceAccount('a', undefined)).toEqual({ ok: true });
    expect(registry.resolve('a').pagerduty?.routingKey).toBe(ROUTING_KEY);
  });
});

describe('escalate messages', () => {
  const finding = {
    v: 1,
    id: 'f1',
    time: '2026-03-01T03:00:00.000Z',
    accountId: 'a',
    keyId: 'k',
    detector: 'spike-ratio',
    metric: 'cost_usd',
    observed: 10,
    expected: 1,
    score: 10,
    threshold: 5,
    severity: 'critical',
    explanation: 'x',
  };

  it('parses findings and refuses what the engine cannot use', () => {
    expect(parseFinding(JSON.stringify(finding))).toEqual({ ok: true, value: finding });
    expect(parseFinding('nope')).toEqual({ ok: false, reason: 'not a JSON object' });
    expect(parseFinding(JSON.stringify({ ...finding, detector: 'magic' }))).toEqual({ ok: false, reason: 'unknown detector magic' });
    expect(parseFinding(JSON.stringify({ ...finding, observed: 'lots' }))).toEqual({ ok: false, reason: 'observed must be a finite number' });
  });

  it('parses control commands', () => {
    const base = { v: 1, commandId: 'c1', accountId: 'a', at: 1, actor: 'admin:alice' };
    expect(parseControlCommand(JSON.stringify({ ...base, type: 'incident.acknowledge', incidentId: 'inc_1' })).ok).toBe(true);
    expect(parseControlCommand(JSON.stringify({ ...base, type: 'incident.resolve' }))).toEqual({ ok: false, reason: 'incidentId is required' });
    expect(parseControlCommand(JSON.stringify({ ...base, type: 'key.explode' }))).toEqual({ ok: false, reason: 'unknown command type key.explode' });
  });

  it('turns a leaked-key report into a critical report finding with a stable id and a tame explanation', () => {
    const report = reportFinding({
      v: 1,
      commandId: 'c1',
      accountId: 'a',
      at: Date.UTC(2026, 2, 1),
      actor: 'report:r9',
      type: 'report.leaked-key',
      reportId: 'r9',
      keyId: 'k',
      description: 'on\u0000 a gist\n' + 'x'.repeat(500),
    });
    expect(report).toMatchObject({ id: 'report:r9', detector: 'report', metric: 'report', severity: 'critical', keyId: 'k', time: '2026-03-01T00:00:00.000Z' });
    expect(report.explanation).toMatch(/^Key reported as leaked \(report r9\): on {2}a gist x+$/);
    expect(report.explanation.length).toBeLessThan(260);
  });
});
