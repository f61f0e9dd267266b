import { parseRoutingPolicy, RoutingPolicyBook, withGlobalChannels, DEFAULT_AUTO_SUSPEND } from './routing-policy';

const KEY = 'R0123456789abcdef0123456789abcde';

describe('parseRoutingPolicy', () => {
  it('accepts a valid policy file', () => {
    const result = parseRoutingPolicy({
      version: 1,
      defaults: { pagerduty: { routingKey: KEY, severities: ['critical'] } },
      accounts: {
        acct_1: { webhooks: [{ endpointId: 'ep_1', severities: ['warning', 'critical'] }], autoSuspend: { novelty: true, burst: false } },
      },
    });
    expect(result.ok).toBe(true);
  });

  it('lists every bad field at once', () => {
    const result = parseRoutingPolicy({
      version: 1,
      defaults: { pagerduty: { routingKey: 'short', severities: ['urgent'] } },
      accounts: {
        acct_1: {
          webhooks: [
            { endpointId: 'ep_1', severities: [] },
            { endpointId: 'ep_1', severities: ['warning'] },
          ],
          autoSuspend: { burst: 'yes', teleport: true },
          colour: 'red',
        },
      },
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    const paths = errors.map((e) => e.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'defaults.pagerduty.routingKey',
        'defaults.pagerduty.severities.0',
        'accounts.acct_1.webhooks.0.severities',
        'accounts.acct_1.autoSuspend.burst',
        'accounts.acct_1.autoSuspend',
        'accounts.acct_1',
      ]),
    );
    expect(errors.length).toBeGreaterThanOrEqual(6);
  });

  it('reports duplicate and unknown endpoints', () => {
    const dup = parseRoutingPolicy({ version: 1, defaults: { webhooks: [{ endpointId: 'a', severities: ['critical'] }, { endpointId: 'a', severities: ['critical'] }] } });
    expect(dup.ok ? [] : dup.errors).toEqual(['defaults.webhooks.1.endpointId: duplicate endpoint a']);
    const unknown = parseRoutingPolicy(
      { version: 1, accounts: { x: { webhooks: [{ endpointId: 'ghost', severities: ['critical'] }] } } },
      { knownEndpointIds: new Set(['ep_1']) },
    );
    expect(unknown.ok ? [] : unknown.errors).toEqual(['accounts.x.webhooks.0.endpointId: unknown endpoint ghost']);
  });

  it('rejects a missing version', () => {
    const result = parseRoutingPolicy({});
    expect(result.ok ? [] : result.errors[0]).toMatch(/^version:/);
  });
});

describe('RoutingPolicyBook', () => {
  it('protects with no configuration: auto-suspend on for burst, cap and reported leaks only', () => {
    const policy = new RoutingPolicyBook().resolve('acct_x');
    expect(policy).toEqual({ accountId: 'acct_x', webhooks: [], pagerduty: null, autoSuspend: DEFAULT_AUTO_SUSPEND });
    expect(DEFAULT_AUTO_SUSPEND).toEqual({ burst: true, cap: true, 'slow-drain': false, novelty: false, report: true });
  });

  it('uses global channels by default: critical pages, warning and critical webhooks', () => {
    const book = new RoutingPolicyBook(withGlobalChannels({ version: 1 }, { webhookEndpointIds: ['ep_g'], pagerdutyRoutingKey: KEY }));
    expect(book.resolve('any')).toMatchObject({
      webhooks: [{ endpointId: 'ep_g', severities: ['warning', 'critical'] }],
      pagerduty: { routingKey: KEY, severities: ['critical'] },
    });
  });

  it('lets an account override routes and switches, including turning paging off', () => {
    const file = withGlobalChannels(
      { version: 1, accounts: { quiet: { pagerduty: null, webhooks: [], autoSuspend: { burst: false } } } },
      { webhookEndpointIds: ['ep_g'], pagerdutyRoutingKey: KEY },
    );
    const book = new RoutingPolicyBook(file);
    expect(book.resolve('quiet')).toMatchObject({ webhooks: [], pagerduty: null, autoSuspend: { burst: false, cap: true } });
    expect(book.resolve('other').pagerduty?.routingKey).toBe(KEY);
    expect(book.accounts()).toEqual(['quiet']);
  });
});
