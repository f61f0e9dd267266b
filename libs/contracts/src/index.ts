export * from './control-command';
export * from './finding';
export * from './key-status';
export * from './secret-scan';
export * from './topics';
export * from './usage-event.schema';
export * from './usage-event.types';
export * from './usage-event.validate';
