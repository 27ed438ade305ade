// State the incident engine keeps between runs (consecutive failures and successes per check and condition,
// so a restart resumes counting exactly), and indexes for the outbox and open-incident lookups.
export const sql = /* sql */ `
CREATE TABLE IF NOT EXISTS monitor_check_streaks (
  check_name   TEXT NOT NULL,
  condition    TEXT NOT NULL,
  failures     INT NOT NULL DEFAULT 0,
  successes    INT NOT NULL DEFAULT 0,
  failing_since TIMESTAMPTZ,               -- first failure of the current run of failures
  last_ts      TIMESTAMPTZ,
  last_details JSONB,
  PRIMARY KEY (check_name, condition)
);

CREATE INDEX IF NOT EXISTS idx_monitor_notifications_incident_channel
  ON monitor_notifications (incident_id, channel, id);
CREATE INDEX IF NOT EXISTS idx_monitor_incidents_open
  ON monitor_incidents (check_name) WHERE resolved_at IS NULL;
`;
