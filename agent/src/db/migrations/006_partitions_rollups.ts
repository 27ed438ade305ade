// Storage at scale. monitor_metrics becomes a table range-partitioned by UTC day (plain Postgres, no extension),
// adopted in place from v1.2's or an earlier version's table with every row, column, view and grant kept.
// Lean indexes: BRIN on ts, a deduplicated btree on check_name, failures by check; the newest days also get a
// (check_name, ts) btree while "latest result of a check" lookups need it (see monitor_metrics_ensure_partitions).
// Rollups: hourly and daily rows per check (and '*' for all checks together) with exact counts and a mergeable
// latency histogram whose value for any bucket is within 1 % of every latency in it; late results mark their
// hour for a new rollup through a statement trigger. SLO and series functions aggregate once over daily rows,
// hourly rows at the edges and raw rows for what is not rolled up yet.
export const sql = String.raw`
-- Histogram buckets: exact milliseconds below 100 ms; above, bucket 100 + k holds [100·1.02^k, 100·1.02^(k+1)) ms.
CREATE OR REPLACE FUNCTION monitor_hist_bucket(p_latency_ms double precision) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN p_latency_ms < 100 THEN greatest(floor(p_latency_ms), 0)::int
              ELSE 100 + floor(ln(p_latency_ms / 100.0) / ln(1.02) + 1e-9)::int END
$fn$;

-- The value that stands for a bucket: the millisecond itself below 100 ms, else the bucket's geometric middle,
-- within a factor 1.02^0.5 (0.995 %) of every latency in the bucket.
CREATE OR REPLACE FUNCTION monitor_hist_value(p_bucket int) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN p_bucket < 100 THEN p_bucket::double precision ELSE 100 * power(1.02::double precision, p_bucket - 100 + 0.5) END
$fn$;

-- The highest bucket whose value is within p_target_ms: runs in it or below count as fast.
CREATE OR REPLACE FUNCTION monitor_hist_good_bucket(p_target_ms double precision) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN monitor_hist_value(monitor_hist_bucket(p_target_ms)) <= p_target_ms
              THEN monitor_hist_bucket(p_target_ms) ELSE monitor_hist_bucket(p_target_ms) - 1 END
$fn$;

-- Percentiles (0..1) of a histogram given as ascending buckets and their counts, interpolated between ranks like
-- percentile_cont; p_below runs lie below the first bucket given (a histogram cut to its tail).
CREATE OR REPLACE FUNCTION monitor_hist_percentiles(p_buckets int[], p_counts bigint[], p_qs double precision[], p_below bigint DEFAULT 0)
RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  total bigint := p_below;
  seen bigint := p_below;
  n int := cardinality(p_qs);
  lo double precision[] := array_fill(NULL::double precision, ARRAY[n]);
  hi double precision[] := array_fill(NULL::double precision, ARRAY[n]);
  result double precision[] := array_fill(NULL::double precision, ARRAY[n]);
  i int;
  j int;
BEGIN
  FOR j IN 1..COALESCE(cardinality(p_counts), 0) LOOP total := total + p_counts[j]; END LOOP;
  IF total = 0 THEN RETURN result; END IF;
  FOR j IN 1..cardinality(p_buckets) LOOP
    seen := seen + p_counts[j];
    FOR i IN 1..n LOOP
      IF lo[i] IS NULL AND floor(p_qs[i] * (total - 1)) < seen THEN lo[i] := monitor_hist_value(p_buckets[j]); END IF;
      IF hi[i] IS NULL AND ceil(p_qs[i] * (total - 1)) < seen THEN hi[i] := monitor_hist_value(p_buckets[j]); END IF;
    END LOOP;
  END LOOP;
  FOR i IN 1..n LOOP
    result[i] := lo[i] + (hi[i] - lo[i]) * (p_qs[i] * (total - 1) - floor(p_qs[i] * (total - 1)));
  END LOOP;
  RETURN result;
END
$fn$;

CREATE OR REPLACE FUNCTION monitor_day_of(p_ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT date_trunc('day', p_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$fn$;

-- Rollups. Hourly and daily rows share one shape; check_name '*' holds all checks of the hour or day together.
-- latency_count, hist_* and p99_bucket cover successful runs with a latency; total and ok_count cover every run.
ALTER TABLE monitor_metrics_hourly
  DROP COLUMN IF EXISTS slow_count,
  DROP COLUMN IF EXISTS latency_sum,
  DROP COLUMN IF EXISTS latency_max,
  ADD COLUMN IF NOT EXISTS latency_count INT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS hist_buckets INT[] NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS hist_counts INT[] NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS p99_bucket INT;

-- Earlier rollups kept a jsonb histogram of 5 % buckets: each bucket's middle moves to the new bucket it falls in,
-- so hours whose raw rows are gone keep their histogram.
UPDATE monitor_metrics_hourly h
SET latency_count = x.n, hist_buckets = x.bs, hist_counts = x.ns, p99_bucket = x.p99
FROM (
  SELECT check_name, bucket, sum(n)::int AS n, array_agg(b ORDER BY b) AS bs, array_agg(n ORDER BY b) AS ns,
         min(b) FILTER (WHERE cum > floor(0.99 * (tot - 1))) AS p99
  FROM (
    SELECT check_name, bucket, b, n, sum(n) OVER (PARTITION BY check_name, bucket ORDER BY b) AS cum,
           sum(n) OVER (PARTITION BY check_name, bucket) AS tot
    FROM (
      SELECT o.check_name, o.bucket, monitor_hist_bucket(power(1.05::double precision, e.key::int + 0.5) - 1) AS b, sum(e.value::int)::int AS n
      FROM monitor_metrics_hourly o CROSS JOIN LATERAL jsonb_each_text(o.latency_hist) e
      WHERE e.value::int > 0
      GROUP BY 1, 2, 3
    ) y
  ) z
  GROUP BY check_name, bucket
) x
WHERE h.check_name = x.check_name AND h.bucket = x.bucket;
ALTER TABLE monitor_metrics_hourly DROP COLUMN IF EXISTS latency_hist;

CREATE TABLE IF NOT EXISTS monitor_metrics_daily (
  check_name    TEXT NOT NULL,
  day           TIMESTAMPTZ NOT NULL,
  total         INT NOT NULL,
  ok_count      INT NOT NULL,
  latency_count INT NOT NULL DEFAULT 0,
  hist_buckets  INT[] NOT NULL DEFAULT '{}',
  hist_counts   INT[] NOT NULL DEFAULT '{}',
  p99_bucket    INT,
  PRIMARY KEY (check_name, day)
);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_daily_day ON monitor_metrics_daily (day);

-- Everything before rolled_until is in the rollups (apart from hours listed in monitor_rollup_dirty).
CREATE TABLE IF NOT EXISTS monitor_rollup_state (
  singleton    BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
  rolled_until TIMESTAMPTZ
);
INSERT INTO monitor_rollup_state (singleton, rolled_until) VALUES (true, NULL) ON CONFLICT DO NOTHING;
-- Hours that received results after they ended (results held while the database was away, a late listener).
CREATE TABLE IF NOT EXISTS monitor_rollup_dirty (hour TIMESTAMPTZ PRIMARY KEY);

-- Partitioning. Existing rows move into day partitions; views that read the table are re-created from their
-- own definitions, with their grants, and the table keeps its grants, sequence and any extra column.
CREATE OR REPLACE FUNCTION monitor_metrics_partition_name(p_day timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT 'monitor_metrics_p' || to_char(p_day AT TIME ZONE 'UTC', 'YYYYMMDD')
$fn$;

-- Creates the day partitions of [p_from, p_to) that are missing, moving rows the default partition holds for
-- them; new partitions get the (check_name, ts) btree that "latest result of a check" lookups use.
-- Returns the partitions created.
CREATE OR REPLACE FUNCTION monitor_metrics_ensure_partitions(p_from timestamptz, p_to timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $fn$
DECLARE
  d timestamptz;
  name text;
BEGIN
  FOR d IN SELECT generate_series(monitor_day_of(p_from), p_to - interval '1 microsecond', interval '1 day') LOOP
    name := monitor_metrics_partition_name(d);
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    PERFORM pg_advisory_xact_lock(727384106, (extract(epoch FROM d) / 86400)::int);
    CONTINUE WHEN to_regclass(name) IS NOT NULL;
    CREATE TEMP TABLE IF NOT EXISTS monitor_metrics_moving (LIKE monitor_metrics) ON COMMIT DROP;
    WITH moved AS (DELETE FROM monitor_metrics_default WHERE ts >= d AND ts < d + interval '1 day' RETURNING *)
    INSERT INTO monitor_metrics_moving SELECT * FROM moved;
    EXECUTE format('CREATE TABLE %I PARTITION OF monitor_metrics FOR VALUES FROM (%L) TO (%L)', name, d, d + interval '1 day');
    EXECUTE format('CREATE INDEX %I ON %I (check_name, ts)', name || '_check_ts', name);
    INSERT INTO monitor_metrics SELECT * FROM monitor_metrics_moving;
    TRUNCATE monitor_metrics_moving;
    RETURN NEXT name;
  END LOOP;
END
$fn$;

DO $adopt$
DECLARE
  seq text;
  v record;
  g record;
  extra record;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = 'monitor_metrics'::regclass) = 'p' THEN
    RETURN;
  END IF;
  CREATE TEMP TABLE monitor_adopt_views ON COMMIT DROP AS
    SELECT DISTINCT c.oid::regclass::text AS name, pg_get_viewdef(c.oid) AS def, c.relacl, c.oid AS view_oid
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class c ON c.oid = r.ev_class
    WHERE d.refobjid = 'monitor_metrics'::regclass AND c.relkind = 'v';
  FOR v IN SELECT * FROM monitor_adopt_views LOOP
    EXECUTE format('DROP VIEW %s', v.name);
  END LOOP;

  seq := pg_get_serial_sequence('monitor_metrics', 'id');
  IF seq IS NOT NULL THEN
    EXECUTE format('ALTER SEQUENCE %s OWNED BY NONE', seq);
  ELSE
    CREATE SEQUENCE IF NOT EXISTS monitor_metrics_id_seq AS bigint;
    PERFORM setval('monitor_metrics_id_seq', GREATEST((SELECT max(id) FROM monitor_metrics), 1));
    seq := 'monitor_metrics_id_seq';
  END IF;
  ALTER TABLE monitor_metrics RENAME TO monitor_metrics_unpartitioned;
  DROP INDEX IF EXISTS idx_monitor_metrics_ts, idx_monitor_metrics_check_name, idx_monitor_metrics_check_ts,
    idx_monitor_metrics_failures, idx_monitor_metrics_check_failures;

  EXECUTE format($ddl$
    CREATE TABLE monitor_metrics (
      id         BIGINT NOT NULL DEFAULT nextval(%L),
      ts         TIMESTAMPTZ DEFAULT now(),
      check_name TEXT,
      ok         BOOLEAN,
      latency_ms INT,
      details    JSONB
    ) PARTITION BY RANGE (ts)$ddl$, seq);
  -- Columns someone added to the v1.2 table come along.
  FOR extra IN
    SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
    WHERE a.attrelid = 'monitor_metrics_unpartitioned'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname NOT IN ('id', 'ts', 'check_name', 'ok', 'latency_ms', 'details')
    ORDER BY a.attnum
  LOOP
    EXECUTE format('ALTER TABLE monitor_metrics ADD COLUMN %I %s', extra.attname, extra.type);
  END LOOP;
  EXECUTE format('ALTER SEQUENCE %s OWNED BY monitor_metrics.id', seq);
  CREATE TABLE monitor_metrics_default PARTITION OF monitor_metrics DEFAULT;
  PERFORM monitor_metrics_ensure_partitions(d, d + interval '1 day')
  FROM (SELECT DISTINCT monitor_day_of(ts) AS d FROM monitor_metrics_unpartitioned WHERE ts IS NOT NULL) days;
  PERFORM monitor_metrics_ensure_partitions(monitor_day_of(now()), monitor_day_of(now()) + interval '8 days');
  EXECUTE (
    SELECT format('INSERT INTO monitor_metrics (%1$s) SELECT %1$s FROM monitor_metrics_unpartitioned',
                  string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum))
    FROM pg_attribute a WHERE a.attrelid = 'monitor_metrics_unpartitioned'::regclass AND a.attnum > 0 AND NOT a.attisdropped);

  FOR g IN
    SELECT x.privilege_type, x.is_grantable, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS who
    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) x LEFT JOIN pg_roles r ON r.oid = x.grantee
    WHERE c.oid = 'monitor_metrics_unpartitioned'::regclass AND x.grantee <> c.relowner
  LOOP
    EXECUTE format('GRANT %s ON monitor_metrics TO %s%s', g.privilege_type, g.who, CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  DROP TABLE monitor_metrics_unpartitioned;

  FOR v IN SELECT * FROM monitor_adopt_views LOOP
    EXECUTE format('CREATE VIEW %s AS %s', v.name, v.def);
    FOR g IN
      SELECT x.privilege_type, x.is_grantable, CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS who
      FROM aclexplode(v.relacl) x LEFT JOIN pg_roles r ON r.oid = x.grantee
      WHERE x.grantee <> (SELECT relowner FROM pg_class WHERE oid = v.name::regclass)
    LOOP
      EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, v.name, g.who, CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
  END LOOP;
  -- Rows adopted here are rolled up by the next maintenance pass, from the oldest one on.
  UPDATE monitor_rollup_state SET rolled_until = NULL;
END
$adopt$;

-- "Latest result of a check" reads the two newest day partitions first (their (check_name, ts) btree answers at
-- once; a bounded range also leaves out the default partition), and the whole table only when nothing is there.
CREATE OR REPLACE FUNCTION monitor_recent_from() RETURNS timestamptz
LANGUAGE sql STABLE AS $fn$
  SELECT monitor_day_of(now()) - interval '1 day'
$fn$;
CREATE OR REPLACE FUNCTION monitor_recent_to() RETURNS timestamptz
LANGUAGE sql STABLE AS $fn$
  SELECT monitor_day_of(now()) + interval '1 day'
$fn$;

-- Current status per check: the last result, since when it has been so, and the worst open incident. Check names
-- come from the daily rollups of the last 31 days and the two newest day partitions, so the view reads a few index
-- entries per check whatever the size of monitor_metrics.
CREATE OR REPLACE VIEW monitor_check_status AS
WITH RECURSIVE recent AS (
  (SELECT m.check_name FROM monitor_metrics m
   WHERE m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to() AND m.check_name IS NOT NULL
   ORDER BY m.check_name LIMIT 1)
  UNION ALL
  SELECT (SELECT m.check_name FROM monitor_metrics m
          WHERE m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to() AND m.check_name > r.check_name
          ORDER BY m.check_name LIMIT 1)
  FROM recent r WHERE r.check_name IS NOT NULL
), names AS (
  SELECT d.check_name FROM monitor_metrics_daily d
  WHERE d.day >= monitor_day_of(now()) - interval '31 days' AND d.check_name <> '*'
  UNION
  SELECT r.check_name FROM recent r WHERE r.check_name IS NOT NULL
), last_hour AS (
  -- The last result of every check that ran in the last hour, in one pass over that hour.
  SELECT DISTINCT ON (m.check_name) m.check_name, m.ts, m.ok, m.latency_ms, m.details
  FROM monitor_metrics m
  WHERE m.ts >= now() - interval '1 hour' AND m.check_name IS NOT NULL
  ORDER BY m.check_name, m.ts DESC, m.id DESC
)
SELECT n.check_name,
       CASE WHEN mw.in_maintenance THEN 'maintenance'
            WHEN last.ok IS NOT TRUE THEN 'down'
            WHEN last.details->>'slow' = 'true' THEN 'slow'
            ELSE 'up' END AS status,
       last.ok,
       last.ts AS last_ts,
       COALESCE(
         (SELECT m.ts FROM monitor_metrics m
          WHERE m.check_name = n.check_name AND m.ts > streak.broken_at AND m.ts < streak.broken_at + interval '1 day'
          ORDER BY m.ts LIMIT 1),
         (SELECT m.ts FROM monitor_metrics m WHERE m.check_name = n.check_name AND m.ts > streak.broken_at ORDER BY m.ts LIMIT 1),
         (SELECT m.ts FROM monitor_metrics m
          WHERE m.check_name = n.check_name AND m.ts >= first.day AND m.ts < first.day + interval '1 day' ORDER BY m.ts LIMIT 1),
         first.day,
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
LEFT JOIN last_hour lh ON lh.check_name = n.check_name
CROSS JOIN LATERAL (
  SELECT x.ts, x.ok, x.latency_ms, x.details FROM (
    SELECT lh.ts, lh.ok, lh.latency_ms, lh.details WHERE lh.check_name IS NOT NULL
    UNION ALL
    (SELECT m.ts, m.ok, m.latency_ms, m.details FROM monitor_metrics m
     WHERE m.check_name = n.check_name AND m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to()
     ORDER BY m.ts DESC LIMIT 1)
    UNION ALL
    (SELECT m.ts, m.ok, m.latency_ms, m.details FROM monitor_metrics m WHERE m.check_name = n.check_name
     ORDER BY m.ts DESC, m.id DESC LIMIT 1)
  ) x LIMIT 1
) last
CROSS JOIN LATERAL (
  SELECT CASE WHEN last.ok
    THEN COALESCE(
      (SELECT max(p.ts) FROM monitor_metrics p
       WHERE p.check_name = n.check_name AND p.ok = false AND p.ts >= monitor_recent_from() AND p.ts < monitor_recent_to()),
      (SELECT max(p.ts) FROM monitor_metrics p WHERE p.check_name = n.check_name AND p.ok = false))
    ELSE COALESCE(
      (SELECT p.ts FROM monitor_metrics p
       WHERE p.check_name = n.check_name AND p.ok IS TRUE AND p.ts >= monitor_recent_from() AND p.ts < monitor_recent_to()
       ORDER BY p.ts DESC LIMIT 1),
      (SELECT p.ts FROM monitor_metrics p WHERE p.check_name = n.check_name AND p.ok IS TRUE ORDER BY p.ts DESC LIMIT 1))
  END AS broken_at
) streak
CROSS JOIN LATERAL (
  SELECT min(d.day) AS day FROM monitor_metrics_daily d WHERE d.check_name = n.check_name
) first
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

-- The newest result of one check: the two newest days first, then everything.
CREATE OR REPLACE FUNCTION monitor_latest(p_check text) RETURNS SETOF monitor_metrics
LANGUAGE sql STABLE ROWS 1 AS $fn$
  SELECT * FROM (
    (SELECT * FROM monitor_metrics m
     WHERE m.check_name = p_check AND m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to()
     ORDER BY m.ts DESC LIMIT 1)
    UNION ALL
    (SELECT * FROM monitor_metrics m WHERE m.check_name = p_check ORDER BY m.ts DESC, m.id DESC LIMIT 1)
  ) x LIMIT 1
$fn$;

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
LEFT JOIN LATERAL (SELECT l.ts, l.details FROM monitor_latest('listener.tick') l) tick ON true
LEFT JOIN LATERAL (
  SELECT x.ts, x.details FROM (
    (SELECT m.ts, m.details FROM monitor_metrics m
     WHERE m.check_name = 'chain.head' AND COALESCE(m.details->'head_block', m.details->'block_number') IS NOT NULL
       AND m.ts >= monitor_recent_from() AND m.ts < monitor_recent_to()
     ORDER BY m.ts DESC LIMIT 1)
    UNION ALL
    (SELECT m.ts, m.details FROM monitor_metrics m
     WHERE m.check_name = 'chain.head' AND COALESCE(m.details->'head_block', m.details->'block_number') IS NOT NULL
     ORDER BY m.ts DESC, m.id DESC LIMIT 1)
  ) x LIMIT 1
) head ON true;

CREATE OR REPLACE VIEW monitor_agent_heartbeat AS
SELECT m.ts AS last_tick_at, extract(epoch FROM now() - m.ts)::numeric AS age_sec,
       m.details->>'agent_id' AS agent_id, m.details->>'version' AS version, m.details->>'runtime' AS runtime
FROM monitor_latest('agent.tick') m;

-- The v1.2 index names, so that the v1.2 DDL run again finds them and does nothing.
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_ts ON monitor_metrics USING brin (ts) WITH (pages_per_range = 16);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_name ON monitor_metrics (check_name);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_failures ON monitor_metrics (check_name, ts DESC) WHERE ok = false;
-- Heartbeat rows (a few per minute) in every partition by (check_name, ts): "newest heartbeat" reads such as
-- the guide's ORDER BY ts DESC LIMIT n, listener.lag and chain.head walk a few index entries per partition instead
-- of sorting every heartbeat of every day (the default partition keeps the planner from reading partitions
-- newest-first, and days past the newest two have no (check_name, ts) btree). Other names use the check_name index.
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_heartbeats ON monitor_metrics (check_name, ts)
  WHERE check_name IN ('listener.tick', 'agent.tick');

-- Marks hours that received results after they ended, so that the next maintenance pass rolls them up again.
CREATE OR REPLACE FUNCTION monitor_mark_late_hours() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO monitor_rollup_dirty (hour)
  SELECT DISTINCT monitor_hour_of(n.ts) FROM monitor_new_rows n
  WHERE n.ts < monitor_hour_of(now()) AND n.check_name NOT LIKE '%.tick'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS monitor_metrics_late_hours ON monitor_metrics;
CREATE TRIGGER monitor_metrics_late_hours AFTER INSERT ON monitor_metrics
  REFERENCING NEW TABLE AS monitor_new_rows FOR EACH STATEMENT EXECUTE FUNCTION monitor_mark_late_hours();

-- (Re)computes the hourly rollups of every hour in [p_from, p_to) from raw rows, all checks in one statement.
-- Hours and checks with no raw rows keep the rollup they have (raw rows may be gone by retention).
CREATE OR REPLACE FUNCTION monitor_rollup_hours(p_from timestamptz, p_to timestamptz) RETURNS int
LANGUAGE sql AS $fn$
  WITH raw AS (
    SELECT monitor_hour_of(m.ts) AS h, m.check_name, m.ok, m.latency_ms
    FROM monitor_metrics m
    WHERE m.ts >= p_from AND m.ts < p_to AND m.check_name IS NOT NULL AND m.check_name NOT LIKE '%.tick'
  ), counts AS (
    SELECT h, CASE WHEN grouping(check_name) = 1 THEN '*' ELSE check_name END AS c,
           count(*) AS total, count(*) FILTER (WHERE ok) AS ok_count
    FROM raw GROUP BY GROUPING SETS ((h, check_name), (h))
  ), buckets AS (
    SELECT h, CASE WHEN grouping(check_name) = 1 THEN '*' ELSE check_name END AS c, monitor_hist_bucket(latency_ms) AS b, count(*) AS n
    FROM raw WHERE ok AND latency_ms IS NOT NULL
    GROUP BY GROUPING SETS ((h, check_name, 3), (h, 3))
  ), hist AS (
    SELECT h, c, sum(n)::int AS n, array_agg(b ORDER BY b) AS bs, array_agg(n::int ORDER BY b) AS ns,
           min(b) FILTER (WHERE cum > floor(0.99 * (tot - 1))) AS p99
    FROM (SELECT h, c, b, n, sum(n) OVER (PARTITION BY h, c ORDER BY b) AS cum, sum(n) OVER (PARTITION BY h, c) AS tot FROM buckets) x
    GROUP BY h, c
  ), up AS (
    INSERT INTO monitor_metrics_hourly AS t (check_name, bucket, total, ok_count, latency_count, hist_buckets, hist_counts, p99_bucket)
    SELECT k.c, k.h, k.total, k.ok_count, COALESCE(x.n, 0), COALESCE(x.bs, '{}'), COALESCE(x.ns, '{}'), x.p99
    FROM counts k LEFT JOIN hist x ON x.h = k.h AND x.c = k.c
    ON CONFLICT (check_name, bucket) DO UPDATE SET total = EXCLUDED.total, ok_count = EXCLUDED.ok_count,
      latency_count = EXCLUDED.latency_count, hist_buckets = EXCLUDED.hist_buckets, hist_counts = EXCLUDED.hist_counts,
      p99_bucket = EXCLUDED.p99_bucket
    RETURNING 1
  )
  SELECT count(*)::int FROM up
$fn$;

-- (Re)computes, from the hourly rows, the daily rollups of every UTC day that [p_from, p_to) touches.
CREATE OR REPLACE FUNCTION monitor_rollup_days(p_from timestamptz, p_to timestamptz) RETURNS int
LANGUAGE sql AS $fn$
  WITH hours AS (
    SELECT monitor_day_of(h.bucket) AS d, h.check_name AS c, h.total, h.ok_count, h.latency_count, h.hist_buckets, h.hist_counts
    FROM monitor_metrics_hourly h
    WHERE h.bucket >= monitor_day_of(p_from) AND h.bucket < monitor_day_of(p_to - interval '1 microsecond') + interval '1 day'
  ), counts AS (
    SELECT d, c, sum(total)::int AS total, sum(ok_count)::int AS ok_count, sum(latency_count)::int AS n FROM hours GROUP BY d, c
  ), buckets AS (
    SELECT d, c, u.b, sum(u.n) AS n FROM hours CROSS JOIN LATERAL unnest(hist_buckets, hist_counts) u(b, n) GROUP BY d, c, u.b
  ), hist AS (
    SELECT d, c, array_agg(b ORDER BY b) AS bs, array_agg(n::int ORDER BY b) AS ns,
           min(b) FILTER (WHERE cum > floor(0.99 * (tot - 1))) AS p99
    FROM (SELECT d, c, b, n, sum(n) OVER (PARTITION BY d, c ORDER BY b) AS cum, sum(n) OVER (PARTITION BY d, c) AS tot FROM buckets) x
    GROUP BY d, c
  ), up AS (
    INSERT INTO monitor_metrics_daily AS t (check_name, day, total, ok_count, latency_count, hist_buckets, hist_counts, p99_bucket)
    SELECT k.c, k.d, k.total, k.ok_count, k.n, COALESCE(x.bs, '{}'), COALESCE(x.ns, '{}'), x.p99
    FROM counts k LEFT JOIN hist x ON x.d = k.d AND x.c = k.c
    ON CONFLICT (check_name, day) DO UPDATE SET total = EXCLUDED.total, ok_count = EXCLUDED.ok_count,
      latency_count = EXCLUDED.latency_count, hist_buckets = EXCLUDED.hist_buckets, hist_counts = EXCLUDED.hist_counts,
      p99_bucket = EXCLUDED.p99_bucket
    RETURNING 1
  )
  SELECT count(*)::int FROM up
$fn$;

-- Earlier per-hour entry point, kept for scripts: one hour before the watermark, hourly and daily rows.
CREATE OR REPLACE FUNCTION monitor_rollup_hour(p_hour timestamptz) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
  h timestamptz := monitor_hour_of(p_hour);
  written int;
BEGIN
  -- Past the watermark, reads take raw rows and the current day's row must not hold hours they also count.
  IF h >= (SELECT rolled_until FROM monitor_rollup_state) THEN
    RETURN 0;
  END IF;
  written := monitor_rollup_hours(h, h + interval '1 hour');
  PERFORM monitor_rollup_days(h, h + interval '1 hour');
  RETURN written;
END
$fn$;

-- Maintenance occurrences inside [p_from, p_to): one row per window occurrence, recurring ones expanded.
CREATE OR REPLACE FUNCTION monitor_maintenance_occurrences(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (check_like text, span tstzrange)
LANGUAGE sql STABLE AS $fn$
  SELECT monitor_glob_to_like(w.check_pattern), tstzrange(o.s, o.e) * tstzrange(p_from, p_to)
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
  WHERE o.s < p_to AND o.e > p_from
    AND (w.recurrence IS NULL OR w.recurrence_until IS NULL OR o.s <= w.recurrence_until)
$fn$;

CREATE OR REPLACE FUNCTION monitor_maintenance_ranges(p_check text, p_from timestamptz, p_to timestamptz)
RETURNS tstzmultirange
LANGUAGE sql STABLE AS $fn$
  SELECT COALESCE(range_agg(o.span), '{}'::tstzmultirange)
  FROM monitor_maintenance_occurrences(p_from, p_to) o WHERE p_check LIKE o.check_like
$fn$;

-- Where [p_from, p_to) is answered from: daily rows for whole rolled-up days (only when p_days), hourly rows for
-- the other rolled-up hours, raw rows for the rest (the edges and what is not rolled up yet). When the rollups end
-- inside the window's last day, that day's row holds exactly its hours rolled up so far and answers for them.
CREATE OR REPLACE FUNCTION monitor_rollup_spans(p_from timestamptz, p_to timestamptz, p_days boolean)
RETURNS TABLE (kind text, span tstzrange)
LANGUAGE sql STABLE AS $fn$
  WITH w AS (
    SELECT COALESCE((SELECT rolled_until FROM monitor_rollup_state), '-infinity') AS until
  ), b AS (
    SELECT least(monitor_hour_of(p_from + interval '1 hour' - interval '1 microsecond'), p_to) AS h0,
           greatest(least(monitor_hour_of(p_to), w.until), p_from) AS h1, w.until
    FROM w
  ), hb AS (
    SELECT h0, greatest(h0, h1) AS h1, until FROM b
  ), db AS (
    SELECT h0, h1,
           CASE WHEN p_days THEN least(monitor_day_of(h0 + interval '1 day' - interval '1 microsecond'), h1) ELSE h1 END AS d0,
           CASE WHEN p_days THEN greatest(monitor_day_of(h1), least(monitor_day_of(h0 + interval '1 day' - interval '1 microsecond'), h1)) ELSE h1 END AS d1,
           until
    FROM hb
  ), t AS (
    SELECT *, p_days AND h1 = until AND d1 >= d0 AND d1 < h1 AND d1 = monitor_day_of(until) AS partial_day FROM db
  )
  SELECT * FROM (
    SELECT 'raw', tstzrange(p_from, h0) FROM t
    UNION ALL SELECT 'hour', tstzrange(h0, d0) FROM t
    UNION ALL SELECT 'day', tstzrange(d0, d1) FROM t
    UNION ALL SELECT CASE WHEN partial_day THEN 'day' ELSE 'hour' END, tstzrange(d1, h1) FROM t
    UNION ALL SELECT 'raw', tstzrange(h1, p_to) FROM t
  ) s (kind, span)
  WHERE NOT isempty(s.span)
$fn$;

-- The functions of the per-hour jsonb histogram are replaced by the array histogram above.
DROP FUNCTION IF EXISTS monitor_hourly_or_raw(timestamptz, timestamptz, bigint);
DROP FUNCTION IF EXISTS monitor_checks_in(timestamptz, timestamptz);
DROP AGGREGATE IF EXISTS monitor_hist_sum(jsonb);
DROP FUNCTION IF EXISTS monitor_hist_add(jsonb, jsonb);
DROP FUNCTION IF EXISTS monitor_hist_percentile(jsonb, double precision);
DROP FUNCTION IF EXISTS monitor_hist_percentiles(jsonb, double precision[]);
DROP FUNCTION IF EXISTS monitor_latency_bucket_value(int);
DROP FUNCTION IF EXISTS monitor_latency_bucket(double precision);

-- Raw results of [p_from, p_to) (of one check when p_check is given), heartbeats left out. The bounds reach the
-- planner as constants, so it prunes day partitions and picks the BRIN index for a short span instead of a scan.
CREATE OR REPLACE FUNCTION monitor_raw(p_from timestamptz, p_to timestamptz, p_check text DEFAULT NULL)
RETURNS TABLE (ts timestamptz, check_name text, ok boolean, latency_ms int)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT m.ts, m.check_name, m.ok, m.latency_ms FROM monitor_metrics m
     WHERE m.ts >= %L::timestamptz AND m.ts < %L::timestamptz AND m.check_name IS NOT NULL AND m.check_name NOT LIKE %L %s',
    p_from, p_to, '%.tick', CASE WHEN p_check IS NULL THEN '' ELSE format('AND m.check_name = %L', p_check) END);
END
$fn$;

-- SLO per check over [p_from, p_to), heartbeats and maintenance excluded, in one pass for all checks: daily rows
-- for whole days, hourly rows for the edges, raw rows for partial hours and what is not rolled up yet. A day or
-- hour that overlaps a maintenance window of its check is answered by its hours, or by its raw rows.
-- Counts (uptime) are exact. p99 is exact when only raw rows answer, else it comes from the histograms (within
-- 1 % of the exact value): of every rollup row only the tail at or above the lowest p99 bucket of the whole days
-- (of the hours when no whole day is in the window) is unnested; a check whose p99 falls below that cut (its edge
-- hours or raw rows faster than every day) is merged whole. latency_good_pct counts a bucket as fast when its value
-- is within the target.
CREATE OR REPLACE FUNCTION monitor_slo(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (check_name text, total bigint, ok_count bigint, uptime_pct numeric, p99_ms double precision,
               latency_good_pct numeric, uptime_target numeric, latency_target_ms int,
               error_budget_remaining_pct numeric, burn_rate numeric, excluded_sec numeric)
LANGUAGE sql STABLE AS $fn$
  WITH spans AS (
    SELECT * FROM monitor_rollup_spans(p_from, p_to, true)
  ), occ AS (
    SELECT * FROM monitor_maintenance_occurrences(p_from, p_to)
  ), rolled AS (
    SELECT d.check_name, tstzrange(d.day, d.day + interval '1 day') AS span, true AS is_day, d.total, d.ok_count,
           d.latency_count, d.hist_buckets, d.hist_counts, d.p99_bucket
    FROM spans s JOIN monitor_metrics_daily d ON d.day >= lower(s.span) AND d.day < upper(s.span)
    WHERE s.kind = 'day' AND d.check_name <> '*'
    UNION ALL
    SELECT h.check_name, tstzrange(h.bucket, h.bucket + interval '1 hour'), false, h.total, h.ok_count,
           h.latency_count, h.hist_buckets, h.hist_counts, h.p99_bucket
    FROM spans s JOIN monitor_metrics_hourly h ON h.bucket >= lower(s.span) AND h.bucket < upper(s.span)
    WHERE s.kind = 'hour' AND h.check_name <> '*'
  ), flagged AS (
    SELECT r.*, EXISTS (SELECT 1 FROM occ o WHERE o.span && r.span AND r.check_name LIKE o.check_like) AS in_maint
    FROM rolled r
  ), hours_of_days AS (
    SELECT h.check_name, tstzrange(h.bucket, h.bucket + interval '1 hour') AS span, false AS is_day, h.total, h.ok_count,
           h.latency_count, h.hist_buckets, h.hist_counts, h.p99_bucket,
           EXISTS (SELECT 1 FROM occ o WHERE o.span && tstzrange(h.bucket, h.bucket + interval '1 hour') AND h.check_name LIKE o.check_like) AS in_maint
    FROM flagged f JOIN monitor_metrics_hourly h
      ON h.check_name = f.check_name AND h.bucket >= lower(f.span) AND h.bucket < upper(f.span)
    WHERE f.in_maint AND f.is_day
  ), used AS (
    SELECT * FROM flagged WHERE NOT in_maint
    UNION ALL
    SELECT * FROM hours_of_days WHERE NOT in_maint
  ), raw_spans AS (
    SELECT NULL::text AS check_name, s.span FROM spans s WHERE s.kind = 'raw'
    UNION ALL SELECT f.check_name, f.span FROM flagged f WHERE f.in_maint AND NOT f.is_day
    UNION ALL SELECT x.check_name, x.span FROM hours_of_days x WHERE x.in_maint
  ), raw_all AS (
    SELECT m.check_name, m.ok, m.latency_ms,
           EXISTS (SELECT 1 FROM occ o WHERE o.span @> m.ts AND m.check_name LIKE o.check_like) AS in_maint
    FROM raw_spans s CROSS JOIN LATERAL monitor_raw(lower(s.span), upper(s.span), s.check_name) m
  ), raw AS (
    SELECT r.check_name, r.ok, r.latency_ms FROM raw_all r WHERE NOT r.in_maint
  ), targets AS (
    -- Every check with results in the window, also one whose results all fall in maintenance (it reports no uptime).
    SELECT n.check_name, COALESCE(c.uptime_target, g.uptime_target, 99.5)::numeric AS uptime_target,
           COALESCE(c.latency_ms, g.latency_ms, 800)::int AS latency_target_ms
    FROM (SELECT f.check_name FROM flagged f UNION SELECT r.check_name FROM raw_all r) n
    LEFT JOIN monitor_slo_targets c ON c.check_name = n.check_name
    LEFT JOIN monitor_slo_targets g ON g.check_name = '*'
  ), used_stats AS (
    SELECT u.check_name, sum(u.total) AS total, sum(u.ok_count) AS ok_count, sum(u.latency_count) AS timed,
           COALESCE(min(u.p99_bucket) FILTER (WHERE u.is_day), min(u.p99_bucket)) AS low
    FROM used u GROUP BY u.check_name
  ), raw_stats AS (
    SELECT r.check_name, count(*) AS total, count(*) FILTER (WHERE r.ok) AS ok_count,
           count(*) FILTER (WHERE r.ok AND r.latency_ms IS NOT NULL) AS timed,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.ok) AS p99_exact,
           count(*) FILTER (WHERE r.ok AND r.latency_ms <= t.latency_target_ms) AS good
    FROM raw r JOIN targets t ON t.check_name = r.check_name
    GROUP BY r.check_name
  ), per_check AS (
    SELECT t.check_name, t.uptime_target, t.latency_target_ms, monitor_hist_good_bucket(t.latency_target_ms) AS good_bucket,
           COALESCE(us.total, 0) + COALESCE(rs.total, 0) AS total,
           COALESCE(us.ok_count, 0) + COALESCE(rs.ok_count, 0) AS ok_count,
           COALESCE(us.timed, 0) + COALESCE(rs.timed, 0) AS timed,
           us.check_name IS NOT NULL AS has_rolled,
           us.low, rs.p99_exact, rs.good AS raw_good
    FROM targets t
    LEFT JOIN used_stats us ON us.check_name = t.check_name
    LEFT JOIN raw_stats rs ON rs.check_name = t.check_name
  ), cut AS (
    SELECT p.check_name, least(COALESCE(p.low, p.good_bucket + 1), p.good_bucket + 1) AS c FROM per_check p WHERE p.has_rolled
  ), tail_rows AS (
    -- Of every rollup row only the buckets at or above the cut are unnested (width_bucket is a binary search).
    SELECT u.check_name, x.b, x.n::bigint AS n
    FROM used u JOIN cut ON cut.check_name = u.check_name
    CROSS JOIN LATERAL unnest(u.hist_buckets[width_bucket(cut.c - 1, u.hist_buckets) + 1:],
                              u.hist_counts[width_bucket(cut.c - 1, u.hist_buckets) + 1:]) x (b, n)
    UNION ALL
    SELECT r.check_name, monitor_hist_bucket(r.latency_ms), 1 FROM raw r JOIN cut ON cut.check_name = r.check_name
    WHERE r.ok AND r.latency_ms IS NOT NULL AND monitor_hist_bucket(r.latency_ms) >= cut.c
  ), tail AS (
    SELECT t.check_name, array_agg(t.b ORDER BY t.b) AS bs, array_agg(t.n ORDER BY t.b) AS ns, sum(t.n) AS n,
           sum(t.n) FILTER (WHERE t.b > p.good_bucket) AS slow
    FROM (SELECT check_name, b, sum(n)::bigint AS n FROM tail_rows GROUP BY check_name, b) t
    JOIN per_check p ON p.check_name = t.check_name
    GROUP BY t.check_name
  ), short AS (
    -- Checks whose p99 lies below the cut (edge hours or raw rows faster than every whole day): their whole histogram.
    SELECT p.check_name FROM per_check p LEFT JOIN tail tl ON tl.check_name = p.check_name
    WHERE p.has_rolled AND p.timed > 0 AND floor(0.99 * (p.timed - 1)) < p.timed - COALESCE(tl.n, 0)
  ), whole AS (
    SELECT w.check_name, array_agg(w.b ORDER BY w.b) AS bs, array_agg(w.n ORDER BY w.b) AS ns
    FROM (
      SELECT e.check_name, e.b, sum(e.n)::bigint AS n
      FROM (
        -- Usually no check is short: the gate skips reading the rows at all.
        SELECT u.check_name, x.b, x.n FROM used u CROSS JOIN LATERAL unnest(u.hist_buckets, u.hist_counts) x (b, n)
        WHERE EXISTS (SELECT 1 FROM short) AND u.check_name IN (SELECT check_name FROM short)
        UNION ALL
        SELECT r.check_name, monitor_hist_bucket(r.latency_ms), 1 FROM raw r
        WHERE EXISTS (SELECT 1 FROM short) AND r.check_name IN (SELECT check_name FROM short) AND r.ok AND r.latency_ms IS NOT NULL
      ) e
      GROUP BY e.check_name, e.b
    ) w
    GROUP BY w.check_name
  ), maint AS (
    SELECT p.check_name, sum(extract(epoch FROM upper(r) - lower(r))) AS sec
    FROM per_check p
    CROSS JOIN LATERAL unnest((SELECT range_agg(o.span) FROM occ o WHERE p.check_name LIKE o.check_like)) r
    GROUP BY p.check_name
  ), combined AS (
    SELECT p.*, CASE WHEN p.total > 0 THEN p.ok_count * 100.0 / p.total END AS pct,
           CASE WHEN NOT p.has_rolled THEN p.p99_exact
                WHEN wh.check_name IS NOT NULL THEN (monitor_hist_percentiles(wh.bs, wh.ns, '{0.99}'))[1]
                WHEN p.timed > 0 THEN (monitor_hist_percentiles(tl.bs, tl.ns, '{0.99}', (p.timed - COALESCE(tl.n, 0))::bigint))[1] END AS p99,
           CASE WHEN NOT p.has_rolled THEN p.raw_good ELSE p.timed - COALESCE(tl.slow, 0) END AS good,
           COALESCE(m.sec, 0) AS excluded
    FROM per_check p
    LEFT JOIN tail tl ON tl.check_name = p.check_name
    LEFT JOIN whole wh ON wh.check_name = p.check_name
    LEFT JOIN maint m ON m.check_name = p.check_name
  )
  SELECT c.check_name, c.total::bigint, c.ok_count::bigint, round(c.pct, 4), c.p99::double precision,
         CASE WHEN c.timed > 0 THEN round(c.good * 100.0 / c.timed, 4) END,
         c.uptime_target, c.latency_target_ms,
         round(100 * (1 - (100 - c.pct) / (100 - c.uptime_target)), 4),
         round((100 - c.pct) / (100 - c.uptime_target), 4),
         c.excluded::numeric
  FROM combined c
  ORDER BY c.check_name
$fn$;
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET jit = off;
-- Tens of thousands of rollup rows with their arrays: sorts and hashes that fit in memory are several times faster.
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET work_mem = '64MB';

-- Rows for a time series over [p_from, p_to]: with an interval of a day or more, daily rows for whole rolled-up
-- days; with an hour or more, hourly rows for the other rolled-up hours; raw rows (one per run) for the rest.
-- p_check: NULL for every check, '*' for all checks together (rollups' '*' rows and every raw row), or one check.
CREATE OR REPLACE FUNCTION monitor_series(p_from timestamptz, p_to timestamptz, p_interval_ms bigint, p_check text DEFAULT NULL)
RETURNS TABLE (ts timestamptz, check_name text, total bigint, ok_count bigint, latency_count bigint, hist_buckets int[], hist_counts int[])
LANGUAGE sql STABLE AS $fn$
  WITH spans AS (
    SELECT * FROM monitor_rollup_spans(p_from, p_to + interval '1 microsecond', p_interval_ms >= 86400000)
    WHERE p_interval_ms >= 3600000
    UNION ALL
    SELECT 'raw', tstzrange(p_from, p_to, '[]') WHERE p_interval_ms < 3600000
  )
  -- One check (or '*') reads its own rows through the primary key; every check reads the whole span.
  SELECT d.day, d.check_name, d.total::bigint, d.ok_count::bigint, d.latency_count::bigint, d.hist_buckets, d.hist_counts
  FROM spans s JOIN monitor_metrics_daily d ON d.check_name = p_check AND d.day >= lower(s.span) AND d.day < upper(s.span)
  WHERE s.kind = 'day' AND p_check IS NOT NULL
  UNION ALL
  SELECT d.day, d.check_name, d.total::bigint, d.ok_count::bigint, d.latency_count::bigint, d.hist_buckets, d.hist_counts
  FROM spans s JOIN monitor_metrics_daily d ON d.day >= lower(s.span) AND d.day < upper(s.span)
  WHERE s.kind = 'day' AND p_check IS NULL AND d.check_name <> '*'
  UNION ALL
  SELECT h.bucket, h.check_name, h.total::bigint, h.ok_count::bigint, h.latency_count::bigint, h.hist_buckets, h.hist_counts
  FROM spans s JOIN monitor_metrics_hourly h ON h.check_name = p_check AND h.bucket >= lower(s.span) AND h.bucket < upper(s.span)
  WHERE s.kind = 'hour' AND p_check IS NOT NULL
  UNION ALL
  SELECT h.bucket, h.check_name, h.total::bigint, h.ok_count::bigint, h.latency_count::bigint, h.hist_buckets, h.hist_counts
  FROM spans s JOIN monitor_metrics_hourly h ON h.bucket >= lower(s.span) AND h.bucket < upper(s.span)
  WHERE s.kind = 'hour' AND p_check IS NULL AND h.check_name <> '*'
  UNION ALL
  SELECT m.ts, m.check_name, 1::bigint, (CASE WHEN m.ok THEN 1 ELSE 0 END)::bigint,
         (CASE WHEN m.ok AND m.latency_ms IS NOT NULL THEN 1 ELSE 0 END)::bigint,
         CASE WHEN m.ok AND m.latency_ms IS NOT NULL THEN ARRAY[monitor_hist_bucket(m.latency_ms)] ELSE '{}' END,
         CASE WHEN m.ok AND m.latency_ms IS NOT NULL THEN ARRAY[1] ELSE '{}' END
  FROM spans s
  CROSS JOIN LATERAL monitor_raw(lower(s.span), upper(s.span) + CASE WHEN upper_inc(s.span) THEN interval '1 microsecond' ELSE interval '0' END,
                                 CASE WHEN p_check = '*' THEN NULL ELSE p_check END) m
  WHERE s.kind = 'raw'
$fn$;
ALTER FUNCTION monitor_series(timestamptz, timestamptz, bigint, text) SET jit = off;
`;
