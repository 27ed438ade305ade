import pg from 'pg';

// Postgres NUMERIC and BIGINT come back as strings by default; counts and ids fit in a double here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v: string) => Number(v));

export function createPool(url: string, max = 8): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'blocktrust-monitor',
  });
  // A client losing its connection (Postgres restarting, a network cut) must not crash the agent: idle ones
  // report on the pool, checked-out ones on themselves; the query in flight fails and the next one reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** A short, secret-free description of a database failure, for logs and the terminal. */
export function describeDbError(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  const code = e?.code ?? (Array.isArray(e?.errors) ? (e.errors[0] as { code?: string })?.code : undefined);
  switch (code) {
    case 'ECONNREFUSED': return 'database refused the connection (is Postgres running at DATABASE_URL?)';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'database host name does not resolve';
    case 'ETIMEDOUT': return 'database connection timed out';
    case 'ECONNRESET': return 'database connection was reset';
    case '28P01': case '28000': return 'database rejected the credentials in DATABASE_URL';
    case '3D000': return 'the database named in DATABASE_URL does not exist';
    case '57P01': case '57P02': case '57P03': return 'database is shutting down or starting up';
    case '42P01': return 'a monitor table is missing: run `blocktrust-monitor migrate`';
  }
  const msg = String(e?.message ?? err);
  if (/timeout/i.test(msg)) return 'database connection timed out';
  if (/terminat|Connection terminated/i.test(msg)) return 'database connection was closed';
  return `database error${code ? ` ${code}` : ''}: ${msg.replace(/postgres(ql)?:\/\/\S+/g, 'postgresql://***').slice(0, 200)}`;
}
