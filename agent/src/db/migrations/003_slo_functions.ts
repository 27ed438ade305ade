// The SQL the dashboards, the SLO report and the burn-rate alerts share, so that all three give the same
// numbers: maintenance-aware SLOs per check, current status per check, listener and block lag, and the
// hourly rollups that answer long windows. String.raw keeps the LIKE escapes exactly as written.
export const sql = String.raw`
-- Glob ('*', '?') to a LIKE pattern; LIKE's own wildcards and the escape character are taken literally.
CREATE OR REPLACE FUNCTION monitor_glob_to_like(p_glob text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT replace(replace(replace(replace(replace(p_glob, '\', '\\'), '%', '\%'), '_', '\_'), '*', '%'), '?', '_')
$fn$;

-- Hours are UTC hours whatever the session time zone, so rollup buckets never depend on who computed them.
CREATE OR REPLACE FUNCTION monitor_hour_of(p_ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT date_trunc('hour', p_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$fn$;

-- Latency histogram bucket i holds [1.05^i - 1, 1.05^(i+1) - 1) ms.
CREATE OR REPLACE FUNCTION monitor_latency_bucket(p_latency_ms double precision) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT floor(ln(greatest(p_latency_ms, 0) + 1) / ln(1.05))::int
$fn$;

-- The value that stands for bucket i: its geometric middle, within a factor 1.05^0.5 (2.47 %) of
-- (latency + 1 ms) for every latency in the bucket.
CREATE OR REPLACE FUNCTION monitor_latency_bucket_value(p_bucket int) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT power(1.05::double precision, p_bucket + 0.5) - 1
$fn$;

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

-- A percentile (0..1) of a histogram {"<bucket>": count}: one value of monitor_hist_percentiles.
CREATE OR REPLACE FUNCTION monitor_hist_percentile(p_hist jsonb, p_q double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT (monitor_hist_percentiles(p_hist, ARRAY[p_q]))[1]
$fn$;

-- The maintenance time of one check inside [p_from, p_to): every matching window, recurring ones expanded
-- every 24 h (daily) or 168 h (weekly) from their first occurrence while an occurrence starts by
-- recurrence_until (no end when it is null).
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

-- Effective targets of a check: its own row, else the global '*' row, else the documented defaults.
CREATE OR REPLACE FUNCTION monitor_effective_targets(p_check text)
RETURNS TABLE (uptime_target numeric, latency_target_ms int, max_lag_sec int)
LANGUAGE sql STABLE AS $fn$
  SELECT COALESCE(c.uptime_target, g.uptime_target, 99.5)::numeric,
         COALESCE(c.latency_ms, g.latency_ms, 800)::int,
         COALESCE(c.max_lag_sec, g.max_lag_sec, 180)::int
  FROM (SELECT 1) one
  LEFT JOIN monitor_slo_targets c ON c.check_name = p_check
  LEFT JOIN monitor_slo_targets g ON g.check_name = '*'
$fn$;

-- (Re)computes one UTC hour of rollups from the raw rows; safe to call again and from several agents.
-- Counts cover every row; latency_sum, latency_max and latency_hist cover ok rows only (p99 is over ok rows).
-- An hour with no raw rows left keeps the rollup it has, so archiving raw rows of rolled-up hours is safe.
CREATE OR REPLACE FUNCTION monitor_rollup_hour(p_hour timestamptz) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  h timestamptz := monitor_hour_of(p_hour);
  written int;
BEGIN
  PERFORM pg_advisory_xact_lock(727384105, (extract(epoch FROM h) / 3600)::int);
  IF NOT EXISTS (SELECT 1 FROM monitor_metrics m
                 WHERE m.ts >= h AND m.ts < h + interval '1 hour' AND m.check_name NOT LIKE '%.tick') THEN
    RETURN 0;
  END IF;
  DELETE FROM monitor_metrics_hourly WHERE bucket = h;
  INSERT INTO monitor_metrics_hourly (check_name, bucket, total, ok_count, slow_count, latency_sum, latency_max, latency_hist)
  SELECT m.check_name, h, count(*), count(*) FILTER (WHERE m.ok),
         count(*) FILTER (WHERE m.ok AND m.details->>'slow' = 'true'),
         COALESCE(sum(m.latency_ms) FILTER (WHERE m.ok), 0),
         max(m.latency_ms) FILTER (WHERE m.ok),
         COALESCE((
           SELECT jsonb_object_agg(b.i::text, b.n ORDER BY b.i)
           FROM (SELECT monitor_latency_bucket(x.latency_ms) AS i, count(*) AS n
                 FROM monitor_metrics x
                 WHERE x.check_name = m.check_name AND x.ts >= h AND x.ts < h + interval '1 hour'
                   AND x.ok AND x.latency_ms IS NOT NULL
                 GROUP BY 1) b
         ), '{}'::jsonb)
  FROM monitor_metrics m
  WHERE m.ts >= h AND m.ts < h + interval '1 hour' AND m.check_name IS NOT NULL AND m.check_name NOT LIKE '%.tick'
  GROUP BY m.check_name;
  GET DIAGNOSTICS written = ROW_COUNT;
  RETURN written;
END
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

-- SLO per check over [p_from, p_to), heartbeats and maintenance excluded. Windows longer than 48 h take
-- every completed, maintenance-free hour that has a rollup from monitor_metrics_hourly and the rest from
-- raw rows: counts (uptime) stay exact; p99 then comes from the histogram (within 2.5 % of p99 + 1 ms) and
-- latency_good_pct counts a rolled-up bucket as good when its middle value is within the target.
-- Raw rows are read only where no rollup answers: each check's uncovered ranges go through the (check_name, ts) index.
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

-- Failures per check, so that the status view finds the run that broke a healthy check's streak quickly.
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_failures ON monitor_metrics (check_name, ts DESC) WHERE ok = false;

-- Current status per check: the last result, since when it has been so, and the worst open incident.
-- Check names come from a loose index scan, so the view stays fast on a large monitor_metrics.
-- The run that broke the current streak comes from the failures index (a healthy check has few) or, for a
-- failing check, from walking back from its newest run to its last success.
CREATE OR REPLACE VIEW monitor_check_status AS
WITH RECURSIVE names AS (
  (SELECT m.check_name FROM monitor_metrics m WHERE m.check_name IS NOT NULL ORDER BY m.check_name LIMIT 1)
  UNION ALL
  SELECT (SELECT m.check_name FROM monitor_metrics m WHERE m.check_name > n.check_name ORDER BY m.check_name LIMIT 1)
  FROM names n WHERE n.check_name IS NOT NULL
)
SELECT n.check_name,
       CASE WHEN mw.in_maintenance THEN 'maintenance'
            WHEN last.ok IS NOT TRUE THEN 'down'
            WHEN last.details->>'slow' = 'true' THEN 'slow'
            ELSE 'up' END AS status,
       last.ok,
       last.ts AS last_ts,
       COALESCE(
         (SELECT m.ts FROM monitor_metrics m WHERE m.check_name = n.check_name AND m.ts > streak.broken_at ORDER BY m.ts LIMIT 1),
         (SELECT m.ts FROM monitor_metrics m WHERE m.check_name = n.check_name ORDER BY m.ts LIMIT 1)
       ) AS since,
       extract(epoch FROM now() - last.ts)::numeric AS age_sec,
       last.latency_ms,
       last.details->>'error_class' AS error_class,
       last.details->>'error' AS error,
       mw.in_maintenance,
       inc.id AS incident_id,
       inc.severity AS incident_severity,
       inc.title AS incident_title,
       inc.opened_at AS incident_opened_at,
       inc.acknowledged_at IS NOT NULL AS incident_acknowledged
FROM names n
CROSS JOIN LATERAL (
  SELECT m.ts, m.ok, m.latency_ms, m.details FROM monitor_metrics m
  WHERE m.check_name = n.check_name ORDER BY m.ts DESC, m.id DESC LIMIT 1
) last
CROSS JOIN LATERAL (
  SELECT CASE WHEN last.ok
    THEN (SELECT max(p.ts) FROM monitor_metrics p WHERE p.check_name = n.check_name AND p.ok = false)
    ELSE (SELECT p.ts FROM monitor_metrics p WHERE p.check_name = n.check_name AND p.ok IS TRUE ORDER BY p.ts DESC LIMIT 1)
  END AS broken_at
) streak
CROSS JOIN LATERAL (
  SELECT NOT isempty(monitor_maintenance_ranges(n.check_name, now(), now() + interval '1 second')) AS in_maintenance
) mw
LEFT JOIN LATERAL (
  SELECT i.id, i.severity, i.title, i.opened_at, i.acknowledged_at FROM monitor_incidents i
  WHERE i.check_name = n.check_name AND i.resolved_at IS NULL
  ORDER BY CASE i.severity WHEN 'crit' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, i.opened_at
  LIMIT 1
) inc ON true
WHERE n.check_name IS NOT NULL AND n.check_name NOT LIKE '%.tick';

-- Block numbers arrive as strings (the listener's heartbeat) or numbers; anything else reads as unknown.
CREATE OR REPLACE FUNCTION monitor_block_number(p_value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN p_value #>> '{}' ~ '^\s*[0-9]+\s*$' THEN trim(p_value #>> '{}')::numeric END
$fn$;

-- The listener now: seconds since its newest heartbeat, its block, the chain head and how far behind it is.
CREATE OR REPLACE VIEW monitor_listener_status AS
SELECT tick.ts AS last_tick_at,
       extract(epoch FROM now() - tick.ts)::numeric AS listener_lag_sec,
       monitor_block_number(tick.details->'block_number') AS listener_block,
       head.ts AS head_checked_at,
       COALESCE(monitor_block_number(head.details->'head_block'), monitor_block_number(head.details->'block_number')) AS head_block,
       COALESCE(monitor_block_number(head.details->'head_block'), monitor_block_number(head.details->'block_number'))
         - monitor_block_number(tick.details->'block_number') AS block_lag,
       t.max_lag_sec
FROM monitor_effective_targets('listener.lag') t
LEFT JOIN LATERAL (
  SELECT m.ts, m.details FROM monitor_metrics m WHERE m.check_name = 'listener.tick' ORDER BY m.ts DESC, m.id DESC LIMIT 1
) tick ON true
LEFT JOIN LATERAL (
  SELECT m.ts, m.details FROM monitor_metrics m
  WHERE m.check_name = 'chain.head'
    AND COALESCE(m.details->'head_block', m.details->'block_number') IS NOT NULL
  ORDER BY m.ts DESC, m.id DESC LIMIT 1
) head ON true;

-- The agent now: the newest agent.tick. No row at all means no agent has ever run against this database.
CREATE OR REPLACE VIEW monitor_agent_heartbeat AS
SELECT m.ts AS last_tick_at, extract(epoch FROM now() - m.ts)::numeric AS age_sec,
       m.details->>'agent_id' AS agent_id, m.details->>'version' AS version, m.details->>'runtime' AS runtime
FROM monitor_metrics m WHERE m.check_name = 'agent.tick' ORDER BY m.ts DESC, m.id DESC LIMIT 1;
`;
