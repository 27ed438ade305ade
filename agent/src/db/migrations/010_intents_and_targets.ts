import { DEFAULTS } from '@blocktrust-monitor/contract';
import { sql as m006 } from './006_partitions_rollups.ts';

// monitor_slo (migration 6) resolves targets inline; it is redefined here with that one part replaced by
// monitor_effective_targets, so the report, the dashboards and the burn rates read the one rule. The rest of
// its body is taken from migration 6 as written, not copied.
const SLO_START = 'CREATE OR REPLACE FUNCTION monitor_slo(';
const INLINE_TARGETS =
  /SELECT n\.check_name, COALESCE\(c\.uptime_target[^\n]*\n\s*COALESCE\(c\.latency_ms[^\n]*\n(\s*FROM \(SELECT f\.check_name[^\n]*)\n\s*LEFT JOIN monitor_slo_targets c ON[^\n]*\n\s*LEFT JOIN monitor_slo_targets g ON[^\n]*/;

function sloWithOneRule(): string {
  const start = m006.indexOf(SLO_START);
  const end = m006.indexOf('$fn$;', start);
  if (start < 0 || end < 0 || !INLINE_TARGETS.test(m006.slice(start, end))) {
    throw new Error('migration 10: monitor_slo of migration 6 no longer has the inline targets it replaces');
  }
  return m006.slice(start, end + '$fn$;'.length).replace(INLINE_TARGETS, (_all, from: string) =>
    `SELECT n.check_name, t.uptime_target, t.latency_target_ms\n${from}\n    CROSS JOIN LATERAL monitor_effective_targets(n.check_name) t`);
}

// Two things the plugin, the SQL and the agent must agree on.
//
// Who asked: `author` is the Grafana login as the browser claims it, while `db_role` is set by the database to
// the role of the connection that inserted the intent. The Grafana role may insert only author, kind and
// payload, so it cannot choose db_role. Older rows keep NULL (not recorded).
//
// Which SLO targets apply: one rule, the agent's, for every reader. A check's own Grafana row, then the checks
// file's objectives (materialised by the agent in monitor_check_targets), then the '*' row (the environment's
// values unless set from Grafana), then the defaults of the contract.
export const sql = /* sql */ `
ALTER TABLE monitor_intents ADD COLUMN IF NOT EXISTS db_role TEXT;
ALTER TABLE monitor_intents ALTER COLUMN db_role SET DEFAULT current_user;
COMMENT ON COLUMN monitor_intents.author IS 'the Grafana login as claimed by the page that inserted the intent; not verified';
COMMENT ON COLUMN monitor_intents.db_role IS 'the database role that inserted the intent, set by Postgres';

CREATE TABLE IF NOT EXISTS monitor_check_targets (
  check_name    TEXT PRIMARY KEY,
  uptime_target NUMERIC(7,4) CHECK (uptime_target > 0 AND uptime_target < 100),
  latency_ms    INT CHECK (latency_ms > 0),
  max_lag_sec   INT CHECK (max_lag_sec > 0),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE monitor_check_targets IS 'objectives declared in the agent''s checks file; written by the agent at start';

CREATE OR REPLACE FUNCTION monitor_effective_targets(p_check text)
RETURNS TABLE (uptime_target numeric, latency_target_ms int, max_lag_sec int)
LANGUAGE sql STABLE AS $fn$
  SELECT COALESCE(c.uptime_target, f.uptime_target, g.uptime_target, ${DEFAULTS.uptimeTarget})::numeric,
         COALESCE(c.latency_ms, f.latency_ms, g.latency_ms, ${DEFAULTS.latencyMs})::int,
         COALESCE(c.max_lag_sec, f.max_lag_sec, g.max_lag_sec, ${DEFAULTS.maxLagSec})::int
  FROM (SELECT 1) one
  LEFT JOIN monitor_slo_targets c ON c.check_name = p_check
  LEFT JOIN monitor_check_targets f ON f.check_name = p_check
  LEFT JOIN monitor_slo_targets g ON g.check_name = '*'
$fn$;

${sloWithOneRule()}
`;
