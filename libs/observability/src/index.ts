export * from './metrics';
export * from './log-levels';
