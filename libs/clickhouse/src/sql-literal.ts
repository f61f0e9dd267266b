/**
 * The one place where values become SQL text.
 *
 * ClickHouse 18.16 has no server-side query parameters, so values that are not
 * sent as JSONEachRow insert payloads are bound here as escaped literals. The
 * escaping follows ClickHouse's string literal grammar: backslash escapes, and
 * the quote itself. Fuzz-tested against a real server (test/clickhouse).
 */

export type SqlValue = string | number | boolean | Date | null | readonly SqlValue[];

/** A fragment of SQL text that is already safe to splice. */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A table, column or database name; refused unless it is a plain identifier. */
export function identifier(name: string): SqlFragment {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe SQL identifier: ${JSON.stringify(name)}`);
  return new SqlFragment(name);
}

export function quoteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + "'";
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, the DateTime text form both old and new servers parse. */
export function formatDateTime(date: Date | number): string {
  const d = typeof date === 'number' ? new Date(date) : date;
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export function literal(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot bind a non-finite number: ${value}`);
    return String(value);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('cannot bind an invalid Date');
    return `toDateTime(${quoteString(formatDateTime(value))}, 'UTC')`;
  }
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new Error(`cannot bind value of type ${typeof value}`);
}

/**
 * Tagged template that binds interpolated values as literals:
 * sql`SELECT * FROM ${identifier('t')} WHERE key_id = ${keyId}`.
 */
export function sql(strings: TemplateStringsArray, ...values: (SqlValue | SqlFragment)[]): string {
  let out = strings[0];
  values.forEach((value, i) => {
    out += value instanceof SqlFragment ? value.text : literal(value);
    out += strings[i + 1];
  });
  return out;
}
