// Benchmarks of the agent, each printed beside a baseline measured in the same run:
//   1. sampling under a hung endpoint: our scheduler vs the v1.2 loop (checks one after another, sleep after work)
//   2. writing results: batched inserts on a pool vs one connection and one INSERT per result (v1.2)
//   3. the 30-day SLO query: rollups vs raw rows
//   4. memory: `run` with the nine checks vs an idle Node process
// Usage: npm run bench  (embedded Postgres unless BENCH_DATABASE_URL is set)
import { undiciTransport } from '../agent/src/adapters/node-http.ts';
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import path from 'node:path';
import pg from 'pg';
import { builtinChecks } from '../agent/src/checks/builtin.ts';
import { createAuthSession } from '../agent/src/checks/auth.ts';
import { classifyError } from '../agent/src/checks/errors.ts';
import { checkKinds } from '../agent/src/checks/registry.ts';
import type { CheckSpecBase } from '../agent/src/checks/types.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { maintain } from '../agent/src/core/rollups.ts';
import { runCheck } from '../agent/src/core/runner.ts';
import { startScheduler } from '../agent/src/core/scheduler.ts';
import { systemClock, type CheckResult } from '../agent/src/core/types.ts';
import { createResultWriter } from '../agent/src/core/writer.ts';
import { migrate } from '../agent/src/db/migrate.ts';
import { createPool, describeDbError } from '../agent/src/db/pool.ts';
import { writeHeartbeat } from '../agent/src/listener/heartbeat.ts';
import { startDemoServer } from '../test/helpers/demo-server.ts';
import { benchDatabase } from './database.ts';

const root = path.resolve(import.meta.dirname, '..');
setMaxListeners(1000); // every check loop listens on one abort signal, as in the agent's Node adapter
const rows: string[][] = [];
const report = (what: string, ours: string, baseline: string, ratio: string) => {
  rows.push([what, ours, baseline, ratio]);
  console.log(`${what}: ours ${ours} | baseline ${baseline} | ${ratio}`);
};

async function samplingUnderHang(pool: pg.Pool) {
  const api = await startDemoServer();
  api.controls.setFaults({ hang: ['/api/explorer/stats'] });
  await writeHeartbeat(pool, 1);
  const log = memoryLogger();
  const windowMs = 30_000;
  const intervalSec = 5;
  const specs = builtinChecks({ intervalSec, timeoutMs: 10_000 }) as CheckSpecBase[];
  const auth = createAuthSession({ apiBase: api.url, ...api.credentials, fetch, clock: systemClock, log });
  const ctx = {
    clock: systemClock, log, db: pool, fetch, http: undiciTransport(), auth, memory: new Map(), startedAt: new Date(),
    settings: { apiBase: api.url, sloLatencyMs: 800, maxListenerLagSec: 180 },
  };
  const run = (spec: CheckSpecBase, signal?: AbortSignal) =>
    runCheck(spec, (checkKinds as any)[spec.kind].run, { ...ctx, memory: new Map(), signal }, classifyError);

  const ours: CheckResult[] = [];
  const stopOurs = new AbortController();
  const scheduler = startScheduler({ checks: specs.map((s) => ({ spec: s, run: (sig) => run(s, sig) })), clock: systemClock, log, signal: stopOurs.signal, onResult: (r) => ours.push(r) });

  const baseline: CheckResult[] = [];
  const v12 = (async () => {
    const end = performance.now() + windowMs;
    while (performance.now() < end) {
      for (const s of specs) {
        if (performance.now() >= end) break;
        baseline.push(await run(s));
      }
      await systemClock.sleep(intervalSec * 1000);
    }
  })();
  await systemClock.sleep(windowMs);
  stopOurs.abort();
  api.controls.reset();
  await Promise.all([scheduler, v12]);
  await api.close();
  const count = (rs: CheckResult[]) => rs.filter((r) => r.check === 'api.health').length;
  const o = count(ours);
  const b = count(baseline);
  report(`api.health samples in ${windowMs / 1000} s at a ${intervalSec} s interval, api.stats hung`, `${o}`, `${b}`, `${(o / Math.max(b, 1)).toFixed(1)}× more`);
}

async function writes(url: string, pool: pg.Pool) {
  const n = 2000;
  const make = (i: number): CheckResult => ({ check: 'bench.write', ts: new Date(Date.now() - i), ok: true, latencyMs: i % 500, details: { status: 200 } });
  const writer = createResultWriter({ db: pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 1000, maxHeld: n, describeError: describeDbError });
  let t = performance.now();
  for (let i = 0; i < n; i++) writer.add(make(i));
  await writer.flush();
  const ours = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < n; i++) {
    const c = new pg.Client(url);
    await c.connect();
    const r = make(i);
    await c.query('INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES ($1, $2, $3, $4, $5)', [r.ts, r.check, r.ok, r.latencyMs, r.details]);
    await c.end();
  }
  const base = performance.now() - t;
  report(`write ${n} results`, `${ours.toFixed(0)} ms`, `${base.toFixed(0)} ms`, `${(base / ours).toFixed(1)}× faster`);
}

async function sloLongWindow(pool: pg.Pool) {
  await pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT now() - make_interval(mins => m), c, (m % 97) <> 0, 50 + (m * 7 + length(c)) % 400, '{}'
    FROM generate_series(1, 30 * 24 * 60) m, unnest(ARRAY['api.health','api.events','api.contracts','api.stats','synthetic.hash']) c`);
  await pool.query('ANALYZE monitor_metrics');
  const time = async () => {
    const t = performance.now();
    const { rows: r } = await pool.query(`SELECT * FROM monitor_slo(now() - interval '30 days', now())`);
    return { ms: performance.now() - t, rows: r };
  };
  const raw = await time();
  await maintain(pool, { log: memoryLogger(), retentionDays: 3650, rollupRetentionDays: 3650 });
  const rolled = await time();
  const uptimeSame = raw.rows.every((r, i) => Math.abs(r.uptime_pct - rolled.rows[i].uptime_pct) < 1e-9);
  const p99Err = Math.max(...raw.rows.map((r, i) => Math.abs(rolled.rows[i].p99_ms - r.p99_ms) / r.p99_ms));
  report('SLO query, 30 days × 5 checks at 1/min (216,000 rows)', `${rolled.ms.toFixed(0)} ms (daily and hourly rollups)`, `${raw.ms.toFixed(0)} ms (raw rows)`,
    `${(raw.ms / rolled.ms).toFixed(1)}× faster; uptime identical: ${uptimeSame}; p99 error ${(p99Err * 100).toFixed(2)} %`);
}

function rssOf(args: string[], env: Record<string, string>, afterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
    setTimeout(async () => {
      try {
        const { readFile } = await import('node:fs/promises');
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        child.kill('SIGTERM');
        resolve(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
      } catch (err) {
        reject(err);
      }
    }, afterMs);
  });
}

async function memory(url: string) {
  const api = await startDemoServer();
  const agent = await rssOf(['agent/dist/main.node.js', 'run'], {
    DATABASE_URL: url, API_BASE: api.url, JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
    MONITOR_CHECK_INTERVAL: '1',
  }, 20_000);
  const idle = await rssOf(['-e', 'setInterval(() => {}, 1000)'], {}, 2_000);
  await api.close();
  report('resident memory, `run` with the nine checks at a 1 s interval for 20 s', `${agent.toFixed(0)} MiB`, `${idle.toFixed(0)} MiB (idle node)`, `${(agent / idle).toFixed(1)}× an idle Node`);
}

const db = await benchDatabase('bt_bench');
const pool = createPool(db.url, 10);
const client = await pool.connect();
await migrate(client);
client.release();
try {
  await samplingUnderHang(pool);
  await writes(db.url, pool);
  await sloLongWindow(pool);
  await memory(db.url);
} finally {
  await pool.end();
  await db.stop();
}
console.log('\n| measure | ours | baseline | ratio |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
