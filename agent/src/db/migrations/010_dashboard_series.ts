// A fix to 003's maintenance ranges, and what the dashboards' time series read on long ranges: hourly
// rollups where they exist, raw rows elsewhere, and a histogram sum for percentiles over any group of hours.
export const sql = /* sql */ `
-- Fix of 003: a one-off window (no recurrence) multiplied its offset by a null step and was dropped.
CREATE OR REPLACE FUNCTION monitor_maintenance_ranges(p_check text, p_from timestamptz, p_to timestamptz)
RETURNS tstzmultirange
LANGUAGE sql STABLE AS $fn$
  SELECT COALESCE(range_agg(tstzrange(o.s, o.e) * tstzrange(p_from, p_to)), '{}'::tstzmultirange)
  FROM monitor_maintenance_windows w
  CROSS JOIN LATERAL (
    SELECT CASE w.recurrence WHEN 'daily' THEN 86400 WHEN 'weekly' THEN 604800 ELSE 0 END AS step
  ) st
  CROSS JOIN LATERAL (
    SELECT w.starts_at + make_interval(secs => n * st.step) AS s, w.ends_at + make_interval(secs => n * st.step) AS e
    FROM generate_series(
      CASE WHEN st.step = 0 THEN 0
           ELSE greatest(0, floor(extract(epoch FROM p_from - w.ends_at) / st.step))::bigint END,
      CASE WHEN st.step = 0 THEN 0
           ELSE floor(extract(epoch FROM least(p_to, COALESCE(w.recurrence_until, p_to)) - w.starts_at) / st.step)::bigint END
    ) AS n
  ) o
  WHERE p_check LIKE monitor_glob_to_like(w.check_pattern)
    AND o.s < p_to AND o.e > p_from
    AND (w.recurrence IS NULL OR w.recurrence_until IS NULL OR o.s <= w.recurrence_until)
$fn$;
CREATE OR REPLACE FUNCTION monitor_hist_add(p_a jsonb, p_b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT COALESCE(jsonb_object_agg(k, n), '{}'::jsonb)
  FROM (
    SELECT k, sum(v::bigint) AS n
    FROM (SELECT * FROM jsonb_each_text(COALESCE(p_a, '{}'::jsonb))
          UNION ALL
          SELECT * FROM jsonb_each_text(COALESCE(p_b, '{}'::jsonb))) x (k, v)
    GROUP BY k
  ) y
$fn$;

-- Sums latency histograms {"<bucket>": count}; monitor_hist_percentile reads the result.
CREATE OR REPLACE AGGREGATE monitor_hist_sum(jsonb) (SFUNC = monitor_hist_add, STYPE = jsonb, INITCOND = '{}');

-- Rows for a time series over [p_from, p_to], heartbeats left out. Intervals under an hour get one row per
-- run (latency_hist null). Intervals of an hour or more get one row per check and rolled-up hour that lies
-- wholly inside the range (ts = the hour), and one row per run for everything else, with its latency as a
-- one-entry histogram when the run succeeded; so the answer is correct before rollups exist and fast after.
CREATE OR REPLACE FUNCTION monitor_hourly_or_raw(p_from timestamptz, p_to timestamptz, p_interval_ms bigint)
RETURNS TABLE (ts timestamptz, check_name text, total bigint, ok_count bigint, latency_hist jsonb)
LANGUAGE sql STABLE AS $fn$
  WITH rolled AS (
    SELECT h.bucket, h.check_name, h.total::bigint AS total, h.ok_count::bigint AS ok_count, h.latency_hist
    FROM monitor_metrics_hourly h
    WHERE p_interval_ms >= 3600000 AND h.bucket >= p_from AND h.bucket + interval '1 hour' <= p_to
      AND h.check_name NOT LIKE '%.tick'
  )
  SELECT r.bucket, r.check_name, r.total, r.ok_count, r.latency_hist FROM rolled r
  UNION ALL
  SELECT m.ts, m.check_name, 1::bigint, (CASE WHEN m.ok THEN 1 ELSE 0 END)::bigint,
         CASE WHEN p_interval_ms >= 3600000 AND m.ok AND m.latency_ms IS NOT NULL
              THEN jsonb_build_object(monitor_latency_bucket(m.latency_ms)::text, 1) END
  FROM monitor_metrics m
  WHERE m.ts >= p_from AND m.ts <= p_to AND m.check_name NOT LIKE '%.tick'
    AND NOT EXISTS (SELECT 1 FROM rolled r WHERE r.check_name = m.check_name AND r.bucket = monitor_hour_of(m.ts))
$fn$;
`;
