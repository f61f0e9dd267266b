export * from './rolling-window-moments';
export * from './ewma-moments';
export * from './median-mad-window';
export * from './cusum';
export * from './rolling-bucket-sum';
export * from './rolling-bucket-max';
