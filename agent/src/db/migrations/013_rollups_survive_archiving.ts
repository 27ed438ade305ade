// Rolling up an hour whose raw rows were archived must not erase its rollup: an hour with no raw rows
// left keeps what it has, so deleting metrics older than 30 days is safe once their hours are rolled up.
export const sql = /* sql */ `
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
`;
