// Everything v1.2 did not have: the incident timeline, the notification outbox, the agents' registry
// (with the public key the Grafana plugin seals secrets to), runtime configuration edited from Grafana,
// the intents table through which Grafana asks the agent for changes, and hourly rollups.
export const sql = /* sql */ `
CREATE TABLE IF NOT EXISTS monitor_incident_events (
  id          BIGSERIAL PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
  ts          TIMESTAMPTZ NOT NULL DEFAULT now(),
  kind        TEXT NOT NULL CHECK (kind IN ('opened', 'notified', 'notify_failed', 'escalated', 'deescalated',
                'reminded', 'acknowledged', 'unacknowledged', 'note', 'silenced', 'resolved')),
  actor       TEXT,
  channel     TEXT,
  message     TEXT,
  details     JSONB
);
CREATE INDEX IF NOT EXISTS idx_monitor_incident_events_incident ON monitor_incident_events (incident_id, ts);

CREATE TABLE IF NOT EXISTS monitor_notifications (
  id              BIGSERIAL PRIMARY KEY,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  incident_id     BIGINT REFERENCES monitor_incidents (id) ON DELETE CASCADE,
  channel         TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('opened', 'escalated', 'reminder', 'resolved', 'test')),
  severity        TEXT NOT NULL CHECK (severity IN ('info', 'warn', 'crit')),
  dedup_key       TEXT NOT NULL UNIQUE,
  payload         JSONB NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'suppressed')),
  attempts        INT NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error      TEXT,
  http_status     INT,
  sent_at         TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_monitor_notifications_due
  ON monitor_notifications (next_attempt_at) WHERE status IN ('pending', 'sending');

CREATE TABLE IF NOT EXISTS monitor_agents (
  agent_id     TEXT PRIMARY KEY,
  version      TEXT NOT NULL,
  runtime      TEXT NOT NULL,
  hostname     TEXT,
  started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  public_key   JSONB
);

CREATE TABLE IF NOT EXISTS monitor_slo_targets (
  check_name    TEXT PRIMARY KEY,            -- '*' holds the global targets
  uptime_target NUMERIC(7, 4) CHECK (uptime_target > 0 AND uptime_target < 100),
  latency_ms    INT CHECK (latency_ms > 0),
  max_lag_sec   INT CHECK (max_lag_sec > 0),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_by    TEXT
);

CREATE TABLE IF NOT EXISTS monitor_channels (
  name          TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('slack', 'telegram')),
  enabled       BOOLEAN NOT NULL DEFAULT true,
  min_severity  TEXT NOT NULL DEFAULT 'warn' CHECK (min_severity IN ('info', 'warn', 'crit')),
  language      TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'pt-BR')),
  chat_id       TEXT,
  secret_sealed TEXT,                        -- sealed to the agent's public key; never plaintext
  secret_configured BOOLEAN GENERATED ALWAYS AS (secret_sealed IS NOT NULL) STORED,
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_by    TEXT
);

CREATE TABLE IF NOT EXISTS monitor_silences (
  id            BIGSERIAL PRIMARY KEY,
  check_pattern TEXT NOT NULL DEFAULT '*',   -- glob on check_name: '*', 'api.*', 'listener.lag'
  severity      TEXT CHECK (severity IN ('info', 'warn', 'crit')),
  starts_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  ends_at       TIMESTAMPTZ NOT NULL,
  author        TEXT NOT NULL,
  comment       TEXT,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);

CREATE TABLE IF NOT EXISTS monitor_maintenance_windows (
  id               BIGSERIAL PRIMARY KEY,
  check_pattern    TEXT NOT NULL DEFAULT '*',
  starts_at        TIMESTAMPTZ NOT NULL,     -- one-off: the window; recurring: first occurrence
  ends_at          TIMESTAMPTZ NOT NULL,
  recurrence       TEXT CHECK (recurrence IN ('daily', 'weekly')),
  recurrence_until TIMESTAMPTZ,
  reason           TEXT,
  author           TEXT NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);

CREATE TABLE IF NOT EXISTS monitor_intents (
  id         BIGSERIAL PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  author     TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN (
               'incident.ack', 'incident.unack', 'incident.resolve', 'incident.note',
               'slo.set', 'slo.delete', 'channel.upsert', 'channel.delete',
               'silence.create', 'silence.expire', 'maintenance.create', 'maintenance.delete',
               'alert.test')),
  payload    JSONB NOT NULL DEFAULT '{}',
  status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'rejected')),
  reason     TEXT,
  result     JSONB,
  applied_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_monitor_intents_pending ON monitor_intents (id) WHERE status = 'pending';

CREATE OR REPLACE FUNCTION monitor_intents_notify() RETURNS trigger AS $fn$
BEGIN
  PERFORM pg_notify('monitor_intents', NEW.id::text);
  RETURN NEW;
END
$fn$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS monitor_intents_notify ON monitor_intents;
CREATE TRIGGER monitor_intents_notify AFTER INSERT ON monitor_intents
  FOR EACH ROW EXECUTE FUNCTION monitor_intents_notify();

-- One row per check and hour: exact counts for uptime, a log-scale latency histogram for percentiles
-- (bucket i holds latencies in [1.05^i - 1, 1.05^(i+1) - 1) ms, so a percentile is within 2.5 %).
CREATE TABLE IF NOT EXISTS monitor_metrics_hourly (
  check_name  TEXT NOT NULL,
  bucket      TIMESTAMPTZ NOT NULL,
  total       INT NOT NULL,
  ok_count    INT NOT NULL,
  slow_count  INT NOT NULL DEFAULT 0,
  latency_sum BIGINT NOT NULL DEFAULT 0,
  latency_max INT,
  latency_hist JSONB NOT NULL DEFAULT '{}',
  PRIMARY KEY (check_name, bucket)
);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_hourly_bucket ON monitor_metrics_hourly (bucket);
`;
