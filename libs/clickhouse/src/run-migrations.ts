import type { ClickHouseClient } from '@clickhouse/client';
import type { Migration } from './migrations';

export interface MigrationLogger {
  log(message: string): void;
}

/**
 * Applies pending migrations to the client's database (which must exist, see
 * {@link createDatabase}) in order and records each in `schema_migrations`.
 * Safe to run from several processes at once: statements are idempotent and
 * the record table collapses duplicate rows.
 */
export async function runMigrations(
  client: ClickHouseClient,
  migrations: readonly Migration[],
  logger?: MigrationLogger,
): Promise<number[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32, name String, applied_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const result = await client.query({ query: 'SELECT version FROM schema_migrations', format: 'JSONEachRow' });
  const applied = new Set((await result.json<{ version: number | string }>()).map((r) => Number(r.version)));
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) {
      await client.command({ query: statement });
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: migration.version, name: migration.name, applied_at: Math.floor(Date.now() / 1000) }],
      format: 'JSONEachRow',
    });
    logger?.log(`applied ClickHouse migration ${migration.version} ${migration.name}`);
    done.push(migration.version);
  }
  return done;
}
