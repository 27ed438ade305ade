import { sqlId, sqlJsonb, sqlString, sqlTimestamp, SqlValueError } from './sql';

describe('SQL literals', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ["'; DROP TABLE monitor_intents; --", "'''; DROP TABLE monitor_intents; --'"],
    ['back\\slash', "'back\\slash'"],
    ['', "''"],
    ['ünïcødé ✓', "'ünïcødé ✓'"],
  ])('quotes %j', (input, expected) => {
    expect(sqlString(input)).toBe(expected);
  });

  it('refuses NUL and non-strings', () => {
    expect(() => sqlString('a\u0000b')).toThrow(SqlValueError);
    expect(() => sqlString(5 as unknown as string)).toThrow(/expected text/);
  });

  it('writes JSON as a jsonb literal that survives quotes', () => {
    expect(sqlJsonb({ text: 'O\'Brien said "hi"' })).toBe(`'{"text":"O''Brien said \\"hi\\""}'::jsonb`);
    expect(() => sqlJsonb(undefined)).toThrow(SqlValueError);
  });

  it('accepts only safe integer ids', () => {
    expect(sqlId(42)).toBe('42');
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => sqlId(bad)).toThrow(SqlValueError);
    }
    expect(() => sqlId('1; DELETE' as unknown as number)).toThrow(SqlValueError);
  });

  it('writes timestamps in UTC', () => {
    expect(sqlTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe("'2026-01-02T03:04:05.000Z'::timestamptz");
    expect(() => sqlTimestamp(new Date('nope'))).toThrow(SqlValueError);
  });
});
