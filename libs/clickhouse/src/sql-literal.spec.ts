import { identifier, literal, quoteString, sql } from './sql-literal';

/** Decodes a ClickHouse string literal the way the server's lexer does. */
function unquote(text: string): string {
  expect(text.startsWith("'") && text.endsWith("'")).toBe(true);
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "'") throw new Error(`unescaped quote at ${i}`);
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = body[++i];
    if (next === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += next;
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sql literal binder', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(quoteString("it's \\ ok\n")).toBe("'it\\'s \\\\ ok\\x0a'");
  });

  it('round-trips 5,000 random strings (seeded fuzz)', () => {
    const random = mulberry32(42);
    const alphabet = ["'", '\\', '"', '\n', '\r', '\t', '\0', ';', '-', '/', '*', 'a', 'é', '😀', '`', '{', '}', ' '];
    for (let n = 0; n < 5000; n++) {
      let s = '';
      const length = Math.floor(random() * 20);
      for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
      expect(unquote(quoteString(s))).toBe(s);
    }
  });

  it('binds numbers, booleans, dates, arrays and null', () => {
    expect(literal(1.5)).toBe('1.5');
    expect(literal(true)).toBe('1');
    expect(literal(null)).toBe('NULL');
    expect(literal(new Date('2026-12-04T10:00:00.123Z'))).toBe("toDateTime('2026-12-04 10:00:00', 'UTC')");
    expect(literal(['a', 2])).toBe("['a', 2]");
    expect(() => literal(Number.NaN)).toThrow(/non-finite/);
  });

  it('splices identifiers and binds values in templates', () => {
    expect(sql`SELECT * FROM ${identifier('usage_events')} WHERE key_id = ${"k'1"}`).toBe(
      "SELECT * FROM usage_events WHERE key_id = 'k\\'1'",
    );
    expect(() => identifier('t; DROP TABLE x')).toThrow(/not a safe SQL identifier/);
  });
});
