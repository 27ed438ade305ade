import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

const root = path.resolve(import.meta.dirname, '../..');
let db: TestDatabase;
before(async () => {
  db = await migratedDatabase('slo_cli');
  // Three days of two checks, one run every 10 minutes; 'b' fails one run in five. And one day 40 days ago.
  await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT g, c, NOT (c = 'b' AND (extract(epoch FROM g)::bigint / 600) % 5 = 0), 100 + (extract(epoch FROM g)::bigint / 600) % 50, NULL
    FROM generate_series(now() - interval '3 days', now(), interval '10 minutes') g, unnest(ARRAY['a', 'b']) c`);
  await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
    SELECT date_trunc('day', now()) - interval '40 days' + make_interval(hours => 12, mins => m), 'a', true, 100 FROM generate_series(0, 59) m`);
});
after(async () => db.drop());

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'agent/src/main.node.ts', ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, ...env },
  });

test('maintain prints what it did: partitions, rollups, the day past retention dropped; a second run finds nothing to drop', () => {
  const first = cli(['maintain'], { MONITOR_RETENTION_DAYS: '30' });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /rolled up \d+ hour\(s\).*rollups complete until \d{4}-/);
  assert.match(first.stdout, /dropped monitor_metrics_p\d{8} \(60 results, \d+ ms\)/);
  const second = cli(['maintain'], { MONITOR_RETENTION_DAYS: '30' });
  assert.equal(second.status, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /dropped/);
  const bad = cli(['maintain'], { MONITOR_RETENTION_DAYS: 'forever' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /MONITOR_RETENTION_DAYS/);
});

test('slo --format json: one object per check with the numbers of the table; exit 1 when an objective is missed', async () => {
  const r = cli(['slo', '--window', '30d', '--format', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.deepEqual(rows.map((x: any) => x.check_name), ['a', 'b']);
  const exact = (await db.pool.query(`SELECT check_name, count(*)::int AS n, count(*) FILTER (WHERE ok)::int AS ok,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE ok) AS p99
    FROM monitor_metrics WHERE ts > now() - interval '30 days' AND check_name IN ('a', 'b') GROUP BY 1 ORDER BY 1`)).rows;
  for (const [i, row] of rows.entries()) {
    assert.equal(row.total, exact[i].n);
    assert.equal(row.uptime_pct, Number((100 * exact[i].ok / exact[i].n).toFixed(4)));
    assert.ok(Math.abs(row.p99_ms - exact[i].p99) <= 0.01 * exact[i].p99, `${row.check_name} p99 ${row.p99_ms} vs ${exact[i].p99}`);
    for (const key of ['uptime_target', 'latency_target_ms', 'meets_uptime', 'meets_latency', 'error_budget_remaining_pct', 'burn_rate']) {
      assert.ok(key in row, key);
    }
  }
  assert.deepEqual(rows.map((x: any) => x.meets_uptime), [true, false]);
  const wrong = cli(['slo', '--format', 'xml']);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /--format: expected table or json, got "xml"/);
});
