/**
 * A univariate streaming anomaly scorer: it sees one value at a time, in order, and returns
 * an anomaly score in [0, 1] for that value. The score is computed from what was learnt
 * before the value arrived; only then does the scorer learn from it.
 */
export interface StreamingAnomalyScorer {
  /** Scores `value` against the state before it, then learns `value`. Returns a score in [0, 1]. */
  scoreThenLearn(value: number, timestampMs?: number): number;
}

/** Runs a fresh scorer over a whole series and returns one score per value, in order. */
export function scoreSeries(createScorer: () => StreamingAnomalyScorer, values: readonly number[]): number[] {
  const scorer = createScorer();
  return values.map((value) => scorer.scoreThenLearn(value));
}
