import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../../agent/src/db/migrate.ts';
import { migrations } from '../../agent/src/db/migrations/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
before(async () => {
  db = await freshDatabase('partitions');
});
after(async () => db.drop());

const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);

test("today's unpartitioned table is adopted into day partitions: every row, column, view, grant and rollup kept", async () => {
  // The schema as the previous release left it, with rows over three days, a user's view, a grant and an extra column.
  await q(`CREATE TABLE monitor_schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  for (const m of migrations.filter((m) => m.version <= 4)) {
    await q(m.sql);
    await q('INSERT INTO monitor_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
  await q(`ALTER TABLE monitor_metrics ADD COLUMN region TEXT`);
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details, region)
    SELECT '2026-02-27T00:00:00Z'::timestamptz + make_interval(mins => g * 7), 'api.health', g % 9 <> 0, 50 + g % 700,
           CASE WHEN g % 9 = 0 THEN '{"error_class":"timeout"}'::jsonb END, 'sa-east'
    FROM generate_series(0, 3 * 24 * 60 / 7) g`);
  await q(`INSERT INTO monitor_metrics_hourly (check_name, bucket, total, ok_count, slow_count, latency_sum, latency_max, latency_hist)
    VALUES ('api.gone', '2026-01-01T00:00:00Z', 3, 2, 0, 300, 200, '{"80": 1, "95": 1}')`);
  await q(`CREATE VIEW my_failures AS SELECT check_name, ts FROM monitor_metrics WHERE ok = false`);
  await q(`GRANT SELECT ON monitor_metrics, my_failures, monitor_check_status TO PUBLIC`);
  const before = (await q(`SELECT id, ts, check_name, ok, latency_ms, details, region FROM monitor_metrics ORDER BY id`)).rows;

  const client = await db.pool.connect();
  try {
    const report = await migrate(client);
    assert.deepEqual(report.applied.map((m) => m.version), migrations.filter((m) => m.version > 4).map((m) => m.version));
  } finally {
    client.release();
  }

  assert.equal((await q(`SELECT relkind FROM pg_class WHERE oid = 'monitor_metrics'::regclass`)).rows[0].relkind, 'p');
  assert.deepEqual((await q(`SELECT id, ts, check_name, ok, latency_ms, details, region FROM monitor_metrics ORDER BY id`)).rows, before);
  const days = (await q(`SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM monitor_metrics GROUP BY 1 ORDER BY 1`)).rows;
  assert.deepEqual(days.map((d) => d.part), ['monitor_metrics_p20260227', 'monitor_metrics_p20260228', 'monitor_metrics_p20260301']);
  assert.equal(Number((await q('SELECT count(*) FROM my_failures')).rows[0].count), before.filter((r) => !r.ok).length);
  const grants = (await q(`SELECT c.relname FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) x
    WHERE c.relnamespace = current_schema()::regnamespace AND x.grantee = 0 AND x.privilege_type = 'SELECT' ORDER BY 1`)).rows.map((r) => r.relname);
  assert.deepEqual(grants, ['monitor_check_status', 'monitor_metrics', 'my_failures']);

  // The old rollup keeps its histogram, moved to the finer buckets: values 80 and 95 ms of the old 5 % buckets.
  const old = (await q(`SELECT total, ok_count, latency_count, hist_buckets, hist_counts FROM monitor_metrics_hourly WHERE check_name = 'api.gone'`)).rows[0];
  assert.deepEqual([old.total, old.ok_count, old.latency_count, old.hist_counts], [3, 2, 2, [1, 1]]);
  assert.ok(old.hist_buckets.length === 2 && old.hist_buckets[0] < old.hist_buckets[1]);

  // The listener's v1.2 INSERT lands in today's partition and ids go on from the highest one.
  await q(`INSERT INTO monitor_metrics(check_name, ok, latency_ms, details) VALUES ('listener.tick', true, 0, '{"note":"heartbeat","block_number":"123"}')`);
  const tick = (await q(`SELECT id, tableoid::regclass::text AS part FROM monitor_metrics WHERE check_name = 'listener.tick'`)).rows[0];
  assert.equal(Number(tick.id), Number(before.at(-1).id) + 1);
  assert.equal(tick.part, `monitor_metrics_p${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`);
  // Running the v1.2 DDL again changes nothing.
  await q(`CREATE TABLE IF NOT EXISTS monitor_metrics(id SERIAL PRIMARY KEY, ts TIMESTAMP DEFAULT NOW(), check_name TEXT, ok BOOLEAN, latency_ms INT, details JSONB);
    CREATE INDEX IF NOT EXISTS idx_monitor_metrics_ts ON monitor_metrics(ts DESC);
    CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_name ON monitor_metrics(check_name);`);
});
