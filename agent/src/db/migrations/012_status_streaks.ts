// Current status per check without reading a check's whole history: the run that broke the current
// streak is found through an index of failures per check (a healthy check has few) or, for a failing
// check, by walking back from its newest run to its last success.
export const sql = /* sql */ `
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_failures ON monitor_metrics (check_name, ts DESC) WHERE ok = false;

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
`;
