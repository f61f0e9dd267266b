import type { Finding } from '@spendguard/contracts/finding';
import { parseDetectionPolicy } from '@spendguard/detectors/policy';
import { Replay, parseReplayArgs } from './replay';

const START = Date.UTC(2026, 0, 5, 0, 0, 0);
const MINUTE = 60_000;

/** A small NDJSON fixture: two days of a key spending cents, then a burst drain on an expensive model. */
function fixture(): { lines: string[]; drainStart: number } {
  const lines: string[] = [];
  let n = 0;
  const event = (time: number, costUsd: number, model = 'gpt-4o-mini', ip = '34.1.2.3'): string =>
    JSON.stringify({
      id: `e${n++}`,
      time: new Date(time).toISOString(),
      accountId: 'acme',
      keyId: 'key-1',
      model,
      provider: 'openai',
      inputTokens: 800,
      outputTokens: 200,
      costUsd,
      status: 200,
      latencyMs: 900,
      ip,
      country: 'DE',
      userAgent: 'openai-python/1.54.0',
      gatewayId: 'gw-1',
    });
  for (let t = START; t < START + 2 * 24 * 60 * MINUTE; t += 2 * MINUTE) lines.push(event(t + 7_000, 0.002 + (n % 5) * 0.0005));
  const drainStart = START + 2 * 24 * 60 * MINUTE + 30_000;
  for (let i = 0; i < 120; i++) lines.push(event(drainStart + i * 1_000, 0.4, 'gpt-4o', '185.220.101.7'));
  return { lines, drainStart };
}

function replayAll(lines: string[], replay: Replay): Finding[] {
  for (const line of lines) replay.line(line);
  replay.end();
  const text = replay.takeOutput();
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Finding);
}

describe('Replay', () => {
  it('finds a burst drain within seconds of event time, as a critical finding', () => {
    const { lines, drainStart } = fixture();
    const problems: string[] = [];
    const replay = new Replay(undefined, (m) => problems.push(m));
    const findings = replayAll(lines, replay);
    const critical = findings.find((f) => f.severity === 'critical' && f.keyId === 'key-1');
    expect(critical).toBeDefined();
    const at = Date.parse(critical!.time);
    expect(at).toBeGreaterThanOrEqual(drainStart);
    expect(at - drainStart).toBeLessThan(60_000);
    expect(findings.filter((f) => f.severity === 'critical' && Date.parse(f.time) < drainStart)).toEqual([]);
    expect(problems).toEqual([]);
    expect(replay.exitCode()).toBe(0);
    expect(replay.summary).toMatchObject({ events: lines.length, invalidLines: 0, outOfOrder: 0 });
  });

  it('writes valid NDJSON of v1 Finding objects with event-time timestamps', () => {
    const { lines } = fixture();
    const findings = replayAll(lines, new Replay(undefined, () => undefined));
    expect(findings.length).toBeGreaterThan(0);
    const first = Date.parse(JSON.parse(lines[0]).time);
    const last = Date.parse(JSON.parse(lines[lines.length - 1]).time);
    for (const f of findings) {
      expect(f).toMatchObject({ v: 1, accountId: 'acme' });
      expect(typeof f.id).toBe('string');
      expect(['info', 'warning', 'critical']).toContain(f.severity);
      expect(typeof f.explanation).toBe('string');
      for (const field of ['observed', 'expected', 'score', 'threshold'] as const) expect(Number.isFinite(f[field])).toBe(true);
      expect(new Date(f.time).toISOString()).toBe(f.time);
      const time = Date.parse(f.time);
      expect(time).toBeGreaterThanOrEqual(first);
      expect(time).toBeLessThanOrEqual(last);
    }
  });

  it('gives the same findings (same ids) on a second replay', () => {
    const { lines } = fixture();
    const a = replayAll(lines, new Replay(undefined, () => undefined)).map((f) => f.id);
    const b = replayAll(lines, new Replay(undefined, () => undefined)).map((f) => f.id);
    expect(b).toEqual(a);
  });

  it('reports invalid lines with their number, skips them, and keeps going', () => {
    const { lines } = fixture();
    const broken = [...lines.slice(0, 3), '{"id": nope', JSON.stringify({ id: 'x' }), '', ...lines.slice(3)];
    const problems: string[] = [];
    const replay = new Replay(undefined, (m) => problems.push(m));
    const findings = replayAll(broken, replay);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^line 4: invalid usage event: malformed JSON/);
    expect(problems[1]).toMatch(/^line 5: invalid usage event: .*accountId: is required/);
    expect(replay.summary).toMatchObject({ invalidLines: 2, events: lines.length, stopped: false });
    expect(findings.some((f) => f.severity === 'critical')).toBe(true);
    expect(replay.exitCode()).toBe(1);
  });

  it('refuses an event carrying a raw secret key', () => {
    const { lines } = fixture();
    const leaked = JSON.parse(lines[0]);
    leaked.userAgent = 'sk-proj-' + 'a'.repeat(40);
    const problems: string[] = [];
    const replay = new Replay(undefined, (m) => problems.push(m));
    replay.line(JSON.stringify(leaked));
    expect(problems[0]).toMatch(/^line 1: .*raw secret/);
    expect(problems[0]).not.toContain('a'.repeat(40));
  });

  it('stops at the first invalid line in strict mode and exits 0 in lenient mode', () => {
    const { lines } = fixture();
    const strict = new Replay(undefined, () => undefined, 'strict');
    expect(strict.line(lines[0])).toBe(true);
    expect(strict.line('not json')).toBe(false);
    expect(strict.line(lines[1])).toBe(false);
    expect(strict.end()).toMatchObject({ events: 1, invalidLines: 1, stopped: true });
    expect(strict.exitCode()).toBe(1);

    const lenient = new Replay(undefined, () => undefined, 'lenient');
    lenient.line('not json');
    lenient.line(lines[0]);
    lenient.end();
    expect(lenient.exitCode()).toBe(0);
  });

  it('flushes at the last event time so a bucket closing there emits (slow-drain CUSUM is judged at close)', () => {
    const { lines } = fixture();
    const replay = new Replay(undefined, () => undefined);
    for (const line of lines) replay.line(line);
    replay.takeOutput();
    // Nothing is judged past the last event: flush uses event time, not the wall clock.
    replay.end();
    const after = replay.takeOutput().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Finding);
    const last = Date.parse(JSON.parse(lines[lines.length - 1]).time);
    for (const f of after) expect(Date.parse(f.time)).toBeLessThanOrEqual(last + MINUTE);
  });

  it('applies a policy: a key cap pages as soon as it is exceeded', () => {
    const parsed = parseDetectionPolicy({ accounts: { acme: { keyCaps: { hourUsd: 5 } } } });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const { lines, drainStart } = fixture();
    const findings = replayAll(lines, new Replay(parsed.policy, () => undefined));
    const cap = findings.find((f) => f.detector === 'cap');
    expect(cap).toMatchObject({ severity: 'critical', keyId: 'key-1', metric: 'cost_usd_hour', expected: 5 });
    expect(Date.parse(cap!.time) - drainStart).toBeLessThan(15_000);
  });
});

describe('parseReplayArgs', () => {
  it('reads the input file, policy and mode; the flag wins over DETECTION_POLICY_FILE', () => {
    expect(parseReplayArgs(['events.ndjson'], { DETECTION_POLICY_FILE: 'env.json' })).toEqual({ input: 'events.ndjson', policyFile: 'env.json', mode: 'report', help: false });
    expect(parseReplayArgs(['--policy', 'p.json', '--strict'], { DETECTION_POLICY_FILE: 'env.json' })).toMatchObject({ policyFile: 'p.json', mode: 'strict' });
    expect(parseReplayArgs(['--policy=p.json', '--lenient', '-'])).toMatchObject({ policyFile: 'p.json', mode: 'lenient' });
    expect(parseReplayArgs(['--help']).help).toBe(true);
  });

  it('refuses bad arguments', () => {
    expect(() => parseReplayArgs(['--policy'])).toThrow(/needs a file/);
    expect(() => parseReplayArgs(['--strict', '--lenient'])).toThrow(/exclude/);
    expect(() => parseReplayArgs(['--nope'])).toThrow(/unknown option/);
    expect(() => parseReplayArgs(['a', 'b'])).toThrow(/one input file/);
  });
});
