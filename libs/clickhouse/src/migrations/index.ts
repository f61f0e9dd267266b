import type { Migration } from './migration';
import { usageEventsMigration } from './0001-usage-events';
import { usageMinuteRollupsMigration } from './0002-usage-minute-rollups';
import { sinkProgressMigration } from './0003-sink-progress';

export type { Migration } from './migration';

/** Every schema step, in order. Append only: never edit a released step. */
export const MIGRATIONS: readonly Migration[] = [usageEventsMigration, usageMinuteRollupsMigration, sinkProgressMigration];
