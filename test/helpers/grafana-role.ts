import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

const ROLE_SQL = path.resolve(import.meta.dirname, '../../provisioning/postgres/grafana-role.sql');

/**
 * The grants of provisioning/postgres/grafana-role.sql on this database (the role itself, NOLOGIN here, is shared
 * by the server); connect with `options: '-c role=blocktrust_grafana'` to act as Grafana's data source.
 */
export async function grantGrafanaRole(admin: pg.Pool): Promise<boolean> {
  if (!existsSync(ROLE_SQL)) return false;
  const script = readFileSync(ROLE_SQL, 'utf8');
  const at = script.indexOf('DO $grants$');
  if (at < 0) return false;
  await admin
    .query(`DO $$ BEGIN CREATE ROLE blocktrust_grafana NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`)
    .catch((err) => {
      if (!/already exists|duplicate/.test((err as Error).message)) throw err;
    });
  await admin.query(script.slice(at).replace(/^\\.*$/gm, ''));
  return true;
}
