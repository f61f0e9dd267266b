export * from './clock';
export * from './incidents/detector-family';
export * from './incidents/dedup-key';
export * from './incidents/incident.types';
export * from './incidents/incident-engine';
export * from './incidents/incident-store';
export * from './policy/routing-policy.schema';
export * from './policy/routing-policy';
