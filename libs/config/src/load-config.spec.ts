import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives defaults that run against local services', () => {
    const config = loadConfig({});
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.WORKER_ROLES).toEqual(['sink', 'detect', 'escalate']);
    expect(config.INGEST_TOKENS).toBeUndefined();
  });

  it('parses token pairs into a token → name map', () => {
    const config = loadConfig({ INGEST_TOKENS: 'gw-1:aaaaaaaaaaaaaaaa,gw-2:bbbbbbbbbbbbbbbb' });
    expect(config.INGEST_TOKENS?.get('bbbbbbbbbbbbbbbb')).toBe('gw-2');
  });

  it('lists every bad variable at once and never echoes secrets', () => {
    let error: unknown;
    try {
      loadConfig({ API_PORT: 'abc', WORKER_ROLES: 'sink,cook', INGEST_TOKENS: 'gw:short-secret' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/API_PORT/);
    expect(problems).toMatch(/WORKER_ROLES/);
    expect(problems).toMatch(/INGEST_TOKENS/);
    expect(problems).not.toContain('short-secret');
  });
});
