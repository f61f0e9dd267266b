export * from './clickhouse-connection';
export * from './clickhouse.module';
export * from './migrations';
export * from './retention';
export * from './run-migrations';
export * from './sql-literal';
export * from './usage-event-row';
export * from './usage-events.repository';
