/**
 * Configuration sweep for the spendguard ensemble on a NAB folder (development aid; the
 * benchmark itself is run.ts). Every configuration is one set of options for all files.
 *
 *   npx tsx bench/nab/sweep.ts '[{}, {"seasons": 1}, {"seasonMs": 0}]' [v]
 *
 * prints standard | reward_low_FP_rate | reward_low_FN_rate with TP/FP/FN and θ per
 * configuration (overrides of DEFAULT_SPEND_ENSEMBLE); with `v` also every file's hits
 * (relative position in the window), misses (best score in the window) and false positives.
 */
import { resolve } from 'node:path';
import { DEFAULT_SPEND_ENSEMBLE, SpendEnsembleScorer, type SpendEnsembleOptions } from '../../libs/detectors/src/univariate/spend-ensemble';
import { listSeries, readLabels, readProfiles, readSeries, timestampMs } from './nab-files';
import { scoreDetector, type ScoredFile, probationLength } from './scorer';
const ROOT = resolve(__dirname, '..', '..');
const data = resolve(ROOT, '../shared/nab/data');
const labels = readLabels(resolve(ROOT, '../shared/nab/labels.json'));
const profiles = readProfiles(resolve(ROOT, '../shared/nab/profiles.json'));
const series = listSeries(data).map((n) => readSeries(data, n));
const ts = series.map((s) => s.timestamps.map(timestampMs));
const configs: Partial<SpendEnsembleOptions>[] = JSON.parse(process.argv[2]);
const verbose = process.argv[3] === 'v';
for (const c of configs) {
  const opts = { ...DEFAULT_SPEND_ENSEMBLE, ...c };
  const files: ScoredFile[] = series.map((s, k) => {
    const sc = new SpendEnsembleScorer(opts);
    const scores = s.values.map((v, i) => sc.scoreThenLearn(v, ts[k][i]));
    return { name: s.name, timestamps: s.timestamps, scores, windows: labels.get(s.name) ?? [] };
  });
  const res = scoreDetector(files, profiles);
  console.log(JSON.stringify(c), res.map((r) => `${r.normalised.toFixed(2)} ${r.truePositives}/${r.falsePositives}/${r.falseNegatives} θ=${r.threshold.toFixed(3)}`).join(' | '));
  if (!verbose) continue;
  const theta = res[0].threshold;
  for (const f of files) {
    const P = probationLength(f.timestamps.length);
    const idx = (t: string) => f.timestamps.indexOf(t);
    const wins = f.windows.map(([a, b]) => [idx(a), idx(b)]);
    const out: string[] = [];
    for (const [l, r] of wins) {
      let hit = -1;
      for (let i = Math.max(l, P); i <= r; i++) if (f.scores[i] >= theta) { hit = i; break; }
      let mx = 0; for (let i = l; i <= r; i++) mx = Math.max(mx, f.scores[i]);
      out.push(hit < 0 ? `MISS[${l}-${r}] max=${mx.toFixed(3)}` : `hit@${((hit - l) / (r - l + 1)).toFixed(2)}`);
    }
    const fps: number[] = [];
    for (let i = P; i < f.scores.length; i++) if (f.scores[i] >= theta && !wins.some(([l, r]) => i >= l && i <= r)) fps.push(i);
    console.log(`  ${f.name.padEnd(55)} FP=${fps.length} ${out.join(' ')} ${fps.length ? 'fp@' + fps.slice(0, 8).join(',') : ''}`);
  }
}
