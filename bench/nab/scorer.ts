/**
 * NAB scoring, re-implemented from NAB v1.1 (`nab/sweeper.py`, `optimizer.py`, `scorer.py`)
 * as described in ../shared/nab/README.md. Pure: no I/O.
 *
 * Per file: rows below the probation length are ignored; a detection inside a window is
 * worth A_TP·σ(y)/σ(−1) with y = −(r−i+1)/w and only the best (earliest) detection per window
 * counts; an undetected window costs −A_FN; a detection outside every window is worth
 * A_FP·σ((i−r′)/(w′−1)) relative to the previous window of the same file, or −A_FP if there
 * is none. One threshold per (detector, profile) is chosen over the pooled rows of all files:
 * every distinct score plus 1.1 is tried, the best corpus score wins, ties go to the higher
 * threshold. The result is normalised so that the null detector scores 0 and a perfect one 100.
 */

export interface CostProfile {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** A window [start, end] given by timestamps that match rows of the file (both inclusive). */
export type LabelWindow = readonly [start: string, end: string];

export interface ScoredFile {
  readonly name: string;
  readonly timestamps: readonly string[];
  readonly scores: readonly number[];
  readonly windows: readonly LabelWindow[];
}

/** Threshold that means "no detections". */
export const NO_DETECTION_THRESHOLD = 1.1;
const PROBATION_FRACTION = 0.15;
const PROBATION_REFERENCE_LENGTH = 5000;
const SIGMOID_CUTOFF = 3;
const SIGMOID_STEEPNESS = 5;

/** σ(y) = 2/(1+e^{5y}) − 1 for y ≤ 3, −1 beyond. */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > SIGMOID_CUTOFF) return -1;
  return 2 / (1 + Math.exp(SIGMOID_STEEPNESS * relativePosition)) - 1;
}

/** P = min(floor(0.15·N), 0.15·5000 = 750). */
export function probationLength(rowCount: number): number {
  return Math.min(Math.floor(PROBATION_FRACTION * rowCount), PROBATION_FRACTION * PROBATION_REFERENCE_LENGTH);
}

/**
 * What a row would be worth if it were a detection. `windowId` ≥ 0 means "inside that
 * window" and `value` is σ(y) (before A_TP/σ(−1)); `windowId` = −1 means a false positive and
 * `value` is σ(y) relative to the previous window, or −1 (before A_FP).
 */
export interface RowContribution {
  readonly score: number;
  readonly windowId: number;
  readonly value: number;
}

export interface PreparedCorpus {
  readonly rows: readonly RowContribution[];
  readonly windowCount: number;
}

/**
 * Turns files into pooled row contributions, walking each file the way NAB's sweeper does:
 * window membership by timestamp, window indices by the first row carrying the timestamp.
 * @throws Error if a score is outside [0, 1] or a window end matches no row.
 */
export function prepareCorpus(files: readonly ScoredFile[]): PreparedCorpus {
  const rows: RowContribution[] = [];
  let windowCount = 0;
  for (const file of files) {
    if (file.scores.length !== file.timestamps.length) {
      throw new Error(`${file.name}: ${file.scores.length} scores for ${file.timestamps.length} rows`);
    }
    const firstIndex = new Map<string, number>();
    file.timestamps.forEach((t, i) => {
      if (!firstIndex.has(t)) firstIndex.set(t, i);
    });
    const indexOf = (t: string): number => {
      const index = firstIndex.get(t);
      if (index === undefined) throw new Error(`${file.name}: window bound ${t} matches no row`);
      return index;
    };
    const pending = [...file.windows];
    const probation = probationLength(file.timestamps.length);
    let current: { end: string; id: number; right: number; width: number } | undefined;
    let previous: { right: number; width: number } | undefined;
    for (let i = 0; i < file.timestamps.length; i++) {
      const time = file.timestamps[i];
      const score = file.scores[i];
      if (!(score >= 0 && score <= 1)) throw new Error(`${file.name}: row ${i} has anomaly score ${score} outside [0, 1]`);
      if (current && time > current.end) {
        previous = { right: i - 1, width: current.width };
        current = undefined;
      }
      if (pending.length > 0 && time >= pending[0][0]) {
        const [start, end] = pending.shift() as LabelWindow;
        const right = indexOf(end);
        current = { end, id: windowCount++, right, width: right - indexOf(start) + 1 };
      }
      if (i < probation) continue;
      if (current) {
        rows.push({ score, windowId: current.id, value: scaledSigmoid(-(current.right - i + 1) / current.width) });
      } else if (previous) {
        rows.push({ score, windowId: -1, value: scaledSigmoid(Math.abs(previous.right - i) / (previous.width - 1)) });
      } else {
        rows.push({ score, windowId: -1, value: -1 });
      }
    }
    // Windows never reached (e.g. after the last row) still count as misses.
    windowCount += pending.length;
  }
  return { rows, windowCount };
}

export interface ThresholdResult {
  readonly threshold: number;
  readonly rawScore: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

/** Corpus raw score S(θ) at one threshold. */
export function rawScoreAt(corpus: PreparedCorpus, profile: CostProfile, threshold: number): ThresholdResult {
  const best = new Map<number, number>();
  let fpSum = 0;
  let falsePositives = 0;
  for (const row of corpus.rows) {
    if (row.score < threshold) continue;
    if (row.windowId < 0) {
      fpSum += row.value;
      falsePositives++;
    } else {
      best.set(row.windowId, Math.max(best.get(row.windowId) ?? -Infinity, row.value));
    }
  }
  return summarise(threshold, best, fpSum, falsePositives, corpus.windowCount, profile);
}

function summarise(
  threshold: number,
  best: ReadonlyMap<number, number>,
  fpSum: number,
  falsePositives: number,
  windowCount: number,
  profile: CostProfile,
): ThresholdResult {
  let tpSum = 0;
  for (const value of best.values()) tpSum += value;
  const maxTp = scaledSigmoid(-1);
  const falseNegatives = windowCount - best.size;
  const rawScore = (tpSum * profile.tpWeight) / maxTp + fpSum * profile.fpWeight - falseNegatives * profile.fnWeight;
  return { threshold, rawScore, truePositives: best.size, falsePositives, falseNegatives };
}

/**
 * Sweeps every distinct score (and 1.1) from high to low in one pass over the rows sorted
 * by score, and returns the best threshold; ties keep the higher threshold.
 */
export function optimiseThreshold(corpus: PreparedCorpus, profile: CostProfile): ThresholdResult {
  const sorted = [...corpus.rows].sort((a, b) => b.score - a.score);
  const maxTp = scaledSigmoid(-1);
  const best = new Map<number, number>();
  let fpSum = 0;
  const scoreOf = (): number => {
    // Summed afresh at every threshold so that equal scores compare equal (ties → higher θ).
    let tpSum = 0;
    for (const value of best.values()) tpSum += value;
    return (tpSum * profile.tpWeight) / maxTp + fpSum * profile.fpWeight - (corpus.windowCount - best.size) * profile.fnWeight;
  };
  let winner = { threshold: NO_DETECTION_THRESHOLD, rawScore: scoreOf() };
  let i = 0;
  while (i < sorted.length) {
    const threshold = sorted[i].score;
    for (; i < sorted.length && sorted[i].score === threshold; i++) {
      const row = sorted[i];
      if (row.windowId < 0) {
        fpSum += row.value;
        continue;
      }
      const previous = best.get(row.windowId);
      if (previous === undefined || row.value > previous) best.set(row.windowId, row.value);
    }
    const rawScore = scoreOf();
    if (rawScore > winner.rawScore) winner = { threshold, rawScore };
  }
  // One more pass at the winning threshold gives the counts for the report.
  return rawScoreAt(corpus, profile, winner.threshold);
}

/** 100·(S − S_null)/(S_perfect − S_null) with S_perfect = A_TP·windows and S_null = −A_FN·windows. */
export function normalisedScore(rawScore: number, windowCount: number, profile: CostProfile): number {
  const perfect = profile.tpWeight * windowCount;
  const nullScore = -profile.fnWeight * windowCount;
  return (100 * (rawScore - nullScore)) / (perfect - nullScore);
}

export interface ProfileResult extends ThresholdResult {
  readonly profile: string;
  readonly normalised: number;
}

/** Scores a detector's files under every profile, each with its own optimised threshold. */
export function scoreDetector(files: readonly ScoredFile[], profiles: Readonly<Record<string, CostProfile>>): ProfileResult[] {
  const corpus = prepareCorpus(files);
  return Object.entries(profiles).map(([profile, weights]) => {
    const result = optimiseThreshold(corpus, weights);
    return { ...result, profile, normalised: normalisedScore(result.rawScore, corpus.windowCount, weights) };
  });
}
