-- The database role Grafana's Postgres data source (uid blocktrust-pg) connects as: it reads what the
-- dashboards and the app show and writes only intents. Idempotent; run it as the role that owns the
-- monitor_* tables (the one the agent migrates with), in the monitoring database, after every migration:
--
--   psql "$DATABASE_URL" -v grafana_password="$BLOCKTRUST_GRAFANA_DB_PASSWORD" -f provisioning/postgres/grafana-role.sql
--
-- psql does not expand variables inside dollar quotes, so the password travels through a session setting
-- that is cleared again at the end.
\set ON_ERROR_STOP on
SELECT set_config('blocktrust.grafana_password', :'grafana_password', false) IS NOT NULL AS password_set \gset

DO $role$
DECLARE
  pw text := current_setting('blocktrust.grafana_password');
BEGIN
  IF pw IS NULL OR length(pw) < 12 THEN
    RAISE EXCEPTION 'grafana_password must be at least 12 characters (psql -v grafana_password=...)';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'blocktrust_grafana') THEN
    EXECUTE format('CREATE ROLE blocktrust_grafana LOGIN PASSWORD %L', pw);
  ELSE
    EXECUTE format('ALTER ROLE blocktrust_grafana LOGIN PASSWORD %L', pw);
  END IF;
  ALTER ROLE blocktrust_grafana NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
  -- Queries from a dashboard must not hold the database: a runaway panel is cut after 30 s.
  ALTER ROLE blocktrust_grafana SET statement_timeout = '30s';
  -- Panel queries are many small index scans; compiling them with JIT costs more than running them.
  ALTER ROLE blocktrust_grafana SET jit = off;
  -- Latency panels merge histograms of hundreds of rollup rows: sorting them in memory, not on disk.
  ALTER ROLE blocktrust_grafana SET work_mem = '32MB';
END
$role$;
SELECT set_config('blocktrust.grafana_password', '', false) IS NOT NULL AS password_cleared \gset

DO $grants$
DECLARE
  rel record;
  cols text;
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO blocktrust_grafana', current_database());
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO blocktrust_grafana', current_schema());

  -- Start from nothing, so a privilege granted by hand or by an older version of this file does not linger.
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM blocktrust_grafana', current_schema());
  EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM blocktrust_grafana', current_schema());
  FOR rel IN
    SELECT a.attrelid::regclass AS rel, a.attname
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = current_schema()::regnamespace AND a.attacl IS NOT NULL
      AND EXISTS (SELECT 1 FROM aclexplode(a.attacl) x WHERE x.grantee = 'blocktrust_grafana'::regrole)
  LOOP
    EXECUTE format('REVOKE ALL (%I) ON %s FROM blocktrust_grafana', rel.attname, rel.rel);
  END LOOP;

  -- Every monitor_* table and view, except the channels table whose sealed secrets stay with the agent.
  FOR rel IN
    SELECT c.oid::regclass AS rel FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
      AND c.relname LIKE 'monitor\_%' AND c.relname <> 'monitor_channels'
  LOOP
    EXECUTE format('GRANT SELECT ON %s TO blocktrust_grafana', rel.rel);
  END LOOP;

  IF to_regclass('monitor_channels') IS NOT NULL THEN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_attribute WHERE attrelid = 'monitor_channels'::regclass AND attnum > 0 AND NOT attisdropped
      AND attname <> 'secret_sealed';
    EXECUTE format('GRANT SELECT (%s) ON monitor_channels TO blocktrust_grafana', cols);
  END IF;

  -- The one write: a new intent with its author, kind and payload; the agent sets everything else.
  IF to_regclass('monitor_intents') IS NOT NULL THEN
    GRANT INSERT (author, kind, payload) ON monitor_intents TO blocktrust_grafana;
    GRANT USAGE ON SEQUENCE monitor_intents_id_seq TO blocktrust_grafana;
  END IF;

  -- The SQL functions the dashboards call run with the caller's rights, so they expose nothing more.
  FOR rel IN
    SELECT p.oid::regprocedure AS fn FROM pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'monitor\_%' AND NOT p.prosecdef
  LOOP
    EXECUTE format('GRANT EXECUTE ON %s %s TO blocktrust_grafana',
                   CASE WHEN (SELECT prokind FROM pg_proc WHERE oid = rel.fn::oid) = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, rel.fn);
  END LOOP;

  -- Tables created later by the owner grant nothing to Grafana until this file is run again.
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM blocktrust_grafana', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM blocktrust_grafana', current_schema());
END
$grants$;
