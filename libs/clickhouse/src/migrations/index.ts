import type { Migration } from './migration';
import { usageEventsMigration } from './0001-usage-events';
import { usageMinuteRollupsMigration } from './0002-usage-minute-rollups';
import { sinkProgressMigration } from './0003-sink-progress';
import { findingsMigration } from './0004-findings';
import { incidentsMigration } from './0005-incidents';
import { keyStatusMigration } from './0006-key-status';
import { webhooksMigration } from './0007-webhooks';
import { controlPlaneMigration } from './0008-control-plane';

export type { Migration } from './migration';

/** Every schema step, in order. Append only: never edit a released step. */
export const MIGRATIONS: readonly Migration[] = [
  usageEventsMigration,
  usageMinuteRollupsMigration,
  sinkProgressMigration,
  findingsMigration,
  incidentsMigration,
  keyStatusMigration,
  webhooksMigration,
  controlPlaneMigration,
];
