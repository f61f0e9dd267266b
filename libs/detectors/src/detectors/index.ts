export * from './rolling-zscore.detector';
export * from './robust-zscore.detector';
export * from './ewma-control-limit.detector';
export * from './spike-ratio.detector';
export * from './spend-caps.detector';
export * from './novelty.detector';
export * from './slow-drain.detector';
export * from './window-drain.detector';
