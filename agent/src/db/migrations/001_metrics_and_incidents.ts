// Creates the v1.2 tables on an empty database, or adopts the ones the v1.2 guide created:
// TIMESTAMP columns become timestamptz (read in the session time zone, which is how NOW() wrote them),
// SERIAL ids become bigint, and every existing row is kept.
export const sql = /* sql */ `
CREATE TABLE IF NOT EXISTS monitor_metrics (
  id         BIGSERIAL PRIMARY KEY,
  ts         TIMESTAMPTZ DEFAULT now(),
  check_name TEXT,
  ok         BOOLEAN,
  latency_ms INT,
  details    JSONB
);

CREATE TABLE IF NOT EXISTS monitor_incidents (
  id          BIGSERIAL PRIMARY KEY,
  opened_at   TIMESTAMPTZ DEFAULT now(),
  resolved_at TIMESTAMPTZ,
  severity    TEXT,
  title       TEXT,
  detail      TEXT
);

DO $$
DECLARE col record;
BEGIN
  FOR col IN
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema()
      AND ((table_name = 'monitor_metrics' AND column_name = 'ts')
        OR (table_name = 'monitor_incidents' AND column_name IN ('opened_at', 'resolved_at')))
      AND data_type = 'timestamp without time zone'
  LOOP
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE timestamptz USING %I::timestamptz',
                   col.table_name, col.column_name, col.column_name);
  END LOOP;
  FOR col IN
    SELECT table_name FROM information_schema.columns
    WHERE table_schema = current_schema()
      AND table_name IN ('monitor_metrics', 'monitor_incidents')
      AND column_name = 'id' AND data_type = 'integer'
  LOOP
    EXECUTE format('ALTER TABLE %I ALTER COLUMN id TYPE bigint', col.table_name);
    EXECUTE format('ALTER SEQUENCE IF EXISTS %I AS bigint', col.table_name || '_id_seq');
  END LOOP;
END $$;

ALTER TABLE monitor_metrics ALTER COLUMN ts SET DEFAULT now();
ALTER TABLE monitor_incidents ALTER COLUMN opened_at SET DEFAULT now();

CREATE INDEX IF NOT EXISTS idx_monitor_metrics_ts ON monitor_metrics (ts DESC);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_name ON monitor_metrics (check_name);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_check_ts ON monitor_metrics (check_name, ts DESC);
CREATE INDEX IF NOT EXISTS idx_monitor_metrics_failures ON monitor_metrics (ts DESC) WHERE ok = false;

ALTER TABLE monitor_incidents
  ADD COLUMN IF NOT EXISTS check_name      TEXT,
  ADD COLUMN IF NOT EXISTS condition       TEXT,
  ADD COLUMN IF NOT EXISTS acknowledged_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS acknowledged_by TEXT,
  ADD COLUMN IF NOT EXISTS escalated_at    TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS last_notified_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS reminder_count  INT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS details         JSONB,
  ADD COLUMN IF NOT EXISTS updated_at      TIMESTAMPTZ NOT NULL DEFAULT now();

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'monitor_incidents_severity_check') THEN
    -- NOT VALID: rows written by v1.2 are kept as they are; new rows must use the three severities.
    ALTER TABLE monitor_incidents ADD CONSTRAINT monitor_incidents_severity_check
      CHECK (severity IN ('info', 'warn', 'crit')) NOT VALID;
  END IF;
END $$;

CREATE UNIQUE INDEX IF NOT EXISTS monitor_incidents_one_open
  ON monitor_incidents (check_name, condition) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_monitor_incidents_opened ON monitor_incidents (opened_at DESC);
`;
