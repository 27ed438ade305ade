import type pg from 'pg';
import { migrate } from '../db/migrate.ts';
import { describeDbError } from '../db/pool.ts';

/** Migrates before a one-shot command; a database that cannot be reached is a clear error, not a stack trace. */
export async function ensureSchema(pool: pg.Pool): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new Error(describeDbError(err));
  }
  try {
    await migrate(client);
  } finally {
    client.release();
  }
}
