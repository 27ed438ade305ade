import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { migrate, schemaVersion, latestVersion } from '../../agent/src/db/migrate.ts';
import { migrations } from '../../agent/src/db/migrations/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

const V12_DDL = `
CREATE TABLE IF NOT EXISTS monitor_metrics(
    id SERIAL PRIMARY KEY, ts TIMESTAMP DEFAULT NOW(), check_name TEXT,
    ok BOOLEAN, latency_ms INT, details JSONB);
CREATE TABLE IF NOT EXISTS monitor_incidents(
    id SERIAL PRIMARY KEY, opened_at TIMESTAMP DEFAULT NOW(), resolved_at TIMESTAMP,
    severity TEXT, title TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_ts ON monitor_metrics(ts DESC);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_name ON monitor_metrics(check_name);`;

let db: TestDatabase;
before(async () => {
  db = await freshDatabase('migrate');
});
after(async () => db.drop());

test('adopts a v1.2 database without losing a row, and two agents migrating at once apply each migration once', async () => {
  await db.pool.query(V12_DDL);
  await db.pool.query(`SET TIME ZONE 'UTC'`);
  await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT TIMESTAMP '2026-01-01 00:00:00' + make_interval(mins => g), 'api.health', g % 10 <> 0, 100 + g, '{"status":200}'
    FROM generate_series(1, 500) g`);
  await db.pool.query(`INSERT INTO monitor_metrics (check_name, ok, latency_ms, details)
    VALUES ('listener.tick', true, 0, '{"note":"heartbeat","block_number":"123"}')`);
  await db.pool.query(`INSERT INTO monitor_incidents (severity, title, detail) VALUES ('CRITICAL', 'old', 'kept')`);
  const before = await db.pool.query(`SELECT id::bigint AS id, ts AT TIME ZONE 'UTC' AS ts, check_name, ok, latency_ms, details FROM monitor_metrics ORDER BY id`);

  const clients = [new pg.Client(db.url), new pg.Client(db.url), new pg.Client(db.url)];
  await Promise.all(clients.map((c) => c.connect()));
  const reports = await Promise.all(clients.map((c) => migrate(c)));
  await Promise.all(clients.map((c) => c.end()));
  const appliedCounts = reports.map((r) => r.applied.length).sort();
  assert.deepEqual(appliedCounts, [0, 0, migrations.length], 'exactly one agent applies the migrations');

  const afterRows = await db.pool.query(`SELECT id::bigint AS id, ts AT TIME ZONE 'UTC' AS ts, check_name, ok, latency_ms, details FROM monitor_metrics ORDER BY id`);
  assert.deepEqual(afterRows.rows, before.rows);
  const types = await db.pool.query(`SELECT table_name, column_name, data_type FROM information_schema.columns
    WHERE table_name IN ('monitor_metrics','monitor_incidents') AND column_name IN ('ts','opened_at','resolved_at','id')
    ORDER BY 1, 2`);
  for (const r of types.rows) {
    assert.match(r.data_type, r.column_name === 'id' ? /^bigint$/ : /^timestamp with time zone$/, `${r.table_name}.${r.column_name}`);
  }
  const incident = await db.pool.query('SELECT severity, title, detail FROM monitor_incidents');
  assert.deepEqual(incident.rows, [{ severity: 'CRITICAL', title: 'old', detail: 'kept' }]);

  // The listener's v1.2 insert keeps working, with the default ts.
  const ins = await db.pool.query(`INSERT INTO monitor_metrics(check_name, ok, latency_ms, details)
    VALUES ('listener.tick', true, 0, '{"note":"heartbeat","block_number":"124"}') RETURNING ts, id`);
  assert.ok(Math.abs(Date.now() - ins.rows[0].ts.getTime()) < 60_000);
  const client = await db.pool.connect();
  try {
    assert.equal(await schemaVersion(client), latestVersion());
    assert.equal((await migrate(client)).applied.length, 0, 'idempotent');
  } finally {
    client.release();
  }
});

test('the schema allows at most one open incident per check and condition', async () => {
  await db.pool.query(`INSERT INTO monitor_incidents (severity, title, check_name, condition) VALUES ('crit', 'a', 'api.health', 'down')`);
  await assert.rejects(
    db.pool.query(`INSERT INTO monitor_incidents (severity, title, check_name, condition) VALUES ('crit', 'b', 'api.health', 'down')`),
    /monitor_incidents_one_open/,
  );
  await db.pool.query(`UPDATE monitor_incidents SET resolved_at = now() WHERE check_name = 'api.health'`);
  await db.pool.query(`INSERT INTO monitor_incidents (severity, title, check_name, condition) VALUES ('crit', 'c', 'api.health', 'down')`);
  await assert.rejects(
    db.pool.query(`INSERT INTO monitor_incidents (severity, title, check_name, condition) VALUES ('fatal', 'd', 'api.x', 'down')`),
    /severity_check/,
  );
});

test('monitor_slo runs without JIT, whatever migration last replaced it', async () => {
  const client = await db.pool.connect();
  await migrate(client).finally(() => client.release());
  const { rows } = await db.pool.query<{ proconfig: string[] | null }>(`SELECT proconfig FROM pg_proc WHERE proname = 'monitor_slo'`);
  assert.equal(rows.length, 1);
  assert.ok(rows[0].proconfig?.includes('jit=off'), `monitor_slo runs with ${JSON.stringify(rows[0].proconfig)}`);
});
