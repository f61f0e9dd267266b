import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { identifier, sql } from './sql-literal';

export interface ClickHouseConnectionOptions {
  url: string;
  database: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
}

/** Settings both 18.16 and current servers accept; see DESIGN.md. */
const COMPATIBLE_SETTINGS = {
  date_time_input_format: 'best_effort',
} as const;

export function createClickHouseClient(options: ClickHouseConnectionOptions, database?: string): ClickHouseClient {
  return createClient({
    url: options.url,
    username: options.username,
    password: options.password,
    database,
    request_timeout: options.requestTimeoutMs,
    clickhouse_settings: COMPATIBLE_SETTINGS,
  });
}

/** Creates the database through a client bound to the server's default database. */
export async function createDatabase(options: ClickHouseConnectionOptions): Promise<void> {
  const server = createClickHouseClient(options);
  try {
    await server.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${identifier(options.database)}` });
  } finally {
    await server.close();
  }
}
