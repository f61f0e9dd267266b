/** The detectors the NAB benchmark runs, by the name used for their result folder. */
import { SpendEnsembleScorer } from '../../libs/detectors/src/univariate/spend-ensemble';
import type { StreamingAnomalyScorer } from '../../libs/detectors/src/univariate/streaming-scorer';
import { WindowedGaussianScorer } from '../../libs/detectors/src/univariate/windowed-gaussian';

export const NAB_DETECTORS: Readonly<Record<string, () => StreamingAnomalyScorer>> = {
  windowedGaussian: () => new WindowedGaussianScorer(),
  spendguardEnsemble: () => new SpendEnsembleScorer(),
};
