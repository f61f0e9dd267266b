import {
  normalisedScore,
  optimiseThreshold,
  prepareCorpus,
  probationLength,
  rawScoreAt,
  scaledSigmoid,
  scoreDetector,
  type CostProfile,
  type LabelWindow,
  type ScoredFile,
} from './scorer';

const STANDARD: CostProfile = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const LOW_FN: CostProfile = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };

/** Timestamps "t00".."tNN" sort like NAB's fixed-width timestamps. */
function file(name: string, scores: number[], windows: LabelWindow[] = []): ScoredFile {
  return { name, timestamps: scores.map((_, i) => `t${String(i).padStart(2, '0')}`), scores, windows };
}

/** 20 rows (probation 3) with one window over rows 10..14 (width 5) and the given detections. */
function oneWindowFile(detections: Record<number, number>): ScoredFile {
  const scores = Array.from({ length: 20 }, (_, i) => detections[i] ?? 0);
  return file('a/one-window.csv', scores, [['t10', 't14']]);
}

describe('scaledSigmoid', () => {
  it('matches the values quoted in the NAB README', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.986614, 6);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.848284, 6);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.986614, 6);
  });

  it('is −1 beyond y = 3 and −tanh(2.5·y) up to it', () => {
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(3)).toBeCloseTo(-Math.tanh(7.5), 12);
  });
});

describe('probationLength', () => {
  it('is floor(15 %) of the rows, capped at 750', () => {
    expect(probationLength(20)).toBe(3);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(5000)).toBe(750);
    expect(probationLength(10000)).toBe(750);
  });
});

describe('one window', () => {
  it('earns A_TP for a detection on the first row of the window', () => {
    const corpus = prepareCorpus([oneWindowFile({ 10: 1 })]);
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBeCloseTo(1, 12);
  });

  it('earns σ(−1/5)/σ(−1) = 0.468387 for a detection on the last row', () => {
    const corpus = prepareCorpus([oneWindowFile({ 14: 1 })]);
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBeCloseTo(0.4683868439, 9);
  });

  it('counts only the earliest detection of a window', () => {
    const corpus = prepareCorpus([oneWindowFile({ 12: 1, 13: 1, 14: 1 })]);
    // y = −(14−12+1)/5 = −0.6
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBeCloseTo(Math.tanh(1.5) / Math.tanh(2.5), 12);
    expect(rawScoreAt(corpus, STANDARD, 0.5).truePositives).toBe(1);
  });

  it('costs −A_FN when the window is missed', () => {
    const corpus = prepareCorpus([oneWindowFile({})]);
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBe(-1);
    expect(rawScoreAt(corpus, LOW_FN, 0.5).rawScore).toBe(-2);
  });

  it('weighs a false positive after the window by σ((i − r′)/(w′ − 1))', () => {
    // Row 16 is 2 rows after the window's last row 14: y = 2/4 = 0.5, worth 0.11·σ(0.5) = −0.0933112.
    const corpus = prepareCorpus([oneWindowFile({ 10: 1, 16: 1 })]);
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBeCloseTo(1 - 0.0933112004, 9);
  });

  it('charges the full −A_FP for a false positive before the first window', () => {
    const corpus = prepareCorpus([oneWindowFile({ 5: 1, 10: 1 })]);
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBeCloseTo(1 - 0.11, 12);
  });

  it('ignores detections inside the probation period', () => {
    const corpus = prepareCorpus([oneWindowFile({ 0: 1, 1: 1, 2: 1, 10: 1 })]);
    expect(rawScoreAt(corpus, STANDARD, 0.5)).toMatchObject({ rawScore: 1, falsePositives: 0 });
  });
});

describe('a file with no windows', () => {
  it('charges −A_FP for every detection, without de-duplication', () => {
    const corpus = prepareCorpus([file('a/quiet.csv', [0, 0, 0, 0, 1, 1, 1, 0, 0, 0])]);
    expect(corpus.windowCount).toBe(0);
    expect(rawScoreAt(corpus, STANDARD, 0.5)).toMatchObject({ falsePositives: 3 });
    expect(rawScoreAt(corpus, STANDARD, 0.5).rawScore).toBeCloseTo(-0.33, 12);
  });
});

describe('optimiseThreshold', () => {
  it('keeps the higher threshold when two thresholds score the same', () => {
    // θ = 0.9 catches the window on its first row; θ = 0.5 adds a later detection that counts for nothing.
    const corpus = prepareCorpus([oneWindowFile({ 10: 0.9, 12: 0.5 })]);
    expect(optimiseThreshold(corpus, STANDARD)).toMatchObject({ threshold: 0.9, rawScore: 1 });
  });

  it('prefers no detection (1.1) when every alarm is false', () => {
    const corpus = prepareCorpus([file('a/quiet.csv', [0, 0, 0, 0, 0.7, 0.2, 0, 0, 0, 0])]);
    expect(optimiseThreshold(corpus, STANDARD)).toMatchObject({ threshold: 1.1, rawScore: 0 });
  });

  it('goes lower when a hit is worth more than the false positive above it', () => {
    // θ = 0.8: one FP before the window and a miss, −1.11; θ = 0.6: the window is caught too, +0.89.
    const corpus = prepareCorpus([oneWindowFile({ 5: 0.8, 10: 0.6 })]);
    const best = optimiseThreshold(corpus, STANDARD);
    expect(best.threshold).toBe(0.6);
    expect(best.rawScore).toBeCloseTo(0.89, 12);
  });

  it('pools rows of all files under one threshold, keeping windows apart', () => {
    const files = [oneWindowFile({ 10: 0.9 }), { ...oneWindowFile({ 14: 0.9 }), name: 'b/other.csv' }];
    const best = optimiseThreshold(prepareCorpus(files), STANDARD);
    expect(best).toMatchObject({ threshold: 0.9, truePositives: 2, falseNegatives: 0 });
    expect(best.rawScore).toBeCloseTo(1 + 0.4683868439, 9);
  });
});

describe('normalisedScore', () => {
  it('maps the null detector to 0 and a perfect one to 100', () => {
    expect(normalisedScore(-64, 64, STANDARD)).toBe(0);
    expect(normalisedScore(64, 64, STANDARD)).toBe(100);
    expect(normalisedScore(-128, 64, LOW_FN)).toBe(0);
    expect(normalisedScore(0, 64, LOW_FN)).toBeCloseTo((100 * 128) / 192, 12);
  });
});

describe('scoreDetector', () => {
  it('fits one threshold per profile and normalises', () => {
    const [standard, lowFn] = scoreDetector([oneWindowFile({ 10: 1 })], { standard: STANDARD, lowFn: LOW_FN });
    expect(standard).toMatchObject({ profile: 'standard', normalised: 100, threshold: 1 });
    expect(lowFn).toMatchObject({ profile: 'lowFn', normalised: 100 });
  });

  it('rejects scores outside [0, 1]', () => {
    expect(() => scoreDetector([oneWindowFile({ 10: 1.5 })], { standard: STANDARD })).toThrow(/outside \[0, 1\]/);
  });
});
