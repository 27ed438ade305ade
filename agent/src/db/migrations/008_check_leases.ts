// Several agents on one database share the checks: each result names the agent that ran it, and a lease per
// check makes sure one agent runs it per interval even while the agents disagree for a moment on who is alive.
export const sql = /* sql */ `
ALTER TABLE monitor_metrics ADD COLUMN IF NOT EXISTS agent_id TEXT;
CREATE TABLE IF NOT EXISTS monitor_check_leases (
  check_name   TEXT PRIMARY KEY,
  agent_id     TEXT NOT NULL,
  leased_until TIMESTAMPTZ NOT NULL
);
`;
