import { parseUsageEvent, parseUsageEventJson, serializeUsageEvent } from './usage-event.validate';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const skew = { now: NOW, maxPastMs: 3_600_000, maxFutureMs: 300_000 };

function validEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'evt_1',
    time: '2026-12-04T11:59:30Z',
    accountId: 'acct_acme',
    keyId: 'kf_3f9a1c',
    model: 'gpt-4o',
    provider: 'openai',
    inputTokens: 1200,
    outputTokens: 300,
    costUsd: 0.0123,
    status: 200,
    latencyMs: 850,
    ip: '203.0.113.7',
    country: 'de',
    userAgent: 'my-app/1.2',
    gatewayId: 'gw-eu-1',
    ...overrides,
  };
}

function reasonOf(value: unknown): string {
  const result = parseUsageEvent(value, skew);
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('parseUsageEvent', () => {
  it('accepts a valid bare event and normalises time and country', () => {
    const result = parseUsageEvent(validEvent(), skew);
    expect(result).toEqual({
      ok: true,
      event: expect.objectContaining({ time: Date.parse('2026-12-04T11:59:30Z'), country: 'DE', attributes: {} }),
    });
  });

  it('accepts epoch milliseconds', () => {
    const result = parseUsageEvent(validEvent({ time: NOW - 1000 }), skew);
    expect(result.ok && result.event.time).toBe(NOW - 1000);
  });

  it('accepts a CloudEvents 1.0 envelope', () => {
    const envelope = { specversion: '1.0', id: 'ce-1', source: '/gw', type: 'dev.spendguard.usage.v1', data: validEvent() };
    expect(parseUsageEvent(envelope, skew).ok).toBe(true);
  });

  it('refuses an unknown CloudEvents type version', () => {
    const envelope = { specversion: '1.0', id: 'ce-1', source: '/gw', type: 'dev.spendguard.usage.v2', data: validEvent() };
    expect(reasonOf(envelope)).toMatch(/^type: unknown event type or version/);
  });

  it('refuses an unknown bare version', () => {
    expect(reasonOf(validEvent({ v: 2 }))).toBe('v: unknown version: only v1 is supported');
  });

  it.each([
    [{ costUsd: -1 }, 'costUsd: must be ≥ 0'],
    [{ costUsd: Number.NaN }, 'costUsd'],
    [{ inputTokens: 1.5 }, 'inputTokens: must be an integer'],
    [{ inputTokens: '12' }, 'inputTokens'],
    [{ model: 'x'.repeat(129) }, 'model: must be at most 128 characters'],
    [{ ip: 'not-an-ip' }, 'ip: must be an IPv4 or IPv6 address'],
    [{ country: 'DEU' }, 'country: must be an ISO 3166-1 alpha-2 code'],
    [{ time: 'yesterday' }, 'time: must be RFC 3339'],
    [{ extra: 1 }, 'unknown field(s): extra'],
  ])('refuses %j with a precise reason', (override, expected) => {
    expect(reasonOf(validEvent(override))).toContain(expected);
  });

  it('lists every problem at once', () => {
    const reason = reasonOf(validEvent({ costUsd: -1, status: 'ok' }));
    expect(reason).toContain('costUsd');
    expect(reason).toContain('status');
  });

  it('refuses a raw secret key in any field, without echoing it', () => {
    const secret = 'sk-or-v1-' + 'a1'.repeat(32);
    const reason = reasonOf(validEvent({ attributes: { note: `key ${secret}` } }));
    expect(reason).toContain('attributes.note: looks like a raw secret key');
    expect(reason).not.toContain(secret);
  });

  it('accepts a short display prefix of a key', () => {
    expect(parseUsageEvent(validEvent({ attributes: { keyPrefix: 'sk-or-…a1b2' } }), skew).ok).toBe(true);
  });

  it('applies the time skew limits only when given', () => {
    const old = validEvent({ time: '2026-01-01T00:00:00Z' });
    expect(reasonOf(old)).toBe('time: is more than 3600s in the past');
    expect(reasonOf(validEvent({ time: NOW + 600_000 }))).toBe('time: is more than 300s in the future');
    expect(parseUsageEvent(old).ok).toBe(true);
  });

  it('reports malformed JSON', () => {
    const result = parseUsageEventJson('{"id": ');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^malformed JSON/);
  });

  it('round-trips through the wire form', () => {
    const first = parseUsageEvent(validEvent({ attributes: { team: 'ml' } }), skew);
    if (!first.ok) throw new Error(first.reason);
    const second = parseUsageEventJson(serializeUsageEvent(first.event), skew);
    expect(second).toEqual(first);
  });
});

describe('parseUsageEvent reasons', () => {
  it('says which fields are missing', () => {
    const reason = reasonOf({ id: 'e1' });
    expect(reason).toContain('accountId: is required');
    expect(reason).toContain('costUsd: is required');
  });

  it('says which type a field must have', () => {
    expect(reasonOf(validEvent({ status: 'ok' }))).toBe('status: must be a number');
  });
});
