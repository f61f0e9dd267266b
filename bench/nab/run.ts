/**
 * NAB benchmark: runs every detector over a NAB data folder, writes NAB-style result files
 * and prints the normalised standard / reward_low_FP_rate / reward_low_FN_rate scores.
 *
 *   npx tsx bench/nab/run.ts [--data ../shared/nab/data] [--labels ../shared/nab/labels.json]
 *                            [--profiles ../shared/nab/profiles.json] [--out bench/results/nab]
 *                            [--detector name]...
 *
 * Relative paths resolve against the repository root, so `../shared` is the folder beside the repo.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NAB_DETECTORS } from './detectors';
import { listSeries, readLabels, readProfiles, readSeries, timestampMs, writeResult } from './nab-files';
import { scoreDetector, type ProfileResult, type ScoredFile } from './scorer';

const REPO_ROOT = resolve(__dirname, '..', '..');

function main(): void {
  const { values: args } = parseArgs({
    options: {
      data: { type: 'string', default: '../shared/nab/data' },
      labels: { type: 'string', default: '../shared/nab/labels.json' },
      profiles: { type: 'string', default: '../shared/nab/profiles.json' },
      out: { type: 'string', default: 'bench/results/nab' },
      detector: { type: 'string', multiple: true },
    },
  });
  const dataDir = resolve(REPO_ROOT, args.data);
  const outDir = resolve(REPO_ROOT, args.out);
  const labels = readLabels(resolve(REPO_ROOT, args.labels));
  const profiles = readProfiles(resolve(REPO_ROOT, args.profiles));
  const detectorNames = args.detector ?? Object.keys(NAB_DETECTORS);
  for (const name of detectorNames) if (!NAB_DETECTORS[name]) throw new Error(`unknown detector ${name}; known: ${Object.keys(NAB_DETECTORS).join(', ')}`);

  const seriesNames = listSeries(dataDir);
  const unlabelled = seriesNames.filter((name) => !labels.has(name));
  if (unlabelled.length > 0) throw new Error(`no labels for ${unlabelled.join(', ')}`);
  const series = seriesNames.map((name) => readSeries(dataDir, name));
  const windowCount = seriesNames.reduce((sum, name) => sum + (labels.get(name)?.length ?? 0), 0);
  console.log(`NAB: ${series.length} files, ${series.reduce((s, f) => s + f.values.length, 0)} rows, ${windowCount} windows from ${dataDir}`);

  const table: { detector: string; results: ProfileResult[]; seconds: number }[] = [];
  for (const detector of detectorNames) {
    const started = process.hrtime.bigint();
    const files: ScoredFile[] = series.map((s) => {
      const scorer = NAB_DETECTORS[detector]();
      const scores = s.values.map((value, i) => scorer.scoreThenLearn(value, timestampMs(s.timestamps[i])));
      writeResult(outDir, detector, s, scores);
      return { name: s.name, timestamps: s.timestamps, scores, windows: labels.get(s.name) ?? [] };
    });
    const detectSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    table.push({ detector, results: scoreDetector(files, profiles), seconds: detectSeconds });
  }

  const profileNames = Object.keys(profiles);
  const pad = (text: string, width: number): string => text.padEnd(width);
  console.log(`\n${pad('detector', 22)}${profileNames.map((p) => pad(p, 22)).join('')}detect+write s`);
  for (const { detector, results, seconds } of table) {
    const cells = results.map((r) => pad(`${r.normalised.toFixed(2)} (θ=${r.threshold.toPrecision(4)})`, 22));
    console.log(`${pad(detector, 22)}${cells.join('')}${seconds.toFixed(2)}`);
  }
  console.log('\nper profile: TP / FP / FN at the chosen threshold θ (full precision)');
  for (const { detector, results } of table) {
    console.log(`${pad(detector, 22)}${results.map((r) => `${r.truePositives} / ${r.falsePositives} / ${r.falseNegatives} θ=${r.threshold}`).join('   ')}`);
  }
  console.log(`\nresult files: ${outDir}/<detector>/<category>/<file>.csv`);
}

main();
