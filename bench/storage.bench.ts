// Storage at scale: 1,000 checks × 30 days at one result per 5 minutes (8.64 M rows), each figure printed
// beside the exact raw query (or the plain alternative) measured in the same run:
//   1. monitor_slo over 30 days, the `slo` CLI end to end, and the exact raw SQL; uptime and p99 compared per check
//   2. every 30-day panel query of the shipped dashboards (Grafana's macros expanded as Grafana does)
//   3. bytes per stored result (table + indexes) of rows written by the agent's results writer
//   4. rollup maintenance per hour of data
//   5. retention: dropping a day, with the p99 latency of concurrent inserts before and during it
//   6. the results writer vs COPY on the same rows
// Usage: BENCH_DATABASE_URL=postgres://… npm run bench -- storage   (embedded Postgres when unset)
//   BENCH_STORAGE_KEEP=1 keeps the generated database for the next run (it is reused when its shape matches);
//   BENCH_CHECKS / BENCH_DAYS shrink the dataset for a quick look; BENCH_TIMEOUT_S caps each slow query (default 120);
//   BENCH_ONLY=slo,panels runs only those parts (bytes, slo, panels, writer, retention); BENCH_STORAGE_DB names the
//   database (default bt_storage_bench).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../agent/src/adapters/embedded-postgres.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { systemClock, type CheckResult } from '../agent/src/core/types.ts';
import * as writerModule from '../agent/src/core/writer.ts';
import * as rollupsModule from '../agent/src/core/rollups.ts';
import { migrate } from '../agent/src/db/migrate.ts';
import { migrations } from '../agent/src/db/migrations/index.ts';
import { createPool, describeDbError } from '../agent/src/db/pool.ts';
import { collectQueries, loadDashboards } from '../test/dashboards/dashboard-walk.ts';
import { expandGrafanaSql, formatInterval, parseIntervalMs } from '../test/helpers/grafana-macros.ts';

const root = path.resolve(import.meta.dirname, '..');
const CHECKS = Number(process.env.BENCH_CHECKS ?? 1000);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
/**
 * Days of results generated before the measured window, as a live database holds them: the window's first hours
 * are then read as their day less the hours before the window, as they are for a user.
 */
const LEAD_DAYS = 1;
const STEP_MIN = 5;
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 120);
const KEEP = process.env.BENCH_STORAGE_KEEP === '1';
// Its own name when several checkouts share one server, so that one run does not drop another's kept data.
const DB_NAME = process.env.BENCH_STORAGE_DB ?? 'bt_storage_bench';
if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error(`BENCH_STORAGE_DB ${JSON.stringify(DB_NAME)}: lower-case letters, digits and _ only`);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const table: string[][] = [];
const report = (what: string, ours: string, baseline: string, ratio: string) => {
  table.push([what, ours, baseline, ratio]);
  console.log(`${what}: ours ${ours} | baseline ${baseline} | ${ratio}`);
};
const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
};
const loadAverage = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

async function serverUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  return process.env.BENCH_DATABASE_URL
    ? { url: process.env.BENCH_DATABASE_URL, stop: async () => {} }
    : await startEmbeddedPostgres({ dir: path.join(root, '.data/bench-pg') });
}

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

// The SQL objects that a migration redefines, as the migrations before it leave them, live in a schema of their
// own, so that each figure is measured before and after on the same data in the same run: BEFORE holds them as
// they were before migration 12, BEFORE_14 monitor_slo as it was before migration 14 (weekly rollups), BEFORE_17
// the SLO functions as they were before migration 17 (spans), BEFORE_18 as they were before migration 18 (the edges
// of a window ending now).
const BEFORE = 'bench_before';
const BEFORE_14 = 'bench_before_14';
const BEFORE_17 = 'bench_before_17';
const BEFORE_18 = 'bench_before_18';
const REDEFINED: Record<string, { version: number; objects: (readonly [string, string])[] }> = {
  [BEFORE]: {
    version: 12,
    objects: [['FUNCTION', 'monitor_slo'], ['FUNCTION', 'monitor_series'], ['FUNCTION', 'monitor_hist_percentiles'], ['VIEW', 'monitor_check_status']],
  },
  [BEFORE_14]: { version: 14, objects: [['FUNCTION', 'monitor_slo']] },
  [BEFORE_17]: { version: 17, objects: [['FUNCTION', 'monitor_slo_pieces'], ['FUNCTION', 'monitor_slo_for'], ['FUNCTION', 'monitor_slo']] },
  [BEFORE_18]: { version: 18, objects: [['FUNCTION', 'monitor_slo_pieces'], ['FUNCTION', 'monitor_slo_for'], ['FUNCTION', 'monitor_slo']] },
};

function definitionBefore(version: number, kind: string, name: string): string {
  const head = kind === 'VIEW' ? `CREATE OR REPLACE VIEW ${name} AS` : `CREATE OR REPLACE FUNCTION ${name}(`;
  const m = migrations.filter((x) => x.version < version && x.sql.includes(head)).at(-1);
  if (!m) throw new Error(`no migration before ${version} defines ${name}`);
  const start = m.sql.lastIndexOf(head);
  const end = kind === 'VIEW' ? m.sql.indexOf(';\n\n', start) + 1 : m.sql.indexOf('$fn$;', start) + '$fn$;'.length;
  // Its settings: those of the migration that defined it, and those later migrations before `version` gave it.
  const setting = new RegExp(`^ALTER FUNCTION ${name}\\([^)]*\\) SET [^;]+;`, 'gm');
  const settings = [m, ...migrations.filter((x) => x.version > m.version && x.version < version)]
    .flatMap((x) => [...x.sql.matchAll(setting)].map((hit) => hit[0]));
  return [m.sql.slice(start, end), ...settings].join('\n');
}

async function installBefore(pool: pg.Pool) {
  const client = await pool.connect();
  try {
    for (const [schema, { version, objects }] of Object.entries(REDEFINED)) {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; SET search_path = ${schema}, public`);
      for (const [kind, name] of objects) await client.query(definitionBefore(version, kind, name));
      // The CLI migrates first: in this schema it finds every migration applied.
      await client.query(`CREATE VIEW ${schema}.monitor_schema_migrations AS SELECT * FROM public.monitor_schema_migrations`);
    }
  } finally {
    await client.query('RESET search_path').catch(() => {});
    client.release();
  }
}

/** A median, with the number of runs and their range when there are several. */
const timesText = (times: number[]) =>
  `${fmtMs(median(times))}${times.length > 1 ? ` (median of ${times.length}, ${fmtMs(Math.min(...times))}–${fmtMs(Math.max(...times))})` : ''}`;

/**
 * Times `sql` under each search path in turns, `runs` times after a warm-up turn; medians as `timed` gives them.
 * One connection switches between the paths, so every variant runs in the same server process: two processes, one
 * per path, can sit on cores that a shared machine slows unevenly, which showed as differences of 30 % either way.
 */
async function interleaved(pool: pg.Pool, sql: string, params: unknown[], paths: string[], runs: number) {
  const client = await pool.connect();
  try {
    const times = paths.map(() => [] as number[]);
    const rows: any[][] = paths.map(() => []);
    await client.query(`SET statement_timeout = '${TIMEOUT_S}s'`);
    for (let k = 0; k <= runs; k++) {
      for (const [i, path] of paths.entries()) {
        await client.query(`SET search_path = ${path}`);
        const t = performance.now();
        rows[i] = (await client.query(sql, params)).rows;
        if (k > 0) times[i].push(performance.now() - t);
      }
    }
    return times.map((t, i) => ({ ms: median(t), rows: rows[i], text: timesText(t) }));
  } finally {
    await client.query('RESET ALL').catch(() => {});
    client.release();
  }
}

/** Times `sql` `runs` times after one warm-up run; a run over the cap counts as the cap ("> cap"). */
async function timed(pool: pg.Pool, sql: string, params: unknown[] = [], runs = 3, warm = true, jit = true, before: string | false = false, settings: string[] = []) {
  const client = await pool.connect();
  try {
    await client.query(`SET statement_timeout = '${TIMEOUT_S}s'`);
    await client.query(`SET jit = ${jit ? 'on' : 'off'}`);
    for (const setting of settings) await client.query(setting);
    if (before) await client.query(`SET search_path = ${before}, public`);
    const times: number[] = [];
    let rows: any[] = [];
    for (let i = 0; i < runs + (warm ? 1 : 0); i++) {
      const t = performance.now();
      try {
        rows = (await client.query(sql, params)).rows;
      } catch (err) {
        if ((err as { code?: string }).code !== '57014') throw err;
        return { ms: Infinity, rows: [] as any[], text: `> ${TIMEOUT_S} s (cancelled)` };
      }
      if (i > 0 || !warm) times.push(performance.now() - t);
    }
    return { ms: median(times), rows, text: timesText(times) };
  } finally {
    await client.query('RESET ALL').catch(() => {});
    client.release();
  }
}

const successDetails = (i: number) => ({ url: `https://api.blocktrust.example/bench/${i}`, status: 200 });
/** What the results writer stores for a run; the same rule shapes the generated rows. */
const stored = (r: CheckResult): unknown => {
  const lean = (writerModule as { storedDetails?: (r: CheckResult) => unknown }).storedDetails;
  return lean ? lean(r) : r.details;
};

/** The stored details of a success, as SQL over the generator's check number `c.i`. */
function okDetailsSql(end: Date): string {
  const okDetails = stored({ check: 'x', ts: end, ok: true, latencyMs: 100, details: successDetails(0) });
  return okDetails === null ? 'NULL::jsonb' : `jsonb_build_object('url', 'https://api.blocktrust.example/bench/' || c.i, 'status', 200)`;
}

/**
 * Results of every check in [from, to), one per check every STEP_MIN minutes, in time order, as the agent writes
 * them (the BRIN index on ts relies on it). Per check: a base latency of 40–440 ms, log-normal spread, 0.3 %
 * failures, and for one check in 50 a 25-minute outage 3 to 19 hours after `from`.
 */
const insertResults = (pool: pg.Pool, from: Date, to: Date, okSql: string) => pool.query(`
  INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
  SELECT t.ts, 'bench.check.' || lpad(c.i::text, 4, '0'), NOT f.fail,
         CASE WHEN f.fail THEN 10000 ELSE round((40 + (c.i * 37) % 400) * exp(0.35 * z.z))::int END,
         CASE WHEN f.fail THEN jsonb_build_object('error_class', 'http_status', 'error', 'HTTP 503 from /bench', 'status', 503, 'condition', 'down')
              ELSE ${okSql} END
  FROM generate_series(1, $3::int) c(i)
  CROSS JOIN generate_series($1::timestamptz, $2::timestamptz - interval '1 microsecond', interval '${STEP_MIN} minutes') s(ts)
  CROSS JOIN LATERAL (SELECT s.ts + make_interval(secs => (c.i * 7) % 300) AS ts, extract(epoch FROM s.ts)::bigint AS e) t
  CROSS JOIN LATERAL (SELECT ((hashint8(t.e * 4099 + c.i) & 65535) + (hashint8(t.e * 4111 + c.i) & 65535)
                             + (hashint8(t.e * 4127 + c.i) & 65535) - 98302.5) / 32768.0 * 1.41 AS z) z
  CROSS JOIN LATERAL (SELECT (hashint8(t.e * 4133 + c.i) & 1023) < 3
                             OR (c.i % 50 = 0 AND t.ts >= $1::timestamptz + make_interval(hours => 3 + c.i % 17)
                                 AND t.ts < $1::timestamptz + make_interval(hours => 3 + c.i % 17, mins => 25)) AS fail) f
  WHERE t.ts < $2::timestamptz
  ORDER BY t.ts`, [from, to, CHECKS]);

async function generate(pool: pg.Pool, end: Date) {
  const okSql = okDetailsSql(end);
  const started = performance.now();
  const partitioned = (await pool.query(`SELECT to_regproc('monitor_metrics_ensure_partitions') IS NOT NULL AS yes`)).rows[0].yes;
  // The agent creates each day's partition ahead of time; so does the generator, before filling them.
  if (partitioned) await pool.query('SELECT monitor_metrics_ensure_partitions($1, $2)', [new Date(end.getTime() - (DAYS + LEAD_DAYS) * DAY), end]);
  for (let d = DAYS + LEAD_DAYS; d >= 1; d--) {
    await insertResults(pool, new Date(end.getTime() - d * DAY), new Date(end.getTime() - (d - 1) * DAY), okSql);
    process.stdout.write(`  generated day ${DAYS + LEAD_DAYS - d + 1}/${DAYS + LEAD_DAYS} (${fmtMs(performance.now() - started)})\r`);
  }
  // A month-old database has been through autovacuum (insert-only partitions are vacuumed too): visibility maps set.
  await pool.query('VACUUM (ANALYZE) monitor_metrics');
  console.log(`generated ${(CHECKS * (DAYS + LEAD_DAYS) * 24 * 60 / STEP_MIN).toLocaleString('en')} rows in ${fmtMs(performance.now() - started)}`);
}

/** The agent's maintenance pass, where the code measured has one (an older checkout has none). */
const maintain = (rollupsModule as { maintain?: (db: pg.Pool, o: object) => Promise<unknown> }).maintain;

/** Brings rollups up to date the way the agent does; returns how long it took. */
async function rollUp(pool: pg.Pool): Promise<number> {
  const t = performance.now();
  if (maintain) {
    await maintain(pool, { now: new Date(), retentionDays: 3650, rollupRetentionDays: 3650, log: memoryLogger() });
  } else {
    const { rows } = await pool.query(`SELECT DISTINCT monitor_hour_of(ts) AS h FROM monitor_metrics
      WHERE ts < monitor_hour_of(now()) AND check_name NOT LIKE '%.tick' EXCEPT SELECT bucket FROM monitor_metrics_hourly ORDER BY 1`);
    for (const r of rows) await pool.query('SELECT monitor_rollup_hour($1)', [r.h]);
  }
  return performance.now() - t;
}

const EXACT_SLO = `
  SELECT check_name, count(*) AS total, count(*) FILTER (WHERE ok) AS ok_count,
         round(count(*) FILTER (WHERE ok) * 100.0 / count(*), 4) AS uptime_pct,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE ok) AS p99_ms
  FROM monitor_metrics
  WHERE ts >= $1 AND ts < $2 AND check_name NOT LIKE '%.tick'
  GROUP BY check_name ORDER BY check_name`;

async function sloFigures(pool: pg.Pool, url: string, now: Date) {
  const from = new Date(now.getTime() - DAYS * DAY);
  const raw = await timed(pool, EXACT_SLO, [from, now], 1, false);
  // As the CLI runs it: JIT on unless the function turns it off (before migration 12 it did not), and with JIT off.
  const before = await timed(pool, 'SELECT * FROM monitor_slo($1, $2)', [from, now], 3, true, true, BEFORE);
  const beforeNoJit = await timed(pool, 'SELECT * FROM monitor_slo($1, $2)', [from, now], 3, true, false, BEFORE);
  const before14 = await timed(pool, 'SELECT * FROM monitor_slo($1, $2)', [from, now], 5, true, true, BEFORE_14);
  // The current functions and those before migration 17 in turns, so that the machine's drift touches both alike.
  const [slo, before18, before17] = await interleaved(pool, 'SELECT * FROM monitor_slo($1, $2)', [from, now], ['public', `${BEFORE_18}, public`, `${BEFORE_17}, public`], 7);
  let agreement = 'not compared (a query was cancelled)';
  if (raw.rows.length && slo.rows.length) {
    const exact = new Map(raw.rows.map((r) => [r.check_name, r]));
    let uptimeSame = 0;
    let worst = 0;
    const errs: number[] = [];
    for (const r of slo.rows) {
      const e = exact.get(r.check_name);
      if (!e) continue;
      if (Number(e.uptime_pct) === Number(r.uptime_pct) && Number(e.total) === Number(r.total)) uptimeSame += 1;
      const err = Math.abs(Number(r.p99_ms) - Number(e.p99_ms)) / Number(e.p99_ms);
      errs.push(err);
      worst = Math.max(worst, err);
    }
    agreement = `uptime identical for ${uptimeSame}/${raw.rows.length} checks; p99 error max ${(worst * 100).toFixed(2)} %, mean ${(errs.reduce((a, b) => a + b, 0) / errs.length * 100).toFixed(2)} %`;
  }
  report(`monitor_slo(), ${DAYS} days × ${CHECKS} checks`, slo.text,
    `before migration 18 (edges): ${before18.text}; before migration 17 (spans): ${before17.text}; before migration 14 (weekly rollups): ${before14.text}; before migration 12: ${before.text}, with JIT off ${beforeNoJit.text}; exact raw SQL ${raw.text}`,
    `${(before18.ms / slo.ms).toFixed(2)}× before 18's time, ${(before17.ms / slo.ms).toFixed(1)}× faster than before 17, ${(before14.ms / slo.ms).toFixed(1)}× than before 14, ${(before.ms / slo.ms).toFixed(1)}× / ${(beforeNoJit.ms / slo.ms).toFixed(1)}× than before 12, ${(raw.ms / slo.ms).toFixed(1)}× than raw; ${agreement}`);

  await liveFigures(pool, now);

  const cli = (old = false) => new Promise<number>((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['agent/dist/main.node.js', 'slo', '--window', `${DAYS}d`], {
      cwd: root, stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, ...(old ? { PGOPTIONS: `-c search_path=${BEFORE_17},public` } : {}) },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 || code === 1 ? resolve(performance.now() - t) : reject(new Error(`slo exited ${code}: ${err}`))));
  });
  if (!Number.isFinite(slo.ms)) {
    report(`\`slo --window ${DAYS}d\` end to end`, 'not run: monitor_slo exceeds the cap', `${raw.text} (exact raw SQL)`, '');
    return;
  }
  await cli();
  await cli(true);
  const cliTimes: number[] = [];
  const oldTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    cliTimes.push(await cli());
    oldTimes.push(await cli(true));
  }
  report(`\`slo --window ${DAYS}d\` end to end (process start to exit)`, `${fmtMs(median(cliTimes))} (median of 3)`,
    `${fmtMs(median(oldTimes))} (median of 3) before migration 17`, `${(median(oldTimes) / median(cliTimes)).toFixed(1)}× faster`);
}

/**
 * As the SLO page asks on a live system m minutes into an hour: that hour's results written up to then, the rollups
 * complete until the hour's start, a maintenance pass run just then (it rolls the hour so far up to the settled
 * minute two minutes earlier), and the 30-day window ending then, timed in turns with the functions before
 * migrations 18 and 17. The hour's results and the rollup state are put back afterwards.
 */
async function liveFigures(pool: pg.Pool, now: Date) {
  const minutes = [7, 37];
  if (!maintain) return;
  await insertResults(pool, now, new Date(now.getTime() + Math.max(...minutes) * 60_000), okDetailsSql(now));
  try {
    for (const m of minutes) {
      const at = new Date(now.getTime() + m * 60_000);
      const passStarted = performance.now();
      await maintain(pool, { now: at, retentionDays: 3650, rollupRetentionDays: 3650, log: memoryLogger() });
      const passMs = performance.now() - passStarted;
      const partialRows = (await pool.query('SELECT count(*)::int AS n, sum(total)::int AS runs FROM monitor_metrics_partial')).rows[0];
      report(`maintenance pass ${m} minutes into an hour`, fmtMs(passMs), '',
        `rolls the hour so far: ${partialRows.runs ?? 0} results into ${partialRows.n} rows`);
      const paths = ['public', `${BEFORE_18}, public`, `${BEFORE_17}, public`];
      const [live, live18, live17] = await interleaved(pool, 'SELECT * FROM monitor_slo($1, $2)', [new Date(at.getTime() - DAYS * DAY), at], paths, 7);
      const same = JSON.stringify(live.rows) === JSON.stringify(live18.rows) && JSON.stringify(live.rows) === JSON.stringify(live17.rows);
      report(`monitor_slo(), ${DAYS} days × ${CHECKS} checks, live at ${m} minutes into an hour`, live.text,
        `before migration 18 (edges): ${live18.text}; before migration 17 (spans): ${live17.text}`,
        `${(live18.ms / live.ms).toFixed(1)}× faster than before 18, ${(live17.ms / live.ms).toFixed(1)}× than before 17; rows ${same ? 'identical' : 'DIFFER'}`);
    }
  } finally {
    await pool.query('DELETE FROM monitor_metrics WHERE ts >= $1', [now]);
    await pool.query('DELETE FROM monitor_rollup_dirty WHERE hour >= $1', [now]);
    await pool.query('SELECT monitor_rollup_partial($1)', [now]);
  }
}

/**
 * Runs `measure` with the rollups complete until the end of the data, as a live system has them a few minutes past
 * that hour: the last day is read as its row, whenever the bench runs. The rollup state is put back afterwards.
 */
async function atTheDataEnd(pool: pg.Pool, now: Date, measure: () => Promise<void>) {
  const state = (await pool.query('SELECT rolled_until FROM monitor_rollup_state')).rows[0];
  await pool.query('UPDATE monitor_rollup_state SET rolled_until = $1', [now]);
  try {
    await measure();
  } finally {
    await pool.query('UPDATE monitor_rollup_state SET rolled_until = $1', [state.rolled_until]);
  }
}

/** A panel's SQL as it was before it was tuned: numeric time groups for latency, every check's SLO for one check's. */
const EARLIER_PANEL_SQL: [string, string][] = [
  [`floor(date_part('epoch', ts) / ($__interval_ms / 1000.0)::float8) * ($__interval_ms / 1000.0)::float8`, '$__timeGroup(ts, $__interval)'],
  [`monitor_slo_for($__timeFrom(), $__timeTo(), '$check')`, `monitor_slo($__timeFrom(), $__timeTo()) WHERE check_name = '$check'`],
];
const earlierPanelSql = (sql: string) => EARLIER_PANEL_SQL.reduce((s, [now, before]) => s.replace(now, before), sql);

/** The session settings of the Grafana role (JIT off, its work_mem), but its statement timeout: the bench has its own cap. */
const GRAFANA_ROLE_SETTINGS = [...readFileSync(path.join(root, 'provisioning/postgres/grafana-role.sql'), 'utf8')
  .matchAll(/ALTER ROLE blocktrust_grafana SET (\w+) = ('[^']*'|\w+);/g)]
  .filter((m) => m[1] !== 'statement_timeout').map((m) => `SET ${m[1]} = ${m[2]}`);

/** Grafana's rangeutil.roundInterval: the interval a panel gets for (range / max data points). */
function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [10, 1], [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1e3], [3500, 2e3], [7500, 5e3],
    [12500, 1e4], [17500, 15e3], [25e3, 2e4], [45e3, 3e4], [9e4, 6e4], [21e4, 12e4], [45e4, 3e5], [75e4, 6e5], [105e4, 9e5],
    [15e5, 12e5], [27e5, 18e5], [54e5, 36e5], [9e6, 72e5], [162e5, 108e5], [324e5, 216e5], [864e5, 432e5], [6048e5, 864e5],
    [18144e5, 6048e5], [36288e5, 2592e6],
  ];
  return steps.find(([limit]) => ms < limit)?.[1] ?? 31536e6;
}

/** Each panel query over the whole dataset, at the interval Grafana would give it (1,000 px wide unless the panel says). */
async function panelFigures(pool: pg.Pool, now: Date) {
  const from = new Date(now.getTime() - DAYS * DAY);
  // A live agent: every check has a result from the last minute, as it has while the agent runs.
  await pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
    SELECT now() - interval '1 minute', 'bench.check.' || lpad(i::text, 4, '0'), true, 100 FROM generate_series(1, $1::int) i`, [CHECKS]);
  for (const d of loadDashboards()) {
    const panels = new Map<string, any>();
    const walk = (ps: any[]) => ps?.forEach((p) => (p.type === 'row' ? walk(p.panels) : panels.set(p.title, p)));
    walk(d.json.panels);
    for (const q of collectQueries(d.json)) {
      if (q.kind !== 'panel') continue;
      const panel = panels.get(q.key.slice(d.json.uid.length + 1, q.key.lastIndexOf('/')));
      const minMs = panel?.interval ? parseIntervalMs(panel.interval) : 1;
      const intervalMs = Math.max(minMs, roundInterval((now.getTime() - from.getTime()) / (panel?.maxDataPoints ?? 1000)));
      const macros = { from, to: now, intervalMs, variables: { check: { value: 'bench.check.0001' } } };
      const { sql } = expandGrafanaSql(q.rawSql, macros);
      // As the Grafana role runs them (with the settings provisioning/postgres/grafana-role.sql gives it); the
      // baseline is the panel's earlier SQL with the SQL objects before migration 12.
      const old = await timed(pool, expandGrafanaSql(earlierPanelSql(q.rawSql), macros).sql, [], 3, true, false, BEFORE, GRAFANA_ROLE_SETTINGS);
      const r = await timed(pool, sql, [], 3, true, false, false, GRAFANA_ROLE_SETTINGS);
      report(`panel ${q.key}, ${DAYS} d at a ${formatInterval(intervalMs)} interval`, r.text, `${old.text} before migration 12`,
        `${(old.ms / r.ms).toFixed(1)}× faster; ${r.rows.length} rows${r.rows.length === old.rows.length ? '' : ` (before: ${old.rows.length})`}`);
    }
  }
  await pool.query(`DELETE FROM monitor_metrics WHERE ts > $1 AND check_name LIKE 'bench.check.%'`, [now]);
}

/** Bytes per stored result of rows written by the results writer: the size a partition (or table) grows by. */
async function writerFigures(pool: pg.Pool, url: string) {
  const n = 100_000;
  const base = Date.now() - 3 * HOUR;
  const results: CheckResult[] = Array.from({ length: n }, (_, i) => {
    const ok = i % 311 !== 0;
    return {
      check: `bench.write.${String(i % 100).padStart(3, '0')}`, ts: new Date(base + i * 50), ok, latencyMs: 40 + (i * 7919) % 400,
      details: ok ? successDetails(i % 100) : { error_class: 'http_status', error: 'HTTP 503 from /bench', status: 503, condition: 'down' },
    };
  });
  const writeOurs = async () => {
    const writer = writerModule.createResultWriter({ db: pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 1000, maxHeld: n, describeError: describeDbError });
    const t = performance.now();
    for (const r of results) writer.add(r);
    if (!(await writer.flush())) throw new Error('writer failed');
    return performance.now() - t;
  };
  const csv = results.map((r) => {
    const d = stored(r);
    const json = d === null ? '' : `"${JSON.stringify(d).replace(/"/g, '""')}"`;
    return `${r.ts.toISOString()},${r.check},${r.ok},${Math.round(r.latencyMs)},${json}`;
  }).join('\n') + '\n';
  const writeCopy = () => {
    const t = performance.now();
    const r = spawnSync('psql', [url, '-qX', '-v', 'ON_ERROR_STOP=1', '-c', 'COPY monitor_metrics (ts, check_name, ok, latency_ms, details) FROM STDIN (FORMAT csv)'], { input: csv });
    if (r.status !== 0) throw new Error(`COPY failed: ${r.stderr}`);
    return performance.now() - t;
  };
  const clear = () => pool.query(`DELETE FROM monitor_metrics WHERE check_name LIKE 'bench.write.%'`);
  await writeOurs();
  await clear();
  writeCopy();
  await clear();
  const ours: number[] = [];
  const copy: number[] = [];
  for (let i = 0; i < 3; i++) {
    ours.push(await writeOurs());
    await clear();
    copy.push(writeCopy());
    await clear();
  }
  const o = n / (median(ours) / 1000);
  const c = n / (median(copy) / 1000);
  report(`results writer, ${n.toLocaleString('en')} results`, `${(o / 1000).toFixed(1)} k rows/s`, `${(c / 1000).toFixed(1)} k rows/s (COPY through psql)`,
    `${(o / c).toFixed(2)}× COPY`);
}

/** Bytes per result of the whole results table (heap + indexes + TOAST), and of rows written by the agent. */
async function bytesFigures(pool: pg.Pool) {
  const { rows } = await pool.query(`
    WITH parts AS (
      SELECT c.oid FROM pg_class c WHERE c.oid = 'monitor_metrics'::regclass
      UNION ALL SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = 'monitor_metrics'::regclass
    )
    SELECT sum(pg_table_size(oid))::bigint AS heap, sum(pg_indexes_size(oid))::bigint AS idx,
           (SELECT count(*) FROM monitor_metrics) AS n FROM parts`);
  const r = rows[0];
  report(`bytes per stored result, ${Number(r.n).toLocaleString('en')} generated rows (table + indexes)`,
    `${((Number(r.heap) + Number(r.idx)) / Number(r.n)).toFixed(0)} B (${(Number(r.heap) / Number(r.n)).toFixed(0)} + ${(Number(r.idx) / Number(r.n)).toFixed(0)})`,
    '', `${(Number(r.idx) / 1048576).toFixed(0)} MB of indexes`);
}

/** Inserts a batch of 20 results every 20 ms through the writer; returns the insert latencies. */
function inserter(pool: pg.Pool) {
  const latencies: number[] = [];
  let stop = false;
  const done = (async () => {
    let i = 0;
    while (!stop) {
      const writer = writerModule.createResultWriter({ db: pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 1000, maxHeld: 100, describeError: describeDbError });
      for (let k = 0; k < 20; k++) writer.add({ check: `bench.live.${k}`, ts: new Date(), ok: true, latencyMs: 100 + (i++ % 50), details: successDetails(k) });
      const t = performance.now();
      await writer.flush();
      latencies.push(performance.now() - t);
      await systemClock.sleep(20);
    }
  })();
  return { latencies, stop: async () => { stop = true; await done; } };
}

async function retentionFigures(pool: pg.Pool, now: Date) {
  // One extra day, older than the days kept, so that retention has exactly one day to remove.
  const dayStart = new Date(Math.floor(now.getTime() / DAY) * DAY - (DAYS + 5) * DAY);
  if (maintain) await maintain(pool, { now, retentionDays: 3650, rollupRetentionDays: 3650, log: memoryLogger() });
  const fill = () => pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
    SELECT $1::timestamptz + make_interval(mins => m), 'bench.old.' || c, true, 100
    FROM generate_series(0, 1439, ${STEP_MIN}) m, generate_series(1, $2::int) c`, [dayStart, CHECKS]);
  await fill();
  if (maintain) await rollUp(pool);
  const live = inserter(pool);
  await systemClock.sleep(5000);
  const before = live.latencies.length;
  let dropMs: number;
  let how: string;
  const t = performance.now();
  let dropped = 0;
  if (maintain) {
    const r = await maintain(pool, { now, retentionDays: DAYS + LEAD_DAYS, rollupRetentionDays: 400, log: memoryLogger() }) as { partitionsDropped: { ms: number; rows: number }[] };
    dropped = r.partitionsDropped.filter((p) => p.rows > 0).reduce((a, p) => a + p.ms, 0);
    how = `maintain pass, ${r.partitionsDropped.length} partition(s) dropped`;
  } else {
    await pool.query(`DELETE FROM monitor_metrics WHERE ts >= $1 AND ts < $2`, [dayStart, new Date(dayStart.getTime() + DAY)]);
    how = 'DELETE of the day (no retention exists)';
  }
  dropMs = performance.now() - t;
  await systemClock.sleep(500);
  await live.stop();
  const normal = live.latencies.slice(0, before);
  const during = live.latencies.slice(before);
  const left = (await pool.query(`SELECT count(*)::int AS n FROM monitor_metrics WHERE ts >= $1 AND ts < $2`, [dayStart, new Date(dayStart.getTime() + DAY)])).rows[0].n;
  report(`retention: remove one day (${(CHECKS * 288).toLocaleString('en')} rows)`, `${fmtMs(dropMs)} (${how}; ${left} rows left)`, '', '');
  if (dropped) report('retention: the DROP of that day partition itself', `${fmtMs(dropped)}`, '', '');
  report('p99 latency of concurrent 20-row inserts', `${fmtMs(quantile(during, 0.99))} during retention (${during.length} inserts)`,
    `${fmtMs(quantile(normal, 0.99))} before (${normal.length} inserts)`, `${(quantile(during, 0.99) / quantile(normal, 0.99)).toFixed(2)}× normal`);
  await pool.query(`DELETE FROM monitor_metrics WHERE check_name LIKE 'bench.live.%' OR check_name LIKE 'bench.old.%'`);
}

console.log(`load average at start: ${loadAverage()} (${os.cpus().length} cores)`);
const server = await serverUrl();
const admin = new pg.Client(server.url);
await admin.connect();
const url = withDb(server.url, DB_NAME);
// The generated rows do not depend on the schema version: a kept database is migrated forward and reused.
const shape = `${CHECKS}x${DAYS}+${LEAD_DAYS} in time order`;
let reuse = false;
if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME])).rowCount) {
  const probe = new pg.Client(url);
  await probe.connect();
  reuse = (await probe.query(`SELECT obj_description('monitor_metrics'::regclass) = $1 AS same`, [`bench ${shape}`]).catch(() => ({ rows: [{ same: false }] }))).rows[0]?.same === true;
  await probe.end();
}
if (!reuse) {
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
}
const pool = createPool(url, 6);
// The dataset ends at the start of the current hour, so that every window below sees all of it.
const now = reuse
  ? new Date(Math.ceil((await pool.query(`SELECT max(ts) AS t FROM monitor_metrics WHERE check_name LIKE 'bench.check.%'`)).rows[0].t.getTime() / HOUR) * HOUR)
  : new Date(Math.floor(Date.now() / HOUR) * HOUR);
try {
  const client = await pool.connect();
  await migrate(client);
  client.release();
  if (!reuse) {
    await generate(pool, now);
    await pool.query(`COMMENT ON TABLE monitor_metrics IS 'bench ${shape}'`);
    const ms = await rollUp(pool);
    report(`rollup maintenance, ${(DAYS + LEAD_DAYS) * 24} hours of data × ${CHECKS} checks`, `${fmtMs(ms / ((DAYS + LEAD_DAYS) * 24))} per hour of data`, '', `${fmtMs(ms)} in all`);
  } else {
    console.log(`reusing ${DB_NAME} (${shape}); dataset ends ${now.toISOString()}`);
    await rollUp(pool);
  }
  const only = new Set((process.env.BENCH_ONLY ?? 'bytes,slo,panels,writer,retention').split(','));
  await installBefore(pool);
  if (only.has('bytes')) await bytesFigures(pool);
  if (only.has('slo')) await atTheDataEnd(pool, now, () => sloFigures(pool, url, now));
  if (only.has('panels')) await panelFigures(pool, now);
  if (only.has('writer')) await writerFigures(pool, url);
  if (only.has('retention')) await retentionFigures(pool, now);
} finally {
  await pool.end();
  if (!KEEP) await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.end();
  await server.stop();
}
console.log(`load average at end: ${loadAverage()}`);
console.log('\n| measure | ours | baseline | ratio |\n|---|---|---|---|');
for (const r of table) console.log(`| ${r.join(' | ')} |`);
