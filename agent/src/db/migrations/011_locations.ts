// Locations: an agent says where it probes from, each result where it ran, and a check run from several locations
// keeps a lease and a failure streak per location. Existing rows are kept: leases and streaks of a check run from
// one place belong to the location '' (none), results and agents written before have none (NULL).
export const sql = /* sql */ `
ALTER TABLE monitor_agents ADD COLUMN IF NOT EXISTS location TEXT;
-- A nullable column without a default is a catalogue change only: no partition of monitor_metrics is rewritten.
ALTER TABLE monitor_metrics ADD COLUMN IF NOT EXISTS location TEXT;

ALTER TABLE monitor_check_leases ADD COLUMN IF NOT EXISTS location TEXT NOT NULL DEFAULT '';
ALTER TABLE monitor_check_leases DROP CONSTRAINT IF EXISTS monitor_check_leases_pkey;
ALTER TABLE monitor_check_leases ADD CONSTRAINT monitor_check_leases_pkey PRIMARY KEY (check_name, location);

-- failing: the location counts toward its check's quorum (set at the failure threshold, cleared at the success
-- threshold), so that every agent reads the same verdict for each location.
ALTER TABLE monitor_check_streaks ADD COLUMN IF NOT EXISTS location TEXT NOT NULL DEFAULT '';
ALTER TABLE monitor_check_streaks ADD COLUMN IF NOT EXISTS failing BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE monitor_check_streaks DROP CONSTRAINT IF EXISTS monitor_check_streaks_pkey;
ALTER TABLE monitor_check_streaks ADD CONSTRAINT monitor_check_streaks_pkey PRIMARY KEY (check_name, condition, location);
`;
