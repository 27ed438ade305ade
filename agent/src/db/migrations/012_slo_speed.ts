import { sql as m006 } from './006_partitions_rollups.ts';
import { sql as m010 } from './010_intents_and_targets.ts';

// monitor_slo of migration 10 becomes monitor_slo_maintenance: the path for windows that hold a maintenance
// occurrence (it splits days and hours that overlap one). Its body is taken from migration 10 as written.
const SLO_START = 'CREATE OR REPLACE FUNCTION monitor_slo(';

function sloOfMigration10(name: string): string {
  const start = m010.indexOf(SLO_START);
  const end = m010.indexOf('$fn$;', start);
  if (start < 0 || end < 0) throw new Error('migration 12: migration 10 no longer defines monitor_slo');
  return `CREATE OR REPLACE FUNCTION ${name}(${m010.slice(start + SLO_START.length, end + '$fn$;'.length)}`;
}

// monitor_check_status of migration 6, with its per-check lookups over every day partition (the last result when
// the last hour has none, the last result of the other outcome, the first result of the current streak) moved into
// plpgsql functions: the view no longer plans a dozen scans of ~40 partitions each time it is read, a function's
// queries are planned once per session and only when they run, and the streak's first result is looked for in the
// minutes after the last result of the other outcome before the whole day (one check's rows of an older day are
// found through the check_name index and BRIN, which a few minutes narrow to a few pages).
const STATUS_VIEW = 'CREATE OR REPLACE VIEW monitor_check_status AS';
const STATUS_LOOKUPS: [string, string, string][] = [
  ['       COALESCE(\n         (SELECT m.ts FROM monitor_metrics m\n', '       ) AS since,',
    '       monitor_streak_start(n.check_name, streak.broken_at, first.day) AS since,'],
  ['    UNION ALL\n    (SELECT m.ts, m.ok, m.latency_ms, m.details FROM monitor_metrics m\n     WHERE m.check_name = n.check_name AND m.ts >= monitor_recent_from()',
    '  ) x LIMIT 1\n) last',
    '    UNION ALL\n    SELECT l.ts, l.ok, l.latency_ms, l.details FROM monitor_latest_result(n.check_name) l\n  ) x LIMIT 1\n) last'],
  ['  SELECT CASE WHEN last.ok\n    THEN COALESCE(', '  END AS broken_at\n) streak',
    '  SELECT CASE WHEN last.ok THEN monitor_last_outcome(n.check_name, false) ELSE monitor_last_outcome(n.check_name, true) END AS broken_at\n) streak'],
];

export function statusViewWithLookupFunctions(): string {
  const start = m006.indexOf(STATUS_VIEW);
  const end = m006.indexOf(";\n\n", start) + 1;
  let view = m006.slice(start, end);
  for (const [from, to, by] of STATUS_LOOKUPS) {
    const a = view.indexOf(from);
    const b = a < 0 ? -1 : view.indexOf(to, a);
    if (start < 0 || a < 0 || b < 0) throw new Error('migration 12: monitor_check_status of migration 6 no longer has the lookups it replaces');
    view = view.slice(0, a) + by + view.slice(b + to.length);
  }
  return view;
}

// SLO per check in one pass over as few rollup rows as the window allows:
// - an edge of more than 12 hours inside one day is read as that day's row minus its other hours (histograms
//   and counts subtract exactly), so a 30-day window reads about one row per check and day;
// - p99 reads only the tail of each histogram at or above a cut that is guaranteed to hold the p99: every row
//   has at least (n - floor(0.99 (n - 1))) runs at or above its own p99 bucket, so the highest p99 bucket where
//   those guaranteed runs, summed over the rows from the top down, reach the check's own count from the top is
//   at or below the check's p99. A check for which no cut is found (or whose tail comes out short) is merged whole.
// - the spans are computed first and the one query is planned with them as values, so raw partitions are pruned.
export const sql = /* sql */ `
${sloOfMigration10('monitor_slo_maintenance')}
ALTER FUNCTION monitor_slo_maintenance(timestamptz, timestamptz) SET jit = off;
ALTER FUNCTION monitor_slo_maintenance(timestamptz, timestamptz) SET work_mem = '64MB';

CREATE OR REPLACE FUNCTION monitor_slo(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (check_name text, total bigint, ok_count bigint, uptime_pct numeric, p99_ms double precision,
               latency_good_pct numeric, uptime_target numeric, latency_target_ms int,
               error_budget_remaining_pct numeric, burn_rate numeric, excluded_sec numeric)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM monitor_maintenance_occurrences(p_from, p_to)) THEN
    RETURN QUERY SELECT * FROM monitor_slo_maintenance(p_from, p_to);
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $q$
  WITH spans AS MATERIALIZED (
    SELECT s.kind, lower(s.span) AS lo, upper(s.span) AS hi, monitor_day_of(lower(s.span)) AS d
    FROM monitor_rollup_spans($1, $2, true) s
  ), pieces AS MATERIALIZED (
    -- An edge of more than 12 hours of one rolled-up day: the day's row, less the day's hours outside the edge.
    SELECT s.kind, s.lo, s.hi, 1 AS sign FROM spans s
    WHERE NOT (s.kind = 'hour' AND s.hi - s.lo > interval '12 hours' AND s.d = monitor_day_of(s.hi - interval '1 microsecond'))
    UNION ALL
    SELECT x.kind, x.lo, x.hi, x.sign FROM spans s
    CROSS JOIN LATERAL (VALUES ('day', s.d, s.d + interval '1 day', 1), ('hour', s.d, s.lo, -1),
                               ('hour', s.hi, s.d + interval '1 day', -1)) x (kind, lo, hi, sign)
    WHERE s.kind = 'hour' AND s.hi - s.lo > interval '12 hours' AND s.d = monitor_day_of(s.hi - interval '1 microsecond')
      AND x.lo < x.hi
  ), rolled AS MATERIALIZED (
    SELECT d.check_name, p.sign, d.total, d.ok_count, d.latency_count, d.hist_buckets, d.hist_counts, d.p99_bucket
    FROM pieces p JOIN monitor_metrics_daily d ON d.day >= p.lo AND d.day < p.hi
    WHERE p.kind = 'day' AND d.check_name <> '*'
    UNION ALL
    SELECT h.check_name, p.sign, h.total, h.ok_count, h.latency_count, h.hist_buckets, h.hist_counts, h.p99_bucket
    FROM pieces p JOIN monitor_metrics_hourly h ON h.bucket >= p.lo AND h.bucket < p.hi
    WHERE p.kind = 'hour' AND h.check_name <> '*'
  ), raw AS MATERIALIZED (
    SELECT m.check_name, m.ok, m.latency_ms FROM pieces p CROSS JOIN LATERAL monitor_raw(p.lo, p.hi) m WHERE p.kind = 'raw'
  ), rolled_stats AS (
    SELECT r.check_name, sum(r.sign * r.total) AS total, sum(r.sign * r.ok_count) AS ok_count,
           sum(r.sign * r.latency_count) AS timed, COALESCE(sum(r.latency_count) FILTER (WHERE r.sign < 0), 0) AS taken_off
    FROM rolled r GROUP BY r.check_name
  ), targets AS MATERIALIZED (
    SELECT n.check_name, t.uptime_target, t.latency_target_ms, monitor_hist_good_bucket(t.latency_target_ms) AS good_bucket
    FROM (SELECT r.check_name FROM rolled_stats r UNION SELECT r.check_name FROM raw r) n
    CROSS JOIN LATERAL monitor_effective_targets(n.check_name) t
  ), raw_stats AS (
    SELECT r.check_name, count(*) AS total, count(*) FILTER (WHERE r.ok) AS ok_count,
           count(*) FILTER (WHERE r.ok AND r.latency_ms IS NOT NULL) AS timed,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok) AS p99_exact,
           count(*) FILTER (WHERE r.ok AND r.latency_ms <= t.latency_target_ms) AS good,
           count(*) FILTER (WHERE r.ok AND r.latency_ms IS NOT NULL AND monitor_hist_bucket(r.latency_ms) > t.good_bucket) AS slow
    FROM raw r JOIN targets t ON t.check_name = r.check_name
    GROUP BY r.check_name
  ), per_check AS (
    SELECT t.check_name, t.uptime_target, t.latency_target_ms, t.good_bucket,
           COALESCE(us.total, 0) + COALESCE(rs.total, 0) AS total,
           COALESCE(us.ok_count, 0) + COALESCE(rs.ok_count, 0) AS ok_count,
           COALESCE(us.timed, 0) + COALESCE(rs.timed, 0) AS timed,
           us.check_name IS NOT NULL AS has_rolled, COALESCE(us.taken_off, 0) AS taken_off,
           rs.slow AS raw_slow, rs.p99_exact, rs.good AS raw_good
    FROM targets t
    LEFT JOIN rolled_stats us ON us.check_name = t.check_name
    LEFT JOIN raw_stats rs ON rs.check_name = t.check_name
  ), guaranteed AS (
    -- Runs each row is sure to have at or above its p99 bucket, summed from the highest p99 bucket down.
    SELECT r.check_name, r.p99_bucket,
           sum(r.latency_count - floor(0.99 * (r.latency_count - 1))) OVER (PARTITION BY r.check_name ORDER BY r.p99_bucket DESC) AS sure
    FROM rolled r WHERE r.sign > 0 AND r.p99_bucket IS NOT NULL
  ), cut AS (
    SELECT p.check_name, p.good_bucket,
           COALESCE(max(g.p99_bucket) FILTER (WHERE g.sure >= p.timed - floor(0.99 * (p.timed - 1)) + p.taken_off), min(g.p99_bucket)) AS c
    FROM per_check p JOIN guaranteed g ON g.check_name = p.check_name
    WHERE p.has_rolled AND p.timed > 0
    GROUP BY p.check_name, p.good_bucket
  ), entries AS MATERIALIZED (
    -- Each rollup row and raw run from the cut up, or from the latency target up when that is lower (slow runs).
    SELECT e.check_name, e.b, sum(e.n)::bigint AS n
    FROM (
      SELECT r.check_name, x.b, r.sign * x.n AS n
      FROM rolled r JOIN cut ON cut.check_name = r.check_name
      CROSS JOIN LATERAL unnest(r.hist_buckets[width_bucket(least(cut.c, cut.good_bucket + 1) - 1, r.hist_buckets) + 1:],
                                r.hist_counts[width_bucket(least(cut.c, cut.good_bucket + 1) - 1, r.hist_buckets) + 1:]) x (b, n)
      WHERE r.hist_buckets[cardinality(r.hist_buckets)] >= least(cut.c, cut.good_bucket + 1)
      UNION ALL
      SELECT r.check_name, monitor_hist_bucket(r.latency_ms), 1 FROM raw r JOIN cut ON cut.check_name = r.check_name
      WHERE r.ok AND r.latency_ms IS NOT NULL AND monitor_hist_bucket(r.latency_ms) >= least(cut.c, cut.good_bucket + 1)
    ) e
    GROUP BY e.check_name, e.b
    HAVING sum(e.n) <> 0
  ), slow AS (
    SELECT cut.check_name, COALESCE(sum(e.n) FILTER (WHERE e.b > cut.good_bucket), 0) AS n
    FROM cut LEFT JOIN entries e ON e.check_name = cut.check_name
    GROUP BY cut.check_name
  ), tail AS (
    SELECT e.check_name, array_agg(e.b ORDER BY e.b) AS bs, array_agg(e.n ORDER BY e.b) AS ns, sum(e.n) AS n
    FROM entries e JOIN cut ON cut.check_name = e.check_name
    WHERE e.b >= cut.c
    GROUP BY e.check_name
  ), short AS (
    -- No cut, or fewer runs at or above it than the p99 needs: the check's whole histogram.
    SELECT p.check_name FROM per_check p LEFT JOIN tail tl ON tl.check_name = p.check_name
    WHERE p.has_rolled AND p.timed > 0 AND floor(0.99 * (p.timed - 1)) < p.timed - COALESCE(tl.n, 0)
  ), whole AS (
    SELECT w.check_name, array_agg(w.b ORDER BY w.b) AS bs, array_agg(w.n ORDER BY w.b) AS ns
    FROM (
      SELECT e.check_name, e.b, sum(e.n)::bigint AS n
      FROM (
        SELECT r.check_name, x.b, r.sign * x.n AS n FROM rolled r CROSS JOIN LATERAL unnest(r.hist_buckets, r.hist_counts) x (b, n)
        WHERE EXISTS (SELECT 1 FROM short) AND r.check_name IN (SELECT check_name FROM short)
        UNION ALL
        SELECT r.check_name, monitor_hist_bucket(r.latency_ms), 1 FROM raw r
        WHERE EXISTS (SELECT 1 FROM short) AND r.check_name IN (SELECT check_name FROM short) AND r.ok AND r.latency_ms IS NOT NULL
      ) e
      GROUP BY e.check_name, e.b
      HAVING sum(e.n) <> 0
    ) w
    GROUP BY w.check_name
  ), combined AS (
    SELECT p.*, CASE WHEN p.total > 0 THEN p.ok_count * 100.0 / p.total END AS pct,
           CASE WHEN NOT p.has_rolled THEN p.p99_exact
                WHEN wh.check_name IS NOT NULL THEN (monitor_hist_percentiles(wh.bs, wh.ns, '{0.99}'))[1]
                WHEN p.timed > 0 THEN (monitor_hist_percentiles(tl.bs, tl.ns, '{0.99}', (p.timed - COALESCE(tl.n, 0))::bigint))[1] END AS p99,
           CASE WHEN NOT p.has_rolled THEN p.raw_good ELSE p.timed - COALESCE(sl.n, p.raw_slow, 0) END AS good
    FROM per_check p
    LEFT JOIN tail tl ON tl.check_name = p.check_name
    LEFT JOIN slow sl ON sl.check_name = p.check_name
    LEFT JOIN whole wh ON wh.check_name = p.check_name
  )
  SELECT c.check_name, c.total::bigint, c.ok_count::bigint, round(c.pct, 4), c.p99::double precision,
         CASE WHEN c.timed > 0 THEN round(c.good * 100.0 / c.timed, 4) END,
         c.uptime_target, c.latency_target_ms,
         round(100 * (1 - (100 - c.pct) / (100 - c.uptime_target)), 4),
         round((100 - c.pct) / (100 - c.uptime_target), 4),
         0::numeric
  FROM combined c
  ORDER BY c.check_name
  $q$ USING p_from, p_to;
END
$fn$;
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET jit = off;
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET work_mem = '64MB';

-- A SQL function with a SET clause is never inlined: without it the planner puts monitor_series into the panel's
-- query, keeps only the branch the panel's check and interval select, and streams the rows into the panel's
-- aggregate instead of first copying every row and histogram into a tuplestore. The Grafana role runs with JIT off
-- (provisioning/postgres/grafana-role.sql).
ALTER FUNCTION monitor_series(timestamptz, timestamptz, bigint, text) RESET jit;

-- The newest result of a check (monitor_latest), planned when it runs rather than with the query that calls it.
CREATE OR REPLACE FUNCTION monitor_latest_result(p_check text) RETURNS SETOF monitor_metrics
LANGUAGE plpgsql STABLE ROWS 1 AS $fn$
BEGIN
  RETURN QUERY SELECT * FROM monitor_latest(p_check);
END
$fn$;

-- The newest time a check had the given outcome: the two newest days first, then everything. Each outcome has its
-- own statements, so that the failures' partial index serves ok = false in the plan kept for the session.
CREATE OR REPLACE FUNCTION monitor_last_outcome(p_check text, p_ok boolean) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  t timestamptz;
BEGIN
  IF p_ok THEN
    SELECT max(m.ts) INTO t FROM monitor_metrics m
    WHERE m.check_name = p_check AND m.ok = true AND m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to();
    IF t IS NULL THEN
      SELECT max(m.ts) INTO t FROM monitor_metrics m WHERE m.check_name = p_check AND m.ok = true;
    END IF;
  ELSE
    SELECT max(m.ts) INTO t FROM monitor_metrics m
    WHERE m.check_name = p_check AND m.ok = false AND m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to();
    IF t IS NULL THEN
      SELECT max(m.ts) INTO t FROM monitor_metrics m WHERE m.check_name = p_check AND m.ok = false;
    END IF;
  END IF;
  RETURN t;
END
$fn$;

-- Since when a check has had its current outcome: its first result after p_broken_at (the last result of the other
-- outcome), looked for in the next 15 minutes, then the next day, then everywhere; with no such time, its first
-- result on p_first_day (its first rolled-up day) or that day, else its first result. Each statement is planned with
-- its values (the bounds computed first, as constants), so that only the day partitions its range touches are planned.
CREATE OR REPLACE FUNCTION monitor_streak_start(p_check text, p_broken_at timestamptz, p_first_day timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  t timestamptz;
  soon timestamptz := p_broken_at + interval '15 minutes';
  day_after timestamptz := p_broken_at + interval '1 day';
  first_day_end timestamptz := p_first_day + interval '1 day';
BEGIN
  IF p_broken_at IS NOT NULL THEN
    SELECT m.ts INTO t FROM monitor_metrics m
    WHERE m.check_name = p_check AND m.ts > p_broken_at AND m.ts < soon ORDER BY m.ts LIMIT 1;
    IF t IS NULL THEN
      SELECT m.ts INTO t FROM monitor_metrics m
      WHERE m.check_name = p_check AND m.ts > p_broken_at AND m.ts < day_after ORDER BY m.ts LIMIT 1;
    END IF;
    IF t IS NULL THEN
      SELECT m.ts INTO t FROM monitor_metrics m WHERE m.check_name = p_check AND m.ts > p_broken_at ORDER BY m.ts LIMIT 1;
    END IF;
    IF t IS NOT NULL THEN
      RETURN t;
    END IF;
  END IF;
  IF p_first_day IS NOT NULL THEN
    SELECT m.ts INTO t FROM monitor_metrics m
    WHERE m.check_name = p_check AND m.ts >= p_first_day AND m.ts < first_day_end ORDER BY m.ts LIMIT 1;
    RETURN COALESCE(t, p_first_day);
  END IF;
  SELECT m.ts INTO t FROM monitor_metrics m WHERE m.check_name = p_check ORDER BY m.ts LIMIT 1;
  RETURN t;
END
$fn$;
ALTER FUNCTION monitor_streak_start(text, timestamptz, timestamptz) SET plan_cache_mode = force_custom_plan;

${statusViewWithLookupFunctions()}
`;
