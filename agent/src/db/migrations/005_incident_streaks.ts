// Streaks are written only when a counter crosses a threshold, so the row no longer carries the last result
// (which was rewritten on every run and read by nothing); free space on each page keeps the few updates HOT.
export const sql = /* sql */ `
ALTER TABLE monitor_check_streaks DROP COLUMN IF EXISTS last_ts, DROP COLUMN IF EXISTS last_details;
ALTER TABLE monitor_check_streaks SET (fillfactor = 70);
`;
