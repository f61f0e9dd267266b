/** Pure streaming detectors: no I/O, explicit state, event time as the clock. */
export * from './stats';
export * from './detectors';
export * from './policy';
export { DetectionEngine, type EngineSnapshot, type RollupRow } from './engine/detection-engine';
export { buildFinding, formatUsd, type FindingDraft } from './engine/finding-factory';
export { mulberry32 } from './testing/seeded-random';
