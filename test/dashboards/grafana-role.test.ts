import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../../agent/src/db/migrate.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { expandGrafanaSql } from '../helpers/grafana-macros.ts';
import { collectQueries, loadDashboards } from './dashboard-walk.ts';
import { seedKnownDataset } from './seed.ts';

const ROLE_SQL = path.resolve(import.meta.dirname, '../../provisioning/postgres/grafana-role.sql');
const password = randomBytes(18).toString('base64url');

/**
 * Runs the script the way `psql -v grafana_password=… -f grafana-role.sql` does, for the three psql
 * features it uses (\set, :'var' as a quoted literal, \gset as the end of a statement), so the test
 * needs no psql binary.
 */
async function applyRoleScript(client: pg.ClientBase, pw: string): Promise<void> {
  const text = readFileSync(ROLE_SQL, 'utf8')
    .replace(/^\\set .*$/gm, '')
    .replaceAll(":'grafana_password'", `'${pw.replace(/'/g, "''")}'`)
    .replaceAll('\\gset', ';');
  await client.query(text);
}

let db: TestDatabase;
let grafana: pg.Client;
const tryQuery = async (sql: string, params: unknown[] = []) => {
  try {
    await grafana.query(sql, params);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
};

before(async () => {
  db = await freshDatabase('grafana_role');
  const c = await db.pool.connect();
  try {
    await migrate(c);
    await applyRoleScript(c, password);
    await applyRoleScript(c, password);
  } finally {
    c.release();
  }
  await seedKnownDataset(db.pool);
  await db.pool.query(`INSERT INTO monitor_channels (name, kind, chat_id, secret_sealed) VALUES ('ops', 'telegram', '42', 'btm1.sealed')`);
  const url = new URL(db.url);
  url.username = 'blocktrust_grafana';
  url.password = password;
  grafana = new pg.Client({ connectionString: url.toString() });
  // A connection the server ends (a restart, a dropped database) fails the next query, not the whole run.
  grafana.on('error', () => {});
  await grafana.connect();
});
after(async () => {
  await grafana?.end();
  await db.drop();
});

describe('blocktrust_grafana role', () => {
  test('runs every query of every shipped dashboard', async () => {
    const to = new Date();
    const ctx = { from: new Date(to.getTime() - 6 * 3_600_000), to, intervalMs: 300_000, variables: { check: { value: 'api.health' } } };
    for (const q of loadDashboards().flatMap((d) => collectQueries(d.json))) {
      const { sql } = expandGrafanaSql(q.rawSql, ctx);
      await assert.doesNotReject(grafana.query(sql), q.key);
    }
    const long = { ...ctx, from: new Date(to.getTime() - 30 * 86_400_000), intervalMs: 3_600_000 };
    for (const q of loadDashboards().flatMap((d) => collectQueries(d.json))) {
      await assert.doesNotReject(grafana.query(expandGrafanaSql(q.rawSql, long).sql), `${q.key} (30 days)`);
    }
  });

  test('reads every monitor_* table the app shows, channels without the sealed secret', async () => {
    for (const table of ['monitor_metrics', 'monitor_incidents', 'monitor_incident_events', 'monitor_notifications', 'monitor_agents',
      'monitor_slo_targets', 'monitor_silences', 'monitor_maintenance_windows', 'monitor_metrics_hourly', 'monitor_intents']) {
      assert.equal(await tryQuery(`SELECT * FROM ${table} LIMIT 1`), 'ok', table);
    }
    const { rows } = await grafana.query('SELECT name, kind, enabled, min_severity, language, chat_id, secret_configured, updated_at, updated_by FROM monitor_channels');
    assert.deepEqual(rows.map((r) => [r.name, r.secret_configured]), [['ops', true]]);
    assert.match(await tryQuery('SELECT secret_sealed FROM monitor_channels'), /permission denied/);
    assert.match(await tryQuery('SELECT * FROM monitor_channels'), /permission denied/);
  });

  test('writes intents, and nothing else', async () => {
    const { rows } = await grafana.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('alice', 'incident.ack', '{"incident_id": 1}') RETURNING id, status`);
    assert.equal(rows[0].status, 'pending');
    assert.match(await tryQuery(`INSERT INTO monitor_intents (author, kind, status) VALUES ('alice', 'alert.test', 'applied')`), /permission denied/, 'cannot forge an applied intent');
    assert.match(await tryQuery(`UPDATE monitor_intents SET status = 'applied'`), /permission denied/);
    assert.match(await tryQuery('DELETE FROM monitor_intents'), /permission denied/);
    const tables = (await db.pool.query(`SELECT c.relname, (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = 1) AS col
      FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'monitor\\_%' AND c.relname <> 'monitor_intents' ORDER BY 1`)).rows;
    assert.ok(tables.length >= 11);
    for (const { relname: t, col } of tables) {
      assert.match(await tryQuery(`DELETE FROM ${t}`), /permission denied/, `DELETE ${t}`);
      assert.match(await tryQuery(`UPDATE ${t} SET ${col} = ${col}`), /permission denied/, `UPDATE ${t}`);
      assert.match(await tryQuery(`INSERT INTO ${t} DEFAULT VALUES`), /permission denied/, `INSERT ${t}`);
      assert.match(await tryQuery(`TRUNCATE ${t}`), /permission denied|must be owner/, `TRUNCATE ${t}`);
    }
    assert.deepEqual((await grafana.query('SHOW statement_timeout')).rows, [{ statement_timeout: '30s' }]);
    const version = Number((await grafana.query('SHOW server_version_num')).rows[0].server_version_num);
    if (version >= 150000) assert.match(await tryQuery('CREATE TABLE monitor_x (a int)'), /permission denied/);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM monitor_metrics')).rows[0].n > 0, true);
  });

  test('a table added later stays hidden until the script is run again', async () => {
    await db.pool.query('CREATE TABLE monitor_future (a int)');
    assert.match(await tryQuery('SELECT * FROM monitor_future'), /permission denied/);
    const c = await db.pool.connect();
    try {
      await applyRoleScript(c, password);
    } finally {
      c.release();
    }
    assert.equal(await tryQuery('SELECT * FROM monitor_future'), 'ok');
    assert.match(await tryQuery('INSERT INTO monitor_future VALUES (1)'), /permission denied/);
  });

  test('a short password is refused with a message that names the variable', async () => {
    const c = await db.pool.connect();
    try {
      await assert.rejects(applyRoleScript(c, 'short'), /grafana_password must be at least 12 characters/);
    } finally {
      c.release();
    }
  });

  test('psql runs the script as documented, when psql is installed', { skip: spawnSync('psql', ['--version']).status !== 0 }, () => {
    const r = spawnSync('psql', [db.url, '-q', '-v', `grafana_password=${password}`, '-f', ROLE_SQL], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(password), 'the password is not echoed');
  });
});
