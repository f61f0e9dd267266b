/**
 * Key-drain benchmark: generate → replay → score.
 *
 *   npx tsx bench/drain/run.ts [--seed N] [--accounts 100] [--days 14] [--out bench/results/drain] [--dist]
 *                              [--thresholds '{"cusumAllowance":0.75}'] [--engine '{"profileHalfLifeDays":3}']
 *
 * Generates seeded gateway traffic with injected attacks (see generate.ts), streams it in
 * event-time order into the replay command (`apps/worker/src/replay/main.ts` under tsx, or
 * the built `dist/apps/worker/src/replay/main.js` with --dist) with the benchmark's policy
 * file, reads the findings it prints and scores them (score.ts). --thresholds / --engine
 * put overrides of the default thresholds / engine settings into that policy file (to try a
 * tuning without editing the defaults). Writes policy.json,
 * attacks.json, findings.ndjson and results.json into the output folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Finding } from '@spendguard/contracts/finding';
import { attackFreeKeyDays, generateEvents, labels, parseGeneratorArgs, prepare } from './generate';
import { Scorer, summarise, table, type SpendTimeline } from './score';

const ROOT = resolve(__dirname, '../..');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { options, out } = parseGeneratorArgs(argv);
  const useDist = argv.includes('--dist');
  const dir = resolve(ROOT, out);
  mkdirSync(dir, { recursive: true });
  const started = Date.now();

  const bench = prepare(options);
  const overrides = { thresholds: jsonFlag(argv, '--thresholds'), engine: jsonFlag(argv, '--engine') };
  const policy = { ...bench.policy, ...(overrides.engine && { engine: overrides.engine }), ...(overrides.thresholds && { defaults: { thresholds: overrides.thresholds } }) };
  const prepared = Date.now();
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy, null, 2) + '\n');
  const labelData = labels(bench) as { attackFreeAccounts: string[] };
  writeFileSync(join(dir, 'attacks.json'), JSON.stringify(labelData, null, 2) + '\n');

  const command = useDist ? [join(ROOT, 'dist/apps/worker/src/replay/main.js')] : ['--import', 'tsx', join(ROOT, 'apps/worker/src/replay/main.ts')];
  const child = spawn(process.execPath, [...command, '--policy', policyFile], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;

  const keyDays = attackFreeKeyDays(bench);
  const scorer = new Scorer(bench.plan.attacks, labelData.attackFreeAccounts, keyDays);
  const findingsFile = createWriteStream(join(dir, 'findings.ndjson'));
  const severities: Record<string, number> = { info: 0, warning: 0, critical: 0 };
  const reading = (async () => {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      if (line === '') continue;
      const finding = JSON.parse(line) as Finding;
      severities[finding.severity]++;
      scorer.add(finding);
      if (!findingsFile.write(line + '\n')) await once(findingsFile, 'drain');
    }
  })();

  const spend = new Map<string, SpendTimeline>(bench.plan.attacks.map((a) => [a.id, { times: [], cumulativeUsd: [] }]));
  const attackIds = bench.plan.attacks.map((a) => a.id);
  let events = 0;
  for (const chunk of generateEvents(bench, (e) => {
    events++;
    if (e.id.startsWith('atk')) {
      const s = spend.get(attackIds[Number(e.id.slice(3, e.id.indexOf('-')))]) as SpendTimeline;
      s.times.push(e.time);
      s.cumulativeUsd.push((s.cumulativeUsd[s.cumulativeUsd.length - 1] ?? 0) + e.costUsd);
    }
  })) {
    if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  await reading;
  const [code] = await exited;
  findingsFile.end();
  if (code !== 0) throw new Error(`replay exited with ${code}: ${stderr}`);
  const finished = Date.now();

  const results = scorer.finish(spend);
  const rows = summarise(results);
  const fp = scorer.falsePositives;
  const report = [
    ...(overrides.thresholds || overrides.engine ? [`policy overrides: ${JSON.stringify(overrides)}`] : []),
    `spendguard key-drain benchmark — seed ${options.seed}, ${bench.population.accounts.length} accounts, ${bench.population.keys.length} keys, ${options.days} days, ${events.toLocaleString('en-US')} events, ${bench.plan.attacks.length} attacks`,
    `findings: ${severities.critical} critical, ${severities.warning} warning, ${severities.info} info`,
    '',
    table(rows),
    '',
    `false criticals on attack-free traffic: ${fp.keyCriticals} on keys + ${fp.accountCriticals} on attack-free accounts over ${Math.round(fp.keyDays).toLocaleString('en-US')} key-days = ${fp.perThousandKeyDays.toFixed(2)} per 1,000 key-days` +
      (Object.keys(fp.byDetector).length ? ` (${Object.entries(fp.byDetector).map(([d, n]) => `${d}: ${n}`).join(', ')})` : ''),
    `criticals on attacked keys before their attack started: ${fp.earlyOnAttackedKeys}`,
    `time: prepare ${((prepared - started) / 1000).toFixed(1)} s, generate + replay + score ${((finished - prepared) / 1000).toFixed(1)} s, total ${((finished - started) / 1000).toFixed(1)} s`,
  ].join('\n');
  console.log(report);
  writeFileSync(
    join(dir, 'results.json'),
    JSON.stringify({ options, overrides, events, severities, rows, falsePositives: fp, attacks: results.map((r) => ({ ...r.attack, detectedAt: r.detectedAt, detector: r.detector, firstFindingAt: r.firstFindingAt, spentBeforeUsd: r.spentBeforeUsd, totalSpentUsd: r.totalSpentUsd })) }, null, 2) + '\n',
  );
}

function jsonFlag(argv: readonly string[], name: string): Record<string, unknown> | undefined {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : (JSON.parse(argv[i + 1]) as Record<string, unknown>);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
