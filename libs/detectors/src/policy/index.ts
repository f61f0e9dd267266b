export * from './detection-policy';
export * from './detection-policy.schema';
export * from './default-detection-policy';
