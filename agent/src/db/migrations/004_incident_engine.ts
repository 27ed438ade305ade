// State the incident engine keeps between runs (consecutive failures and successes per check and condition,
// so a restart resumes counting exactly), plus the SQL helpers silences, maintenance windows and burn rates use.
export const sql = /* sql */ `
CREATE TABLE IF NOT EXISTS monitor_check_streaks (
  check_name   TEXT NOT NULL,
  condition    TEXT NOT NULL,
  failures     INT NOT NULL DEFAULT 0,
  successes    INT NOT NULL DEFAULT 0,
  last_ts      TIMESTAMPTZ,
  last_details JSONB,
  PRIMARY KEY (check_name, condition)
);

CREATE INDEX IF NOT EXISTS idx_monitor_notifications_incident_channel
  ON monitor_notifications (incident_id, channel, id);
CREATE INDEX IF NOT EXISTS idx_monitor_incidents_open
  ON monitor_incidents (check_name) WHERE resolved_at IS NULL;

-- Glob on check names as silences and maintenance windows use it: '*' any run of characters, '?' one.
CREATE OR REPLACE FUNCTION monitor_glob_match(p_pattern text, p_name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT p_name LIKE replace(replace(replace(replace(replace(p_pattern,
    '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '*', '%'), '?', '_')
$fn$;

-- True when a maintenance window covers this check at this instant. Recurring windows repeat every
-- 24 h (daily) or 7 x 24 h (weekly) from their first occurrence, fixed in UTC, up to recurrence_until.
CREATE OR REPLACE FUNCTION monitor_in_maintenance_window(p_check text, p_ts timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $fn$
  SELECT EXISTS (
    SELECT 1
    FROM monitor_maintenance_windows w
    CROSS JOIN LATERAL (
      SELECT CASE w.recurrence WHEN 'daily' THEN 86400 WHEN 'weekly' THEN 604800 END AS period_sec
    ) p
    CROSS JOIN LATERAL (
      SELECT CASE WHEN p.period_sec IS NULL THEN 0
                  ELSE floor(extract(epoch FROM p_ts - w.starts_at) / p.period_sec) END AS k
    ) o
    WHERE monitor_glob_match(w.check_pattern, p_check)
      AND p_ts >= w.starts_at
      AND p_ts < w.ends_at + make_interval(secs => o.k * COALESCE(p.period_sec, 0))
      AND (w.recurrence_until IS NULL
           OR w.starts_at + make_interval(secs => o.k * COALESCE(p.period_sec, 0)) <= w.recurrence_until)
  )
$fn$;
`;
