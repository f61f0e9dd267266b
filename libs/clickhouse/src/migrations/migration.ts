/**
 * A versioned schema step. Statements must be idempotent (IF NOT EXISTS) and
 * valid on ClickHouse 18.16 and current releases (see DESIGN.md: no TTL, no
 * DateTime64, no IPv4/IPv6 types, no query parameters).
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}
