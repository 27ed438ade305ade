import type pg from 'pg';
import { migrations, type Migration } from './migrations/index.ts';

// Any fixed 64-bit number: every agent that migrates the same database takes the same lock.
const MIGRATION_LOCK_KEY = 727_384_105_221;

export interface MigrationReport {
  applied: Migration[];
  current: number;
}

export const latestVersion = (): number => Math.max(...migrations.map((m) => m.version));

export async function schemaVersion(client: pg.ClientBase): Promise<number | null> {
  const exists = await client.query(`SELECT to_regclass('monitor_schema_migrations') IS NOT NULL AS present`);
  if (!exists.rows[0].present) return null;
  const { rows } = await client.query(`SELECT COALESCE(MAX(version), 0) AS v FROM monitor_schema_migrations`);
  return Number(rows[0].v);
}

/**
 * Applies every pending migration, each in its own transaction, under a session advisory lock so
 * that agents starting together migrate once and the others wait, then find nothing left to do.
 */
export async function migrate(client: pg.ClientBase): Promise<MigrationReport> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS monitor_schema_migrations (
      version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query('SELECT version FROM monitor_schema_migrations')).rows.map((r) => Number(r.version)),
    );
    const applied: Migration[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO monitor_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      applied.push(m);
    }
    return { applied, current: latestVersion() };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
