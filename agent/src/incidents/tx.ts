import type { Queryable } from '../core/types.ts';

/** A pg Pool, or anything that hands out clients for transactions. */
export interface TransactionalDb extends Queryable {
  connect(): Promise<Queryable & { release(err?: Error | boolean): void }>;
}

export async function inTransaction<T>(db: TransactionalDb, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
