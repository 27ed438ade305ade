// Long windows read raw rows only where no rollup answers: each check's uncovered time ranges are
// scanned through the (check_name, ts) index instead of filtering every row of the window; histogram
// percentiles are taken in one pass.
export const sql = /* sql */ `
-- Several percentiles (0..1) of a histogram {"<bucket>": count} in one pass, interpolated between ranks like
-- percentile_cont; each is within 2.5 % of (exact percentile + 1 ms).
CREATE OR REPLACE FUNCTION monitor_hist_percentiles(p_hist jsonb, p_qs double precision[]) RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  total bigint;
  below bigint := 0;
  b record;
  i int;
  n int := cardinality(p_qs);
  lo double precision[] := array_fill(NULL::double precision, ARRAY[n]);
  hi double precision[] := array_fill(NULL::double precision, ARRAY[n]);
  result double precision[] := array_fill(NULL::double precision, ARRAY[n]);
BEGIN
  SELECT sum(value::bigint) INTO total FROM jsonb_each_text(COALESCE(p_hist, '{}'::jsonb)) WHERE value::bigint > 0;
  IF total IS NULL OR total = 0 THEN
    RETURN result;
  END IF;
  FOR b IN SELECT key::int AS k, value::bigint AS c FROM jsonb_each_text(p_hist) WHERE value::bigint > 0 ORDER BY 1 LOOP
    FOR i IN 1..n LOOP
      IF lo[i] IS NULL AND floor(p_qs[i] * (total - 1)) < below + b.c THEN lo[i] := monitor_latency_bucket_value(b.k); END IF;
      IF hi[i] IS NULL AND ceil(p_qs[i] * (total - 1)) < below + b.c THEN hi[i] := monitor_latency_bucket_value(b.k); END IF;
    END LOOP;
    below := below + b.c;
  END LOOP;
  FOR i IN 1..n LOOP
    result[i] := lo[i] + (hi[i] - lo[i]) * (p_qs[i] * (total - 1) - floor(p_qs[i] * (total - 1)));
  END LOOP;
  RETURN result;
END
$fn$;

CREATE OR REPLACE FUNCTION monitor_hist_percentile(p_hist jsonb, p_q double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT (monitor_hist_percentiles(p_hist, ARRAY[p_q]))[1]
$fn$;
-- Checks with raw rows in [p_from, p_to) (a loose index scan, then one index probe per name) or rollups in it.
CREATE OR REPLACE FUNCTION monitor_checks_in(p_from timestamptz, p_to timestamptz)
RETURNS SETOF text
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH RECURSIVE names AS (
    (SELECT m.check_name FROM monitor_metrics m WHERE m.check_name IS NOT NULL ORDER BY m.check_name LIMIT 1)
    UNION ALL
    SELECT (SELECT m.check_name FROM monitor_metrics m WHERE m.check_name > n.check_name ORDER BY m.check_name LIMIT 1)
    FROM names n WHERE n.check_name IS NOT NULL
  )
  SELECT n.check_name FROM names n
  WHERE n.check_name IS NOT NULL AND n.check_name NOT LIKE '%.tick'
    AND EXISTS (SELECT 1 FROM monitor_metrics m WHERE m.check_name = n.check_name AND m.ts >= p_from AND m.ts < p_to)
  UNION
  SELECT DISTINCT h.check_name FROM monitor_metrics_hourly h
  WHERE h.bucket >= p_from AND h.bucket + interval '1 hour' <= p_to AND h.check_name NOT LIKE '%.tick'
$fn$;

CREATE OR REPLACE FUNCTION monitor_slo(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (check_name text, total bigint, ok_count bigint, uptime_pct numeric, p99_ms double precision,
               latency_good_pct numeric, uptime_target numeric, latency_target_ms int,
               error_budget_remaining_pct numeric, burn_rate numeric, excluded_sec numeric)
LANGUAGE sql STABLE AS $fn$
  WITH long_window AS (
    SELECT p_to - p_from > interval '48 hours' AS yes
  ), per_check AS (
    SELECT n AS check_name, monitor_maintenance_ranges(n, p_from, p_to) AS maint, t.uptime_target, t.latency_target_ms
    FROM monitor_checks_in(p_from, p_to) n CROSS JOIN LATERAL monitor_effective_targets(n) t
  ), rolled AS (
    SELECT h.check_name, h.bucket, h.total, h.ok_count, h.latency_hist
    FROM monitor_metrics_hourly h
    JOIN per_check p ON p.check_name = h.check_name
    CROSS JOIN long_window lw
    WHERE lw.yes AND h.bucket >= p_from AND h.bucket + interval '1 hour' <= p_to
      AND NOT p.maint && tstzrange(h.bucket, h.bucket + interval '1 hour')
  ), uncovered AS (
    SELECT p.check_name, u AS span
    FROM per_check p
    LEFT JOIN LATERAL (
      SELECT range_agg(tstzrange(r.bucket, r.bucket + interval '1 hour')) AS covered FROM rolled r WHERE r.check_name = p.check_name
    ) c ON true
    CROSS JOIN LATERAL unnest(tstzmultirange(tstzrange(p_from, p_to)) - COALESCE(c.covered, '{}'::tstzmultirange)) u
  ), raw AS (
    SELECT u.check_name, m.ok, m.latency_ms
    FROM uncovered u
    JOIN per_check p ON p.check_name = u.check_name
    CROSS JOIN LATERAL (
      SELECT x.ok, x.latency_ms, x.ts FROM monitor_metrics x
      WHERE x.check_name = u.check_name AND x.ts >= lower(u.span) AND x.ts < upper(u.span)
      OFFSET 0
    ) m
    WHERE NOT p.maint @> m.ts
  ), raw_stats AS (
    SELECT r.check_name, count(*) AS total, count(*) FILTER (WHERE r.ok) AS ok_count,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok) AS p99_exact,
           count(*) FILTER (WHERE r.ok AND r.latency_ms IS NOT NULL) AS timed,
           count(*) FILTER (WHERE r.ok AND r.latency_ms <= p.latency_target_ms) AS good
    FROM raw r JOIN per_check p ON p.check_name = r.check_name
    GROUP BY r.check_name
  ), rolled_stats AS (
    SELECT r.check_name, sum(r.total) AS total, sum(r.ok_count) AS ok_count
    FROM rolled r GROUP BY r.check_name
  ), hist_rows AS (
    SELECT r.check_name, b.key::int AS i, b.value::bigint AS n
    FROM rolled r CROSS JOIN LATERAL jsonb_each_text(r.latency_hist) b
    UNION ALL
    SELECT r.check_name, monitor_latency_bucket(r.latency_ms), 1
    FROM raw r
    WHERE r.ok AND r.latency_ms IS NOT NULL AND EXISTS (SELECT 1 FROM rolled x WHERE x.check_name = r.check_name)
  ), hist AS (
    SELECT hr.check_name, jsonb_object_agg(hr.i::text, hr.n) AS latency_hist,
           sum(hr.n) AS timed,
           sum(hr.n) FILTER (WHERE monitor_latency_bucket_value(hr.i) <= p.latency_target_ms) AS good
    FROM (SELECT check_name, i, sum(n) AS n FROM hist_rows GROUP BY check_name, i) hr
    JOIN per_check p ON p.check_name = hr.check_name
    GROUP BY hr.check_name
  ), combined AS (
    SELECT p.check_name, p.uptime_target, p.latency_target_ms, p.maint,
           COALESCE(rs.total, 0) + COALESCE(ro.total, 0) AS total,
           COALESCE(rs.ok_count, 0) + COALESCE(ro.ok_count, 0) AS ok_count,
           CASE WHEN hs.check_name IS NULL THEN rs.p99_exact ELSE monitor_hist_percentile(hs.latency_hist, 0.99) END AS p99,
           CASE WHEN hs.check_name IS NULL THEN rs.timed ELSE hs.timed END AS timed,
           CASE WHEN hs.check_name IS NULL THEN rs.good ELSE COALESCE(hs.good, 0) END AS good
    FROM per_check p
    LEFT JOIN raw_stats rs ON rs.check_name = p.check_name
    LEFT JOIN rolled_stats ro ON ro.check_name = p.check_name
    LEFT JOIN hist hs ON hs.check_name = p.check_name
  ), uptime AS (
    SELECT c.*, CASE WHEN c.total > 0 THEN c.ok_count * 100.0 / c.total END AS pct FROM combined c
  )
  SELECT u.check_name, u.total::bigint, u.ok_count::bigint, round(u.pct, 4), u.p99::double precision,
         CASE WHEN u.timed > 0 THEN round(u.good * 100.0 / u.timed, 4) END,
         u.uptime_target, u.latency_target_ms,
         round(100 * (1 - (100 - u.pct) / (100 - u.uptime_target)), 4),
         round((100 - u.pct) / (100 - u.uptime_target), 4),
         (SELECT COALESCE(sum(extract(epoch FROM upper(r) - lower(r))), 0) FROM unnest(u.maint) r)::numeric
  FROM uptime u
  ORDER BY u.check_name
$fn$;
-- Plans here are cheap index scans whose estimates can look large; compiling them costs more than running them.
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET jit = off;

CREATE OR REPLACE FUNCTION monitor_hourly_or_raw(p_from timestamptz, p_to timestamptz, p_interval_ms bigint)
RETURNS TABLE (ts timestamptz, check_name text, total bigint, ok_count bigint, latency_hist jsonb)
LANGUAGE sql STABLE AS $fn$
  WITH rolled AS (
    SELECT h.bucket, h.check_name, h.total::bigint AS total, h.ok_count::bigint AS ok_count, h.latency_hist
    FROM monitor_metrics_hourly h
    WHERE p_interval_ms >= 3600000 AND h.bucket >= p_from AND h.bucket + interval '1 hour' <= p_to
      AND h.check_name NOT LIKE '%.tick'
  ), uncovered AS (
    SELECT n AS check_name, u AS span
    FROM monitor_checks_in(p_from, p_to + interval '1 microsecond') n
    LEFT JOIN LATERAL (
      SELECT range_agg(tstzrange(r.bucket, r.bucket + interval '1 hour')) AS covered FROM rolled r WHERE r.check_name = n
    ) c ON true
    CROSS JOIN LATERAL unnest(tstzmultirange(tstzrange(p_from, p_to, '[]')) - COALESCE(c.covered, '{}'::tstzmultirange)) u
  )
  SELECT r.bucket, r.check_name, r.total, r.ok_count, r.latency_hist FROM rolled r
  UNION ALL
  SELECT m.ts, u.check_name, 1::bigint, (CASE WHEN m.ok THEN 1 ELSE 0 END)::bigint,
         CASE WHEN p_interval_ms >= 3600000 AND m.ok AND m.latency_ms IS NOT NULL
              THEN jsonb_build_object(monitor_latency_bucket(m.latency_ms)::text, 1) END
  FROM uncovered u
  CROSS JOIN LATERAL (
    SELECT x.ts, x.ok, x.latency_ms FROM monitor_metrics x
    WHERE x.check_name = u.check_name AND x.ts >= lower(u.span)
      AND (x.ts < upper(u.span) OR (upper_inc(u.span) AND x.ts = upper(u.span)))
    OFFSET 0
  ) m
$fn$;
ALTER FUNCTION monitor_hourly_or_raw(timestamptz, timestamptz, bigint) SET jit = off;
`;
