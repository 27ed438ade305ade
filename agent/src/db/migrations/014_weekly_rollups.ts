import { sql as m006 } from './006_partitions_rollups.ts';
import { sql as m012 } from './012_slo_speed.ts';
import { derive } from './derive.ts';

// Weekly rollups (weeks start on Monday 00:00 UTC), so that a 30-day SLO report reads about ten rows per check
// instead of thirty-one.
//
// A week's row is the sum of its daily rows, written when the rollups reach the week's end (and again when late
// results change one of its days). monitor_rollup_state.weeks_until says up to where every week is written:
// reads use a week's row only below it, and read days anywhere else, so a database whose weeks are not written yet
// (an older agent still rolling up, a new install) answers exactly as before, only slower.
//
// monitor_slo_for(from, to, check) answers for one check through the rollups' primary keys (the check-detail
// dashboard's question); monitor_slo(from, to) is monitor_slo_for for every check.

const SLO_START = 'CREATE OR REPLACE FUNCTION monitor_slo(p_from timestamptz, p_to timestamptz)';
const PIECES_FROM = '  WITH spans AS MATERIALIZED (';
const PIECES_TO = '  ), rolled AS MATERIALIZED (';
const HOURS_BRANCH = '    UNION ALL\n    SELECT h.check_name, p.sign, h.total, h.ok_count, h.latency_count, h.hist_buckets, h.hist_counts, h.p99_bucket\n';

const { between, functionIn, once } = derive('migration 14');

/**
 * monitor_slo of migration 12 as monitor_slo_for(p_from, p_to, p_check): its pieces from monitor_slo_pieces, weekly
 * rows for 'week' pieces, and with p_check only that check's rows (read through the rollups' primary keys).
 */
function sloForWithWeeks(): string {
  const slo = between(m012, SLO_START, '$fn$;');
  let fn = once(slo, between(slo, PIECES_FROM, PIECES_TO), '  WITH pieces AS MATERIALIZED (\n    SELECT * FROM monitor_slo_pieces($1, $2)\n' + PIECES_TO);
  fn = once(fn, SLO_START, 'CREATE OR REPLACE FUNCTION monitor_slo_for(p_from timestamptz, p_to timestamptz, p_check text)');
  fn = once(fn, 'RETURN QUERY SELECT * FROM monitor_slo_maintenance(p_from, p_to);',
    'RETURN QUERY SELECT * FROM monitor_slo_maintenance(p_from, p_to) m WHERE p_check IS NULL OR m.check_name = p_check;');
  fn = once(fn, "WHERE p.kind = 'day' AND d.check_name <> '*'", "WHERE p.kind = 'day' AND d.check_name <> '*' AND ($3::text IS NULL OR d.check_name = $3)");
  fn = once(fn, HOURS_BRANCH,
    '    UNION ALL\n    SELECT w.check_name, p.sign, w.total, w.ok_count, w.latency_count, w.hist_buckets, w.hist_counts, w.p99_bucket\n'
    + "    FROM pieces p JOIN monitor_metrics_weekly w ON w.week >= p.lo AND w.week < p.hi\n"
    + "    WHERE p.kind = 'week' AND w.check_name <> '*' AND ($3::text IS NULL OR w.check_name = $3)\n" + HOURS_BRANCH);
  fn = once(fn, "WHERE p.kind = 'hour' AND h.check_name <> '*'", "WHERE p.kind = 'hour' AND h.check_name <> '*' AND ($3::text IS NULL OR h.check_name = $3)");
  fn = once(fn, 'CROSS JOIN LATERAL monitor_raw(p.lo, p.hi) m', 'CROSS JOIN LATERAL monitor_raw(p.lo, p.hi, $3) m');
  // The tails unnested in the select list (streamed) rather than by a function scan per row (a tuplestore each).
  fn = once(fn, `      SELECT r.check_name, x.b, r.sign * x.n AS n
      FROM rolled r JOIN cut ON cut.check_name = r.check_name
      CROSS JOIN LATERAL unnest(r.hist_buckets[width_bucket(least(cut.c, cut.good_bucket + 1) - 1, r.hist_buckets) + 1:],
                                r.hist_counts[width_bucket(least(cut.c, cut.good_bucket + 1) - 1, r.hist_buckets) + 1:]) x (b, n)
      WHERE r.hist_buckets[cardinality(r.hist_buckets)] >= least(cut.c, cut.good_bucket + 1)`, `      SELECT x.check_name, x.b, x.sign * x.n AS n FROM (
        SELECT r.check_name, r.sign, unnest(r.hist_buckets[k.i + 1:]) AS b, unnest(r.hist_counts[k.i + 1:]) AS n
        FROM rolled r JOIN cut ON cut.check_name = r.check_name
        CROSS JOIN LATERAL (SELECT width_bucket(least(cut.c, cut.good_bucket + 1) - 1, r.hist_buckets) AS i) k
        WHERE r.hist_buckets[cardinality(r.hist_buckets)] >= least(cut.c, cut.good_bucket + 1)
      ) x`);
  return once(fn, '$q$ USING p_from, p_to;', '$q$ USING p_from, p_to, p_check;');
}

/**
 * Migration 6's monitor_rollup_days from its counts on (the rows of a period merged into one per check: counts,
 * histogram, p99 bucket; then the upsert), for periods read from a `days` CTE whose rows carry the period as `w`,
 * written to `table` keyed by (check_name, `key`): one merge rule for every rollup level.
 */
export function mergeOfDays(key: string, table: string): string {
  const tail = '\n  )\n  SELECT count(*)::int FROM up';
  return between(functionIn(m006, 'monitor_rollup_days'), '  ), counts AS (', `    RETURNING 1${tail}`).slice(0, -tail.length)
    .replaceAll('FROM hours', 'FROM days').replace(/\bd\b/g, 'w').replace(/\bday\b/g, key)
    .replaceAll('monitor_metrics_daily', table);
}

/** Migration 6's daily table and its index on the day, keyed by week: a week's row has a day's columns. */
function weeklyTable(): string {
  return between(m006, 'CREATE TABLE IF NOT EXISTS monitor_metrics_daily (', 'CREATE INDEX IF NOT EXISTS idx_monitor_metrics_daily_day ON monitor_metrics_daily (day);')
    .replaceAll('daily_day', 'daily_week').replaceAll('daily', 'weekly')
    .replace(/\bday\b/g, 'week').replace('  week           TIMESTAMPTZ', '  week          TIMESTAMPTZ');
}

/** Migration 6's monitor_rollup_hour, writing the hour's week too (a no-op unless the hour is its week's last). */
function rollupHourWithWeeks(): string {
  const days = "  PERFORM monitor_rollup_days(h, h + interval '1 hour');\n";
  return once(functionIn(m006, 'monitor_rollup_hour'), days, `${days}  PERFORM monitor_rollup_weeks(h, h + interval '1 hour');\n`);
}

export const sql = /* sql */ `
CREATE OR REPLACE FUNCTION monitor_week_of(p_ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT date_trunc('week', p_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$fn$;

${weeklyTable()}

-- Whoever may read the daily rollups (the Grafana role, say) may read the weekly ones: monitor_slo runs with the
-- caller's rights and reads both.
DO $grants$
DECLARE
  g record;
BEGIN
  FOR g IN
    SELECT DISTINCT x.grantee::regrole AS who FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) x
    WHERE c.oid = 'monitor_metrics_daily'::regclass AND x.privilege_type = 'SELECT' AND x.grantee <> c.relowner AND x.grantee <> 0
  LOOP
    EXECUTE format('GRANT SELECT ON monitor_metrics_weekly TO %s', g.who);
  END LOOP;
END
$grants$;

ALTER TABLE monitor_rollup_state ADD COLUMN IF NOT EXISTS weeks_until TIMESTAMPTZ;

-- (Re)writes, from the daily rows, every week that starts at or after the week of p_from and ends at or before
-- p_to, all checks in one statement, and moves weeks_until up to the end of the last one when the weeks before it
-- are written too. Rolling up to a week's end therefore writes that week; a call inside a week writes nothing.
CREATE OR REPLACE FUNCTION monitor_rollup_weeks(p_from timestamptz, p_to timestamptz) RETURNS int
LANGUAGE sql AS $fn$
  WITH weeks AS (
    SELECT w FROM generate_series(monitor_week_of(p_from), p_to - interval '7 days', interval '7 days') w
  ), days AS (
    SELECT k.w, d.check_name AS c, d.total, d.ok_count, d.latency_count, d.hist_buckets, d.hist_counts
    FROM weeks k JOIN monitor_metrics_daily d ON d.day >= k.w AND d.day < k.w + interval '7 days'
${mergeOfDays('week', 'monitor_metrics_weekly')}
  ), mark AS (
    UPDATE monitor_rollup_state s SET weeks_until = (SELECT max(w) + interval '7 days' FROM weeks)
    WHERE EXISTS (SELECT 1 FROM weeks)
      AND (s.weeks_until IS NULL
           OR (s.weeks_until >= monitor_week_of(p_from) AND s.weeks_until < (SELECT max(w) + interval '7 days' FROM weeks)))
    RETURNING 1
  )
  SELECT count(*)::int FROM up
$fn$;

-- The per-hour entry point of migration 6, writing the hour's week too when the hour is the week's last.
${rollupHourWithWeeks()}

-- Hours marked by late results before p_until: rolled again (hours, then their days), then each of their weeks
-- that is already written is written again. One call, so a failure leaves every mark in place.
CREATE OR REPLACE FUNCTION monitor_rollup_late(p_until timestamptz) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  hours timestamptz[];
  h timestamptz;
  w timestamptz;
  written_until timestamptz := (SELECT weeks_until FROM monitor_rollup_state);
BEGIN
  WITH d AS (DELETE FROM monitor_rollup_dirty WHERE hour < p_until RETURNING hour)
  SELECT COALESCE(array_agg(hour ORDER BY hour), '{}') INTO hours FROM d;
  FOREACH h IN ARRAY hours LOOP
    PERFORM monitor_rollup_hours(h, h + interval '1 hour');
    PERFORM monitor_rollup_days(h, h + interval '1 hour');
  END LOOP;
  FOR w IN SELECT DISTINCT monitor_week_of(x) FROM unnest(hours) x WHERE monitor_week_of(x) + interval '7 days' <= written_until LOOP
    PERFORM monitor_rollup_weeks(w, w + interval '7 days');
  END LOOP;
  RETURN cardinality(hours);
END
$fn$;

-- What [p_from, p_to) is read from, as signed pieces: monitor_rollup_spans's spans, where
-- - an edge of more than 12 hours inside one rolled-up day is that day's row less its other hours;
-- - days that hold whole written weeks read those weeks, and an edge of more than 3 days inside one written week is
--   that week's row less its other days (a week's row holds exactly its daily rows).
CREATE OR REPLACE FUNCTION monitor_slo_pieces(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (kind text, lo timestamptz, hi timestamptz, sign int)
LANGUAGE plpgsql STABLE ROWS 12 AS $fn$
DECLARE
  s record;
  d timestamptz;
  w0 timestamptz;
  w1 timestamptz;
  weeks_until timestamptz := COALESCE((SELECT r.weeks_until FROM monitor_rollup_state r), '-infinity');
BEGIN
  FOR s IN SELECT x.kind AS k, lower(x.span) AS a, upper(x.span) AS b FROM monitor_rollup_spans(p_from, p_to, true) x LOOP
    d := monitor_day_of(s.a);
    IF s.k = 'hour' AND s.b - s.a > interval '12 hours' AND d = monitor_day_of(s.b - interval '1 microsecond') THEN
      RETURN QUERY SELECT 'day', d, d + interval '1 day', 1;
      IF d < s.a THEN RETURN QUERY SELECT 'hour', d, s.a, -1; END IF;
      IF s.b < d + interval '1 day' THEN RETURN QUERY SELECT 'hour', s.b, d + interval '1 day', -1; END IF;
      CONTINUE;
    END IF;
    -- The first week that starts at or after the span's start, the last whole written week's end inside it.
    w0 := monitor_week_of(s.a + interval '7 days' - interval '1 microsecond');
    w1 := least(monitor_week_of(s.b), weeks_until);
    IF s.k <> 'day' OR w0 >= w1 THEN
      RETURN QUERY SELECT s.k, s.a, s.b, 1;
      CONTINUE;
    END IF;
    IF w0 - s.a > interval '3 days' AND EXISTS (SELECT 1 FROM monitor_metrics_weekly x WHERE x.week = w0 - interval '7 days') THEN
      RETURN QUERY SELECT 'week', w0 - interval '7 days', w0, 1;
      RETURN QUERY SELECT 'day', w0 - interval '7 days', s.a, -1;
    ELSIF s.a < w0 THEN
      RETURN QUERY SELECT 'day', s.a, w0, 1;
    END IF;
    RETURN QUERY SELECT 'week', w0, w1, 1;
    IF s.b - w1 > interval '3 days' AND w1 + interval '7 days' <= weeks_until THEN
      RETURN QUERY SELECT 'week', w1, w1 + interval '7 days', 1;
      RETURN QUERY SELECT 'day', s.b, w1 + interval '7 days', -1;
    ELSIF w1 < s.b THEN
      RETURN QUERY SELECT 'day', w1, s.b, 1;
    END IF;
  END LOOP;
END
$fn$;

${sloForWithWeeks()}
ALTER FUNCTION monitor_slo_for(timestamptz, timestamptz, text) SET jit = off;
ALTER FUNCTION monitor_slo_for(timestamptz, timestamptz, text) SET work_mem = '64MB';

-- Every check's SLO over [p_from, p_to) (the dashboards', the CLI's and the burn-rate rules' question).
CREATE OR REPLACE FUNCTION monitor_slo(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (check_name text, total bigint, ok_count bigint, uptime_pct numeric, p99_ms double precision,
               latency_good_pct numeric, uptime_target numeric, latency_target_ms int,
               error_budget_remaining_pct numeric, burn_rate numeric, excluded_sec numeric)
LANGUAGE sql STABLE AS $fn$
  SELECT * FROM monitor_slo_for(p_from, p_to, NULL)
$fn$;
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET jit = off;

-- The weeks of the days rolled up so far.
SELECT monitor_rollup_weeks(min(d.day), monitor_day_of(s.rolled_until))
FROM monitor_metrics_daily d CROSS JOIN monitor_rollup_state s
WHERE s.rolled_until IS NOT NULL
GROUP BY s.rolled_until;
`;
