// Replacing a function (CREATE OR REPLACE) resets its SET clauses: migration 10 replaced monitor_slo and so lost
// migration 6's `SET jit = off`. With JIT on (the server default), compiling the SLO query costs seconds at every
// call, far more than running it (8.6 s against 0.14 s over 500 checks), so the agent's burn-rate evaluation and
// `slo` paid it. test/db/migrate.test.ts keeps it so, whichever migration replaces the function next.
export const sql = /* sql */ `
ALTER FUNCTION monitor_slo(timestamptz, timestamptz) SET jit = off;
`;
