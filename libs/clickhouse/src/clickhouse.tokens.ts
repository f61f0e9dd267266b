/** Injection token of the client bound to spendguard's database, migrated. */
export const CLICKHOUSE_CLIENT = Symbol('CLICKHOUSE_CLIENT');
