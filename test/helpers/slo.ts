import assert from 'node:assert/strict';
import type pg from 'pg';

/**
 * From Tuesday 2026-02-24 to Thursday 2026-03-26 10:00, one run every 10 minutes (weeks start on Mondays: 03-02,
 * 03-09, 03-16, 03-23) of four kinds of check: steady, over its latency target, fast but slow for one week, flaky.
 */
export const aMonthOfFourChecks = (pool: pg.Pool) => pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
  SELECT '2026-02-24T00:00:00Z'::timestamptz + make_interval(mins => 10 * g), c.name,
         NOT (c.name = 'flaky' AND g % 7 = 0),
         CASE c.name WHEN 'steady' THEN 80 + abs(hashtext('s' || g)) % 60
                     WHEN 'over' THEN 600 + abs(hashtext('o' || g)) % 900
                     WHEN 'wide' THEN CASE WHEN g / 1008 = 2 THEN 900 + abs(hashtext('w' || g)) % 2000 ELSE 40 + abs(hashtext('w' || g)) % 90 END
                     ELSE 150 + abs(hashtext('f' || g)) % 300 END
  FROM generate_series(0, 30 * 144 + 59) g, (VALUES ('steady'), ('over'), ('wide'), ('flaky')) c (name)`);

/** Results, every rollup level and the rollup state emptied, as on a new install. */
export async function emptyResultsAndRollups(pool: pg.Pool) {
  await pool.query(`TRUNCATE monitor_metrics, monitor_metrics_hourly, monitor_metrics_daily, monitor_metrics_weekly, monitor_metrics_span,
    monitor_spans_written, monitor_metrics_partial, monitor_rollup_dirty`);
  await pool.query('UPDATE monitor_rollup_state SET rolled_until = NULL, weeks_until = NULL, partial_until = NULL');
}

/** monitor_slo over each window equals the full query's rows (`checks` of them), and monitor_slo_for's row for one. */
export async function sameAsFullQuery(pool: pg.Pool, label: string, windows: readonly (readonly [string, string, ...unknown[]])[], checks = 4) {
  for (const [from, to] of windows) {
    const fast = (await pool.query('SELECT * FROM monitor_slo($1, $2)', [from, to])).rows;
    const full = (await pool.query('SELECT * FROM monitor_slo_maintenance($1, $2)', [from, to])).rows;
    assert.equal(fast.length, checks, `${label}: ${from} → ${to}`);
    assert.deepEqual(fast, full, `${label}: ${from} → ${to}`);
    const one = (await pool.query('SELECT * FROM monitor_slo_for($1, $2, $3)', [from, to, 'wide'])).rows;
    assert.deepEqual(one, fast.filter((r) => r.check_name === 'wide'), `${label}: ${from} → ${to}, one check`);
  }
}
