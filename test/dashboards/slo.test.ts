import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { maintain } from '../../agent/src/core/rollups.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { createResultWriter } from '../../agent/src/core/writer.ts';
import { describeDbError } from '../../agent/src/db/pool.ts';
import { sql as m006 } from '../../agent/src/db/migrations/006_partitions_rollups.ts';
import { statusViewWithLookupFunctions } from '../../agent/src/db/migrations/012_slo_speed.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { aMonthOfFourChecks, sameAsFullQuery } from '../helpers/slo.ts';

const T = '2026-03-02T00:00:00Z';
let db: TestDatabase;
const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
const slo = async (from: string, to: string) =>
  Object.fromEntries((await q('SELECT * FROM monitor_slo($1, $2)', [from, to])).rows.map((r) => [r.check_name, r]));

before(async () => {
  db = await migratedDatabase('slo');
});
after(async () => db.drop());
beforeEach(async () => {
  await q(`TRUNCATE monitor_metrics, monitor_metrics_hourly, monitor_metrics_daily, monitor_metrics_weekly, monitor_metrics_span,
    monitor_spans_written, monitor_rollup_dirty, monitor_slo_targets, monitor_maintenance_windows`);
  await q('UPDATE monitor_rollup_state SET rolled_until = NULL, weeks_until = NULL');
});

/** What the agent's maintenance pass does at `until` (plus the two minutes it waits for an hour to settle). */
const rollUpTo = (until: string) =>
  maintain(db.pool, { log: memoryLogger(), now: new Date(Date.parse(until) + 120_000), retentionDays: 3650, rollupRetentionDays: 3650 });

/** One run per minute for `minutes` from `start`; `fail(i)` says which fail; latency from a fixed hash. */
async function runs(check: string, start: string, minutes: number, failEvery = 0) {
  await q(
    `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
     SELECT $2::timestamptz + make_interval(mins => g), $1, NOT ($4 > 0 AND g % $4 = 0),
            20 + abs(hashtext($1 || g::text)) % 1500, '{}'
     FROM generate_series(0, $3 - 1) g`,
    [check, start, minutes, failEvery],
  );
}

describe('monitor_slo', () => {
  test('targets: the check row, else the global row, else 99.5 % / 800 ms; burn rate and budget follow', async () => {
    await runs('a', T, 200, 200);
    const to = '2026-03-02T04:00:00Z';
    let a = (await slo(T, to)).a;
    assert.deepEqual([Number(a.total), Number(a.ok_count), Number(a.uptime_pct)], [200, 199, 99.5]);
    assert.deepEqual([Number(a.uptime_target), a.latency_target_ms, Number(a.burn_rate), Number(a.error_budget_remaining_pct)], [99.5, 800, 1, 0]);

    await q(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms) VALUES ('*', 99.0, 1000)`);
    a = (await slo(T, to)).a;
    assert.deepEqual([Number(a.uptime_target), a.latency_target_ms, Number(a.burn_rate), Number(a.error_budget_remaining_pct)], [99, 1000, 0.5, 50]);

    await q(`INSERT INTO monitor_slo_targets (check_name, uptime_target) VALUES ('a', 99.9)`);
    a = (await slo(T, to)).a;
    assert.deepEqual(
      [Number(a.uptime_target), a.latency_target_ms, Number(a.burn_rate), Number(a.error_budget_remaining_pct)],
      [99.9, 1000, 5, -400],
      'own uptime target, latency target still from the global row; budget overspent four times',
    );
    const { rows } = await q(`SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99,
        100.0 * count(*) FILTER (WHERE latency_ms <= 1000) / count(*) AS good FROM monitor_metrics WHERE ok`);
    assert.equal(a.p99_ms, rows[0].p99);
    assert.equal(Number(a.latency_good_pct), Number(Number(rows[0].good).toFixed(4)));
  });

  test('heartbeats are not checks', async () => {
    await runs('a', T, 10);
    await runs('listener.tick', T, 10);
    await runs('agent.tick', T, 10);
    assert.deepEqual(Object.keys(await slo(T, '2026-03-03T00:00:00Z')), ['a']);
  });

  test('maintenance: daily windows expand up to recurrence_until, globs match, the time is reported', async () => {
    // Two days of runs; every run between 02:00 and 02:30 fails.
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
      SELECT $1::timestamptz + make_interval(mins => g), c, NOT (extract(hour FROM ($1::timestamptz + make_interval(mins => g)) AT TIME ZONE 'UTC') = 2
                                                          AND extract(minute FROM ($1::timestamptz + make_interval(mins => g)) AT TIME ZONE 'UTC') < 30), 100
      FROM generate_series(0, 2 * 1440 - 1) g, unnest(ARRAY['b1', 'b2', 'bx1']) c`, [T]);
    // Daily 02:00–02:30 since two days before, until the second day's occurrence: covers b1 and b2 ('b?').
    await q(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, recurrence, recurrence_until, author)
      VALUES ('b?', '2026-02-28T02:00:00Z', '2026-02-28T02:30:00Z', 'daily', '2026-03-03T02:00:00Z', 'ops'),
             ('b_1', '2026-03-02T00:00:00Z', '2026-03-04T00:00:00Z', NULL, NULL, 'ops')`);
    const all = await slo(T, '2026-03-04T00:00:00Z');
    for (const c of ['b1', 'b2']) {
      assert.equal(Number(all[c].total), 2 * 1440 - 60, `${c}: two half hours left out`);
      assert.equal(Number(all[c].uptime_pct), 100, `${c}: the failures were all in maintenance`);
      assert.equal(Number(all[c].excluded_sec), 3600);
    }
    assert.equal(Number(all.bx1.total), 2 * 1440, "'b?' does not match bx1 and 'b_1' is not a LIKE pattern");
    assert.equal(Number(all.bx1.excluded_sec), 0);
    assert.equal(Number(all.bx1.ok_count), 2 * 1440 - 60);

    await q(`UPDATE monitor_maintenance_windows SET recurrence_until = '2026-03-02T12:00:00Z' WHERE check_pattern = 'b?'`);
    const cut = await slo(T, '2026-03-04T00:00:00Z');
    assert.equal(Number(cut.b1.total), 2 * 1440 - 30, 'no occurrence after recurrence_until');
    assert.equal(Number(cut.b1.excluded_sec), 1800);
    assert.equal(Number(cut.b1.ok_count), 2 * 1440 - 60);

    await q(`UPDATE monitor_maintenance_windows SET recurrence = 'weekly', recurrence_until = NULL WHERE check_pattern = 'b?'`);
    const weekly = await slo(T, '2026-03-04T00:00:00Z');
    assert.equal(Number(weekly.b1.excluded_sec), 0, 'weekly from Feb 28 next falls on Mar 7');
    const overlapping = await slo('2026-02-28T00:00:00Z', '2026-03-04T00:00:00Z');
    assert.equal(Number(overlapping.b1.excluded_sec), 1800, 'the first occurrence, clipped to the window');
  });

  test('rollups give the same uptime, p99 within 1 %, maintenance still exact', async () => {
    await runs('r', '2026-03-01T00:00:00Z', 4 * 1440, 97);
    await q(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, author)
      VALUES ('r', '2026-03-02T10:15:00Z', '2026-03-02T11:45:00Z', 'ops')`);
    const from = '2026-03-01T00:30:00Z';
    const to = '2026-03-04T12:30:00Z';
    const exact = (await slo(from, to)).r;
    const report = await rollUpTo('2026-03-05T00:00:00Z');
    assert.equal(report.hoursRolled, 96);
    const before = (await q('SELECT * FROM monitor_metrics_hourly ORDER BY check_name, bucket')).rows;
    await q('SELECT monitor_rollup_hour($1)', ['2026-03-02T05:10:00Z']);
    assert.deepEqual((await q('SELECT * FROM monitor_metrics_hourly ORDER BY check_name, bucket')).rows, before, 'idempotent');
    assert.equal(before.filter((r) => r.check_name === 'r').length, 96);
    assert.equal(before.filter((r) => r.check_name === '*').length, 96, 'and one row for all checks together');
    assert.equal((await q(`SELECT count(*)::int AS n FROM monitor_metrics_daily WHERE check_name = 'r'`)).rows[0].n, 4);

    const rolled = (await slo(from, to)).r;
    assert.deepEqual(
      [rolled.total, rolled.ok_count, rolled.uptime_pct, rolled.excluded_sec, rolled.burn_rate],
      [exact.total, exact.ok_count, exact.uptime_pct, exact.excluded_sec, exact.burn_rate],
    );
    assert.equal(Number(exact.excluded_sec), 5400);
    assert.ok(Math.abs(rolled.p99_ms - exact.p99_ms) <= 0.01 * exact.p99_ms, `p99 ${rolled.p99_ms} vs ${exact.p99_ms}`);
    assert.notEqual(rolled.p99_ms, exact.p99_ms, 'the window really read the histogram');
    assert.ok(Math.abs(rolled.latency_good_pct - exact.latency_good_pct) <= 1, 'latency share within a bucket');

    const day = (await slo('2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z')).r;
    const { rows } = await q(`SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99, count(*) AS n FROM monitor_metrics
      WHERE ts >= '2026-03-02T00:00:00Z' AND ts < '2026-03-03T00:00:00Z'
        AND NOT (ts >= '2026-03-02T10:15:00Z' AND ts < '2026-03-02T11:45:00Z')`);
    assert.equal(Number(day.total), Number(rows[0].n), 'a day with maintenance: its other hours, and raw rows around the window');
    assert.ok(Math.abs(day.p99_ms - rows[0].p99) <= 0.01 * rows[0].p99, `p99 ${day.p99_ms} vs ${rows[0].p99}`);
  });

  test('a p99 below every whole day (fast edge hours) is merged from the whole histogram, not from the days\' tails', async () => {
    // The whole day: 1,420 runs at 100 ms and 20 at 5 s (its p99 is 5 s); the edge hours: 1,440 runs at 50 ms.
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
      SELECT '2026-03-02T00:00:00Z'::timestamptz + make_interval(mins => g), 'edge', true, CASE WHEN g % 72 = 0 THEN 5000 ELSE 100 END
      FROM generate_series(0, 1439) g
      UNION ALL
      SELECT '2026-03-01T12:00:00Z'::timestamptz + make_interval(mins => g), 'edge', true, 50 FROM generate_series(0, 719) g
      UNION ALL
      SELECT '2026-03-03T00:00:00Z'::timestamptz + make_interval(mins => g), 'edge', true, 50 FROM generate_series(0, 719) g`);
    const from = '2026-03-01T12:00:00Z';
    const to = '2026-03-03T12:00:00Z';
    const exact = (await slo(from, to)).edge;
    assert.equal(exact.p99_ms, 100);
    await rollUpTo('2026-03-04T00:00:00Z');
    assert.equal((await q(`SELECT p99_bucket FROM monitor_metrics_daily WHERE check_name = 'edge' AND day = '2026-03-02T00:00:00Z'`)).rows[0]
      .p99_bucket > 100, true, 'the whole day alone has its p99 at 5 s');
    const rolled = (await slo(from, to)).edge;
    assert.equal(Number(rolled.total), 2880);
    assert.ok(Math.abs(rolled.p99_ms - 100) <= 1, `p99 ${rolled.p99_ms}: within 1 % of 100 ms, from the whole merged histogram (not 5 s)`);
  });

  test('without maintenance, long edges read as their day less its other hours and the p99 from a guaranteed tail: the same numbers as the full query', async () => {
    // Four days, one run a minute: a steady check, one over its latency target, one whose days differ tenfold in
    // speed (so the p99 of the window lies far from most days' p99), one that fails often.
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
      SELECT '2026-03-01T00:00:00Z'::timestamptz + make_interval(mins => g), c.name,
             NOT (c.name = 'flaky' AND g % 7 = 0),
             CASE c.name WHEN 'steady' THEN 80 + abs(hashtext('s' || g)) % 60
                         WHEN 'over' THEN 600 + abs(hashtext('o' || g)) % 900
                         WHEN 'wide' THEN CASE WHEN g / 1440 = 1 THEN 900 + abs(hashtext('w' || g)) % 2000 ELSE 40 + abs(hashtext('w' || g)) % 90 END
                         ELSE 150 + abs(hashtext('f' || g)) % 300 END
      FROM generate_series(0, 4 * 1440 - 1) g, (VALUES ('steady'), ('over'), ('wide'), ('flaky')) c (name)`);
    await q(`INSERT INTO monitor_slo_targets (check_name, latency_ms) VALUES ('over', 1000)`);
    await rollUpTo('2026-03-04T10:00:00Z');
    const windows = [
      ['2026-03-01T02:00:00Z', '2026-03-04T10:00:00Z'], // a 22-hour first edge; the rollups end inside the last day
      ['2026-03-01T02:30:00Z', '2026-03-04T12:40:00Z'], // raw minutes at the start, raw rows past the rollups
      ['2026-03-01T15:00:00Z', '2026-03-03T20:00:00Z'], // a 9-hour first edge (hours), a 20-hour last edge (day less 4 hours)
      ['2026-03-02T03:00:00Z', '2026-03-02T21:00:00Z'], // inside one day, hours cut off at both ends
      ['2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z'], // whole days only
    ];
    for (const [from, to] of windows) {
      const fast = (await q('SELECT * FROM monitor_slo($1, $2)', [from, to])).rows;
      const full = (await q('SELECT * FROM monitor_slo_maintenance($1, $2)', [from, to])).rows;
      assert.equal(fast.length, 4, `${from} → ${to}`);
      assert.deepEqual(fast, full, `${from} → ${to}`);
    }
    const wide = (await slo('2026-03-01T02:00:00Z', '2026-03-04T10:00:00Z')).wide;
    const exact = (await q(`SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99 FROM monitor_metrics
      WHERE check_name = 'wide' AND ts >= '2026-03-01T02:00:00Z' AND ts < '2026-03-04T10:00:00Z'`)).rows[0].p99;
    assert.ok(Math.abs(wide.p99_ms - exact) <= 0.01 * exact, `p99 ${wide.p99_ms} vs ${exact}`);
  });

  test('whole weeks read weekly rows, long day edges a week less its other days; late results rewrite their week; the same numbers as the full query', async () => {
    await aMonthOfFourChecks(db.pool);
    await rollUpTo('2026-03-26T10:00:00Z');
    await q('TRUNCATE monitor_metrics_span, monitor_spans_written'); // weeks alone here; spans in slo-spans.test.ts
    assert.equal((await q('SELECT weeks_until FROM monitor_rollup_state')).rows[0].weeks_until.toISOString(), '2026-03-23T00:00:00.000Z',
      'every week up to the last whole rolled-up one is written');
    assert.deepEqual((await q(`SELECT week FROM monitor_metrics_weekly WHERE check_name = 'steady' ORDER BY week`)).rows.map((r) => r.week.toISOString()),
      ['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z', '2026-03-16T00:00:00.000Z']);
    const windows: [string, string, string[]][] = [
      // a 4-day first edge (its week less three days), days at the end, then the part-rolled day and raw rows
      ['2026-02-25T07:00:00Z', '2026-03-26T12:40:00Z', ['week 1', 'day -1']],
      // a 3-day first edge (days), a 5-day last edge (its week less two days)
      ['2026-02-27T00:00:00Z', '2026-03-21T00:00:00Z', ['week 1', 'day -1']],
      ['2026-03-02T00:00:00Z', '2026-03-16T00:00:00Z', ['week 1']], // whole weeks only
      ['2026-03-03T05:00:00Z', '2026-03-07T00:00:00Z', []], // inside one week: days and hours
      // from the first result: its week less a Monday without results, then one day past the weeks
      ['2026-02-24T00:00:00Z', '2026-03-24T00:00:00Z', ['week 1', 'day -1']],
    ];
    const same = async (label: string) => {
      for (const [from, to, weekPieces] of windows) {
        const pieces = (await q(`SELECT kind, sign FROM monitor_slo_pieces($1, $2) WHERE kind = 'week' OR sign < 0 AND kind = 'day'`, [from, to])).rows;
        if (label === 'written') {
          assert.deepEqual([...new Set(pieces.map((p) => `${p.kind} ${p.sign}`))], weekPieces, `${from} → ${to}: pieces`);
        }
      }
      await sameAsFullQuery(db.pool, label, windows);
    };
    await same('written');

    // A late failure in a written week: its hour, day and week are rolled again.
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2026-03-10T05:30:30Z', 'steady', false, 50)`);
    const before = (await q(`SELECT total, ok_count FROM monitor_metrics_weekly WHERE check_name = 'steady' AND week = '2026-03-09'`)).rows[0];
    assert.equal((await rollUpTo('2026-03-26T10:00:00Z')).lateHoursRolled, 1);
    await q('TRUNCATE monitor_metrics_span, monitor_spans_written');
    const week = (await q(`SELECT total, ok_count FROM monitor_metrics_weekly WHERE check_name = 'steady' AND week = '2026-03-09'`)).rows[0];
    assert.deepEqual([week.total, week.ok_count], [before.total + 1, before.ok_count]);
    await same('late');

    // Weeks not written (an agent that does not write them is rolling up): days answer, with the same numbers.
    await q('UPDATE monitor_rollup_state SET weeks_until = NULL');
    assert.equal((await q(`SELECT count(*)::int AS n FROM monitor_slo_pieces('2026-02-24', '2026-03-24') WHERE kind = 'week'`)).rows[0].n, 0);
    await same('unwritten');

    // With maintenance in the window, one check's SLO is the maintenance query's row for it.
    await q(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, author)
      VALUES ('wide', '2026-03-10T02:00:00Z', '2026-03-10T05:00:00Z', 'ops')`);
    const one = (await q('SELECT * FROM monitor_slo_for($1, $2, $3)', ['2026-03-02', '2026-03-16', 'wide'])).rows;
    assert.equal(Number(one[0].excluded_sec), 3 * 3600);
    assert.deepEqual(one, (await q(`SELECT * FROM monitor_slo('2026-03-02', '2026-03-16') WHERE check_name = 'wide'`)).rows);
  });

  test('what is not rolled up yet comes from raw rows; late results roll their hour again', async () => {
    await runs('late', '2026-03-01T00:00:00Z', 2 * 1440, 10);
    await rollUpTo('2026-03-02T00:00:00Z');
    const to = '2026-03-02T12:00:00Z';
    const first = (await slo('2026-03-01T00:00:00Z', to)).late;
    assert.equal(Number(first.total), 36 * 60, 'the second day is not rolled up yet: raw rows answer for it');
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2026-03-01T05:30:30Z', 'late', false, 50)`);
    assert.deepEqual((await q(`SELECT hour FROM monitor_rollup_dirty WHERE hour < '2026-03-02'`)).rows.map((r) => r.hour.toISOString()),
      ['2026-03-01T05:00:00.000Z'], 'the insert marked its hour');
    const report = await rollUpTo('2026-03-02T00:00:00Z');
    assert.equal(report.lateHoursRolled, 1);
    const hour = (await q(`SELECT total, ok_count FROM monitor_metrics_hourly WHERE check_name = 'late' AND bucket = '2026-03-01T05:00:00Z'`)).rows[0];
    assert.deepEqual([hour.total, hour.ok_count], [61, 54]);
    const again = (await slo('2026-03-01T00:00:00Z', to)).late;
    assert.deepEqual([Number(again.total), Number(again.ok_count)], [36 * 60 + 1, Number(first.ok_count)]);
  });

  test('archiving raw rows keeps their rollups, and long windows still count those hours exactly', async () => {
    await runs('z', '2026-03-01T00:00:00Z', 3 * 1440, 50);
    const { rows: hours } = await q(
      `SELECT generate_series('2026-03-01T00:00:00Z'::timestamptz, '2026-03-03T23:00:00Z', interval '1 hour') AS h`);
    await rollUpTo('2026-03-04T00:00:00Z');
    const before = (await slo('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z')).z;
    await q(`DELETE FROM monitor_metrics WHERE ts < '2026-03-02T00:00:00Z'`);
    for (const { h } of hours) await q('SELECT monitor_rollup_hour($1)', [h]);
    assert.equal((await q(`SELECT count(*)::int AS n FROM monitor_metrics_hourly WHERE check_name = 'z'`)).rows[0].n, 72, 'no rollup erased');
    const after = (await slo('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z')).z;
    assert.deepEqual([after.total, after.ok_count, after.uptime_pct, after.p99_ms], [before.total, before.ok_count, before.uptime_pct, before.p99_ms]);
    assert.equal(Number(after.total), 3 * 1440);
  });

  test('an empty window has no rows; a window fully in maintenance reports no uptime rather than 100 %', async () => {
    assert.deepEqual(await slo(T, '2026-03-03T00:00:00Z'), {});
    await runs('m', T, 60, 2);
    await q(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, author) VALUES ('*', $1, '2026-03-03T00:00:00Z', 'ops')`, [T]);
    const m = (await slo(T, '2026-03-03T00:00:00Z')).m;
    assert.deepEqual([Number(m.total), m.uptime_pct, m.burn_rate, Number(m.excluded_sec)], [0, null, null, 86400]);
  });
});

describe('latency histograms', () => {
  test('a histogram percentile is within 1 % of the exact percentile_cont, for any sample size; exact below 100 ms', async () => {
    const { rows } = await q(`
      WITH s AS (
        SELECT g AS set_id, (abs(hashtext(g || ':' || i)) % (CASE WHEN g % 3 = 0 THEN 100 ELSE 20000 END)) AS v
        FROM generate_series(1, 300) g, generate_series(1, 1 + g % 97) i
      ), h AS (
        SELECT set_id, array_agg(b ORDER BY b) AS bs, array_agg(n ORDER BY b) AS ns
        FROM (SELECT set_id, monitor_hist_bucket(v) AS b, count(*) AS n FROM s GROUP BY 1, 2) x GROUP BY 1
      )
      SELECT s.set_id, qs.q, percentile_cont(qs.q) WITHIN GROUP (ORDER BY s.v) AS exact, max(s.v) < 100 AS small,
             (monitor_hist_percentiles(h.bs, h.ns, '{0.5,0.95,0.99}'))[qs.k] AS estimate,
             (monitor_hist_percentiles(h.bs, h.ns, ARRAY[qs.q]))[1] AS single
      FROM s JOIN h USING (set_id)
      CROSS JOIN (VALUES (1, 0.5::float8), (2, 0.95), (3, 0.99)) qs (k, q)
      GROUP BY s.set_id, qs.k, qs.q, h.bs, h.ns`);
    assert.equal(rows.length, 900);
    let worst = 0;
    for (const r of rows) {
      if (r.small) assert.equal(r.estimate, r.exact, 'below 100 ms every millisecond is its own bucket');
      if (r.exact > 0) worst = Math.max(worst, Math.abs(r.estimate - r.exact) / r.exact);
      assert.equal(r.single, r.estimate, 'one percentile or several, the same answer');
    }
    assert.ok(worst <= Math.sqrt(1.02) - 1 + 1e-9, `worst relative error ${worst}`);
    assert.ok(worst > 0.005, 'the bound is close to what happens, not far above it');
  });

  test('an empty histogram has no percentile; a cut histogram counts what lies below it', async () => {
    const { rows } = await q(`SELECT monitor_hist_percentiles('{}', '{}', '{0.99}') AS p,
      monitor_hist_percentiles('{50}', '{1}', '{0.5}', 1) AS cut`);
    assert.deepEqual(rows, [{ p: [null], cut: [50] }]);
  });

  test('the one-pass percentile function gives exactly what migration 6\'s gave: any percentiles, in any order, cut or whole', async () => {
    const start = m006.indexOf('CREATE OR REPLACE FUNCTION monitor_hist_percentiles(');
    const end = m006.indexOf('$fn$;', start) + '$fn$;'.length;
    const client = await db.pool.connect();
    try {
      await client.query(m006.slice(start, end).replace('CREATE OR REPLACE FUNCTION monitor_hist_percentiles(', 'CREATE FUNCTION pg_temp.hist_percentiles_6('));
      const { rows } = await client.query(`
        WITH h AS (
          SELECT g, array_agg(b ORDER BY b) AS bs, array_agg((abs(hashint4(g * 7919 + b)) % (1 + g % 40))::bigint ORDER BY b) AS ns
          FROM generate_series(1, 300) g CROSS JOIN LATERAL generate_series(1, 1 + g % 260, 1 + g % 3) b GROUP BY g
        ), qs (qs) AS (VALUES ('{0.5,0.95,0.99}'::float8[]), ('{0.99,0.01,0.5}'), ('{0,1}'), ('{0.999}'), ('{}'))
        SELECT count(*)::int AS compared,
               count(*) FILTER (WHERE monitor_hist_percentiles(h.bs, h.ns, qs.qs, c.below) IS DISTINCT FROM pg_temp.hist_percentiles_6(h.bs, h.ns, qs.qs, c.below))::int AS differ
        FROM h CROSS JOIN qs CROSS JOIN (VALUES (0::bigint), (5), (100000)) c (below)`);
      assert.deepEqual(rows, [{ compared: 4500, differ: 0 }]);
    } finally {
      client.release();
    }
  });
});

describe('status views', () => {
  test('monitor_check_status: current streak, maintenance now, worst open incident', async () => {
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES
      (now() - interval '10 minutes', 'api.health', false, 10, '{"error_class":"timeout","error":"no answer"}'),
      (now() - interval '5 minutes', 'api.health', true, 10, '{}'),
      (now() - interval '4 minutes', 'api.health', true, 900, '{"slow":true}'),
      (now() - interval '3 minutes', 'api.stats', false, 10, '{"error_class":"http_status"}'),
      (now() - interval '2 minutes', 'api.stats', false, 10, '{"error_class":"http_status"}'),
      (now() - interval '1 minutes', 'synthetic.hash', false, 10, '{"error_class":"assertion"}')`);
    await q(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, author)
      VALUES ('synthetic.*', now() - interval '1 hour', now() + interval '1 hour', 'ops')`);
    await q(`INSERT INTO monitor_incidents (severity, title, check_name, condition) VALUES
      ('warn', 'slow', 'api.stats', 'slow'), ('crit', 'down', 'api.stats', 'down')`);
    const { rows } = await q('SELECT * FROM monitor_check_status ORDER BY check_name');
    assert.deepEqual(rows.map((r) => [r.check_name, r.status, r.incident_severity]), [
      ['api.health', 'slow', null], ['api.stats', 'down', 'crit'], ['synthetic.hash', 'maintenance', null],
    ]);
    const since = (await q(`SELECT ts FROM monitor_metrics WHERE check_name = 'api.health' AND latency_ms = 10 AND ok`)).rows[0].ts;
    assert.equal(rows[0].since.getTime(), since.getTime(), 'ok since the first success after the failure');
    const first = (await q(`SELECT min(ts) AS ts FROM monitor_metrics WHERE check_name = 'api.stats'`)).rows[0].ts;
    assert.equal(rows[1].since.getTime(), first.getTime(), 'never ok: since the first run');
    await q('TRUNCATE monitor_incidents CASCADE');
  });

  test('monitor_check_status: a streak that started hours or days ago, a check with no result in the last two days', async () => {
    const writer = createResultWriter({ db: db.pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 1000, maxHeld: 100, describeError: describeDbError });
    const now = Date.now();
    const ago = (minutes: number) => new Date(now - minutes * 60_000);
    const run = (check: string, minutes: number, ok: boolean) =>
      writer.add({ check, ts: ago(minutes), ok, latencyMs: 120, details: ok ? {} : { error_class: 'timeout', error: 'no answer' } });
    run('gap', 300, false); // failed 5 h ago, ran again 3 h ago and every 30 minutes since
    for (let m = 180; m >= 0; m -= 30) run('gap', m, true);
    run('week', 6 * 1440, false); // failed 6 days ago, ok 4 and 3 days ago, nothing since
    run('week', 4 * 1440, true);
    run('week', 3 * 1440, true);
    run('never', 10 * 1440, true); // never failed: ok since its first run
    run('never', 9 * 1440, true);
    run('never', 5, true);
    run('soon', 40, false); // failed 40 minutes ago, ok at the next run and since
    for (let m = 30; m >= 0; m -= 10) run('soon', m, true);
    run('down', 50, true); // ok 50 minutes ago, failing since the next run
    for (let m = 45; m >= 5; m -= 10) run('down', m, false);
    assert.equal(await writer.flush(), true);
    await rollUpTo(new Date(now).toISOString());
    const rows = Object.fromEntries((await q('SELECT * FROM monitor_check_status')).rows.map((r) => [r.check_name, r]));
    assert.deepEqual(Object.keys(rows).sort(), ['down', 'gap', 'never', 'soon', 'week'], 'a check seen in the last 31 days is listed');
    assert.deepEqual([rows.soon.status, rows.soon.since.getTime()], ['up', await (async () =>
      (await q(`SELECT ts FROM monitor_metrics WHERE check_name = 'soon' AND ts = $1`, [ago(30)])).rows[0].ts.getTime())()]);
    assert.deepEqual([rows.down.status, rows.down.since.getTime()], ['down', await (async () =>
      (await q(`SELECT ts FROM monitor_metrics WHERE check_name = 'down' AND ts = $1`, [ago(45)])).rows[0].ts.getTime())()]);
    // The same rows as migration 12's view, whose lookups were one function call per check.
    const client = await db.pool.connect();
    try {
      await client.query(statusViewWithLookupFunctions().replace('CREATE OR REPLACE VIEW monitor_check_status AS', 'CREATE TEMP VIEW status_12 AS'));
      await client.query('BEGIN'); // one now() for both
      assert.deepEqual((await client.query('SELECT * FROM monitor_check_status ORDER BY check_name')).rows,
        (await client.query('SELECT * FROM status_12 ORDER BY check_name')).rows);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    const ts = async (check: string, minutes: number) =>
      (await q(`SELECT ts FROM monitor_metrics WHERE check_name = $1 AND ts = $2`, [check, ago(minutes)])).rows[0].ts.getTime();
    assert.deepEqual([rows.gap.status, rows.gap.since.getTime()], ['up', await ts('gap', 180)], 'up since the run 3 h after the failure');
    assert.deepEqual([rows.week.status, rows.week.last_ts.getTime(), rows.week.since.getTime()],
      ['up', await ts('week', 3 * 1440), await ts('week', 4 * 1440)], 'last result 3 days ago, up since the run 2 days after the failure');
    assert.deepEqual([rows.never.status, rows.never.since.getTime()], ['up', await ts('never', 10 * 1440)], 'never failed: since its first run');
  });

  test('listener and agent: lag from the newest heartbeat, block lag from the newest chain.head, nothing when never seen', async () => {
    assert.deepEqual((await q('SELECT * FROM monitor_agent_heartbeat')).rows, []);
    const empty = (await q('SELECT * FROM monitor_listener_status')).rows;
    assert.equal(empty.length, 1);
    assert.equal(empty[0].listener_lag_sec, null);
    assert.equal(empty[0].max_lag_sec, 180, 'default target');
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES
      (now() - interval '100 seconds', 'listener.tick', true, 0, '{"note":"heartbeat","block_number":"500"}'),
      (now() - interval '42 seconds', 'listener.tick', true, 0, '{"note":"heartbeat","block_number":" 512 "}'),
      (now() - interval '60 seconds', 'chain.head', true, 1, '{"head_block":"600"}'),
      (now() - interval '5 seconds', 'chain.head', false, 1, '{"error_class":"rpc_error"}'),
      (now() - interval '7 seconds', 'agent.tick', true, 0, '{"agent_id":"a","version":"1","runtime":"deno"}')`);
    await q(`INSERT INTO monitor_slo_targets (check_name, max_lag_sec) VALUES ('listener.lag', 90)`);
    const [l] = (await q('SELECT * FROM monitor_listener_status')).rows;
    assert.ok(Number(l.listener_lag_sec) >= 42 && Number(l.listener_lag_sec) < 60);
    assert.deepEqual([Number(l.listener_block), Number(l.head_block), Number(l.block_lag), l.max_lag_sec], [512, 600, 88, 90]);
    const [a] = (await q('SELECT * FROM monitor_agent_heartbeat')).rows;
    assert.equal(a.runtime, 'deno');
    assert.ok(Number(a.age_sec) >= 7 && Number(a.age_sec) < 30);
  });
});
