// The data source query API takes raw SQL only, so every value the user typed reaches Postgres as a literal
// built here. Standard-conforming strings (the default since PostgreSQL 9.1) make doubling quotes sufficient.

export class SqlValueError extends Error {}

/** A string as an SQL literal: 'it''s'. NUL cannot be stored in Postgres text, so it is refused. */
export function sqlString(value: string): string {
  if (typeof value !== 'string') {
    throw new SqlValueError(`expected text, got ${typeof value}`);
  }
  if (value.includes('\u0000')) {
    throw new SqlValueError('text must not contain a NUL character');
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** A JSON value as a jsonb literal: '{"a":1}'::jsonb. */
export function sqlJsonb(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new SqlValueError('value cannot be written as JSON');
  }
  return `${sqlString(text)}::jsonb`;
}

/** An integer id as SQL: refuses anything that is not a safe non-negative integer. */
export function sqlId(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SqlValueError(`not a valid id: ${String(value)}`);
  }
  return String(value);
}

/** A timestamp as a timestamptz literal in UTC. */
export function sqlTimestamp(value: Date): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new SqlValueError('not a valid date');
  }
  return `${sqlString(value.toISOString())}::timestamptz`;
}
