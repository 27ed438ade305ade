import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { describeMaintenance, maintain } from '../../agent/src/core/rollups.ts';
import { sql as migration18 } from '../../agent/src/db/migrations/018_live_edges.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { aMonthOfFourChecks, emptyResultsAndRollups, sameAsFullQuery } from '../helpers/slo.ts';

let db: TestDatabase;
const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
before(async () => {
  db = await migratedDatabase('slo_edges');
});
after(async () => db.drop());

/** The agent's maintenance pass at `now`. */
const passAt = (now: string) => maintain(db.pool, { log: memoryLogger(), now: new Date(now), retentionDays: 3650, rollupRetentionDays: 3650 });

/** The pieces of a window that are not whole days, as "kind HH:MM..HH:MM sign", read through `client`. */
const edgesAs = async (client: { query: typeof q }, window: unknown[]) => (await client.query(`SELECT kind, sign,
    to_char(lo AT TIME ZONE 'UTC', 'HH24:MI') || '..' || to_char(hi AT TIME ZONE 'UTC', 'HH24:MI') AS span
  FROM monitor_slo_pieces($1, $2) WHERE kind IN ('raw', 'partial') ORDER BY lo, kind`, window)).rows.map((p) => `${p.kind} ${p.span} ${p.sign}`);
const edges = (from: string, to: string) => edgesAs({ query: q }, [from, to]);

test('a window ending now reads the hour so far from its rollup, and a start edge of more than half an hour as its hour less the minutes before it; the same numbers as the full query', async () => {
  // Runs every 10 minutes until 03-26 09:50; the pass runs at 09:47 and rolls the hour so far up to 09:45.
  await aMonthOfFourChecks(db.pool);
  const report = await passAt('2026-03-26T09:47:00Z');
  assert.equal(report.rolledUntil?.toISOString(), '2026-03-26T09:00:00.000Z');
  assert.equal(report.partialUntil?.toISOString(), '2026-03-26T09:45:00.000Z');
  assert.match(describeMaintenance(report).join('\n'), /rollups complete until 2026-03-26T09:00:00.000Z, the hour since then until 2026-03-26T09:45:00.000Z/);
  const steady = (await q(`SELECT bucket, total FROM monitor_metrics_partial WHERE check_name = 'steady'`)).rows;
  assert.deepEqual(steady, [{ bucket: new Date('2026-03-26T09:00:00Z'), total: 5 }], 'the runs of 09:00 to 09:40');

  const windows: [string, string, string[]][] = [
    // 30 days as the SLO page asks at 09:47: the start edge 08:20..09:00 is its hour less 08:00..08:20
    ['2026-02-24T08:20:00Z', '2026-03-26T09:47:00Z', ['raw 08:00..08:20 -1', 'partial 09:00..09:45 1', 'raw 09:45..09:47 1']],
    // a start edge of half an hour or less stays raw
    ['2026-03-19T09:30:00Z', '2026-03-26T09:47:00Z', ['raw 09:30..10:00 1', 'partial 09:00..09:45 1', 'raw 09:45..09:47 1']],
    // a window that ends inside the stretch rolled so far, or starts inside its hour, reads raw rows
    ['2026-03-25T08:50:00Z', '2026-03-26T09:30:00Z', ['raw 08:50..09:00 1', 'raw 09:00..09:30 1']],
    ['2026-03-26T09:10:00Z', '2026-03-26T09:47:00Z', ['raw 09:10..09:47 1']],
  ];
  const same = async (label: string, expectPieces = true, more: [string, string][] = []) => {
    for (const [from, to, want] of windows) {
      if (expectPieces) assert.deepEqual(await edges(from, to), want, `${label}: ${from} → ${to}: edges`);
    }
    await sameAsFullQuery(db.pool, label, [...windows, ...more]);
  };
  await same('rolled so far');

  // A late failure inside the stretch rolled so far: the hour is marked, reads take raw rows until the next pass.
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2026-03-26T09:21:00Z', 'steady', false, 3000)`);
  assert.deepEqual(await edges(windows[0][0], windows[0][1]), ['raw 08:00..08:20 -1', 'raw 09:00..09:47 1']);
  await same('marked', false);
  const next = await passAt('2026-03-26T09:52:00Z');
  assert.equal(next.partialUntil?.toISOString(), '2026-03-26T09:50:00.000Z');
  assert.deepEqual(await edges(windows[0][0], '2026-03-26T09:52:00Z'), ['raw 08:00..08:20 -1', 'partial 09:00..09:50 1', 'raw 09:50..09:52 1']);
  assert.equal((await q(`SELECT total FROM monitor_metrics_partial WHERE check_name = 'steady'`)).rows[0].total, 6, 'the late run is in');
  assert.equal((await q('SELECT count(*)::int AS n FROM monitor_rollup_dirty')).rows[0].n, 0);
  await same('rolled again', false, [[windows[0][0], '2026-03-26T09:52:00Z']]);

  // A late result in the hour a start edge reads: that edge is raw again until its hour is rolled again.
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2026-02-24T08:05:00Z', 'flaky', false, 10)`);
  assert.deepEqual((await edges(windows[0][0], windows[0][1]))[0], 'raw 08:20..09:00 1');
  await same('late at the start', false);

  // Once the hour ends and is rolled up, the rows of the hour so far are gone and the hour is read.
  const hourDone = await passAt('2026-03-26T10:02:30Z');
  assert.equal(hourDone.rolledUntil?.toISOString(), '2026-03-26T10:00:00.000Z');
  assert.equal(hourDone.partialUntil, null);
  assert.equal((await q('SELECT count(*)::int AS n FROM monitor_metrics_partial')).rows[0].n, 0);
  assert.equal((await q('SELECT partial_until FROM monitor_rollup_state')).rows[0].partial_until, null);
  assert.deepEqual(await edges(windows[0][0], '2026-03-26T10:02:00Z'), ['raw 08:00..08:20 -1', 'raw 10:00..10:02 1']);
  await sameAsFullQuery(db.pool, 'hour done', [[windows[0][0], '2026-03-26T10:02:00Z']]);
});

test('the minutes taken off a start edge are slow and failing: the p99 and uptime leave them out', async () => {
  // In the hour 08:00..09:00, runs before 08:15 take 5 s and half of them fail; from 08:15 on, every run is fast.
  await emptyResultsAndRollups(db.pool);
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
    SELECT '2026-03-25T08:00:00Z'::timestamptz + make_interval(mins => g), 'edge', CASE WHEN g < 15 THEN g % 2 = 0 ELSE true END,
           CASE WHEN g < 15 THEN 5000 ELSE 100 + g % 7 END
    FROM generate_series(0, 26 * 60 - 1) g`);
  await passAt('2026-03-26T10:05:00Z');
  const window: [string, string] = ['2026-03-25T08:15:00Z', '2026-03-26T10:00:00Z'];
  assert.deepEqual((await edges(...window))[0], 'raw 08:00..08:15 -1');
  const row = (await q(`SELECT * FROM monitor_slo($1, $2)`, window)).rows[0];
  assert.equal(Number(row.uptime_pct), 100);
  assert.ok(row.p99_ms < 120, `p99 ${row.p99_ms} ms`);
  await sameAsFullQuery(db.pool, 'edge', [window], 1);
});

test('a result that arrives for the stretch already rolled up marks its hour', async () => {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const marked = async () => {
      await client.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES (now(), 'steady', true, 90)`);
      return (await client.query('SELECT 1 FROM monitor_rollup_dirty WHERE hour = monitor_hour_of(now())')).rows.length > 0;
    };
    await client.query('UPDATE monitor_rollup_state SET partial_until = NULL');
    assert.equal(await marked(), false, 'a result of the current hour, nothing rolled up');
    await client.query(`UPDATE monitor_rollup_state SET partial_until = now() + interval '1 minute'`);
    assert.equal(await marked(), true, 'a result before the end of the stretch rolled up');
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
});

test('two agents rolling the hour so far at once take turns: the rows always match partial_until', async () => {
  await emptyResultsAndRollups(db.pool);
  await q(`UPDATE monitor_rollup_state SET rolled_until = '2026-03-26T09:00:00Z'`);
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2026-03-26T09:10:00Z', 'a', true, 50), ('2026-03-26T09:35:00Z', 'b', true, 60)`);
  const first = await db.pool.connect();
  const second = await db.pool.connect();
  try {
    const pid = (await second.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await first.query('BEGIN');
    await first.query(`SELECT monitor_rollup_partial('2026-03-26T09:45:00Z')`);
    // The second pass, with an earlier minute, starts while the first has not committed, and waits for it.
    const later = second.query(`SELECT monitor_rollup_partial('2026-03-26T09:30:00Z')`);
    while (!(await q(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid])).rows.length) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await first.query('COMMIT');
    await later;
  } finally {
    first.release();
    second.release();
  }
  assert.equal((await q('SELECT partial_until FROM monitor_rollup_state')).rows[0].partial_until.toISOString(), '2026-03-26T09:30:00.000Z');
  assert.deepEqual((await q('SELECT check_name, total FROM monitor_metrics_partial ORDER BY check_name')).rows,
    [{ check_name: '*', total: 1 }, { check_name: 'a', total: 1 }], 'nothing of 09:30 to 09:45 is left');
});

test('a role that reads the daily rollups (the Grafana role) reads the hour so far too once migration 18 has run', async () => {
  // The state the previous test left: the hour so far rolled up to 09:30, one result of 'a' in it.
  const role = `edges_reader_${randomBytes(4).toString('hex')}`;
  await q(`CREATE ROLE ${role}`);
  const client = await db.pool.connect();
  try {
    await q(`GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};
      REVOKE SELECT ON monitor_metrics_partial FROM ${role}`);
    await q(migration18);
    await client.query(`SET ROLE ${role}`);
    const window = ['2026-03-26T08:00:00Z', '2026-03-26T09:40:00Z'];
    assert.deepEqual(await edgesAs(client, window), ['partial 09:00..09:30 1', 'raw 09:30..09:40 1']);
    const rows = (await client.query('SELECT check_name, total FROM monitor_slo($1, $2) ORDER BY check_name', window)).rows;
    assert.deepEqual(rows.map((r) => [r.check_name, Number(r.total)]), [['a', 1], ['b', 1]]);
  } finally {
    await client.query('RESET ROLE');
    client.release();
    await q(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
  }
});
