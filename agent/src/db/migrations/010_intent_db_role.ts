// What Postgres itself knows about who asked: `author` is the Grafana login as the browser claims it, while
// `db_role` is set by the database to the role of the connection that inserted the intent. The Grafana role may
// insert only author, kind and payload, so it cannot choose db_role. Older rows keep NULL (not recorded).
export const sql = /* sql */ `
ALTER TABLE monitor_intents ADD COLUMN IF NOT EXISTS db_role TEXT;
ALTER TABLE monitor_intents ALTER COLUMN db_role SET DEFAULT current_user;
COMMENT ON COLUMN monitor_intents.author IS 'the Grafana login as claimed by the page that inserted the intent; not verified';
COMMENT ON COLUMN monitor_intents.db_role IS 'the database role that inserted the intent, set by Postgres';
`;
