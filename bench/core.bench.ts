// The agent's core at scale: `run` (the full daemon, built from agent/dist) with N HTTP checks at a 1 s interval
// against a local target, so N checks/s are offered. For each N it reports, over a measured window after a warm-up:
// results persisted per second, results evaluated by the incident engine per second, CPU ms per check (the agent
// plus its Postgres backends, from /proc), the agent's resident memory (its peak over the window, sampled every
// second, and at the end: it rises and falls with the garbage collector's cycle), incidents opened (a healthy
// target: must be 0), and results dropped (must be 0). The baseline, in the same run: a raw keep-alive HTTP client's
// req/s and CPU ms per request against the same target.
// Usage: npm run bench -- core   (BENCH_DATABASE_URL, else the embedded Postgres; BENCH_RATES=500,1000 and
//        BENCH_REPEATS=2, BENCH_WARMUP_SEC=20, BENCH_WINDOW_SEC=20 to change the sweep; BENCH_AGENT=<main.node.js> measures
//        another build, e.g. an earlier commit's; BENCH_NODE_FLAGS="--optimize-for-size" adds V8 flags).
//        Each rate runs twice: with the V8 settings the Docker image gives the agent (its NODE_OPTIONS, plus the old
//        generation's growth the agent sets itself), then with Node's defaults (BENCH_NODE_DEFAULTS=0 skips that run).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../agent/src/adapters/embedded-postgres.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { systemClock, type CheckResult } from '../agent/src/core/types.ts';
import { createResultWriter } from '../agent/src/core/writer.ts';
import { migrate } from '../agent/src/db/migrate.ts';
import { createPool, describeDbError } from '../agent/src/db/pool.ts';
import { createIncidentEngine } from '../agent/src/incidents/engine.ts';
import { createPgIncidentStore } from '../agent/src/incidents/store.ts';
import type { CheckSpecBase } from '../agent/src/checks/types.ts';
import { promMetric } from '../test/helpers/metrics.ts';

const root = path.resolve(import.meta.dirname, '..');
const RATES = (process.env.BENCH_RATES ?? '500,1000,2000,4000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 20);
const WINDOW_SEC = Number(process.env.BENCH_WINDOW_SEC ?? 20);
const CLK_TCK = 100;
/** Another build to measure (e.g. an earlier commit's agent/dist/main.node.js), for before/after figures. */
const AGENT = process.env.BENCH_AGENT ?? 'agent/dist/main.node.js';
/** Node/V8 flags for the agent, e.g. --optimize-for-size (memory against CPU). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** What a user of the Docker image runs the agent with: the image's NODE_OPTIONS. */
const IMAGE_NODE_OPTIONS = /^ENV NODE_OPTIONS="([^"]*)"/m.exec(await readFile(path.join(root, 'agent/Dockerfile'), 'utf8'))?.[1] ?? '';
/** The product's V8 settings, then Node's own (no NODE_OPTIONS, and V8's own old-generation growth). */
const SETTINGS = [
  { name: 'product', nodeOptions: IMAGE_NODE_OPTIONS, flags: [] as string[] },
  ...(process.env.BENCH_NODE_DEFAULTS === '0' ? [] : [{ name: 'node defaults', nodeOptions: '', flags: ['--heap-growing-percent=0'] }]),
];
const BUILTINS = ['api.health', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress', 'synthetic.hash',
  'synthetic.wallet_info', 'synthetic.nft_status'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** utime + stime of a process in ms, or null once it is gone. */
async function cpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function node(args: string[], env: Record<string, string> = {}, stdio: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', stdio, stdio] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before answering`)));
  });
}

const TARGET = `
const http = require('node:http');
const body = JSON.stringify({ status: 'ok' });
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

const RAW_CLIENT = `
const http = require('node:http');
const [port, seconds] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let done = 0; const end = Date.now() + seconds * 1000;
function one() {
  if (Date.now() >= end) return;
  http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => { res.resume(); res.on('end', () => { done++; one(); }); })
    .on('error', () => one());
}
for (let i = 0; i < 64; i++) one();
setTimeout(() => { const u = process.cpuUsage(); console.log(JSON.stringify({ done, cpuMs: (u.user + u.system) / 1000 })); process.exit(0); }, seconds * 1000 + 200);`;

async function baseline(port: number): Promise<{ reqPerSec: number; cpuMsPerReq: number }> {
  const seconds = 10;
  const child = node(['-e', RAW_CLIENT, String(port), String(seconds)], {}, 'pipe');
  const out = JSON.parse(await firstLine(child)) as { done: number; cpuMs: number };
  return { reqPerSec: out.done / seconds, cpuMsPerReq: out.cpuMs / out.done };
}

async function database(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, stop: async () => {} };
  return startEmbeddedPostgres({ dir: path.join(root, '.data/bench-pg') });
}

async function freshDatabase(serverUrl: string): Promise<string> {
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS bt_bench_core WITH (FORCE)');
  await admin.query('CREATE DATABASE bt_bench_core');
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = '/bt_bench_core';
  return u.toString();
}

const metric = async (port: number, name: string): Promise<number> => (await promMetric(port, name)) ?? NaN;

interface RunFigures {
  offered: number;
  persisted: number;
  evaluated: number;
  cpuAgent: number;
  cpuPg: number;
  rss: number;
  rssPeak: number;
  incidents: number;
  dropped: number;
  shed: number;
}

async function runAt(serverUrl: string, targetPort: number, checks: number, dir: string, settings: typeof SETTINGS[number]): Promise<RunFigures> {
  const url = await freshDatabase(serverUrl);
  const file = path.join(dir, `checks-${checks}.json`);
  const list = [
    ...BUILTINS.map((name) => ({ name, enabled: false })),
    ...Array.from({ length: checks }, (_, i) => ({
      name: `bench.c${String(i).padStart(4, '0')}`, kind: 'http', url: `http://127.0.0.1:${targetPort}/health`, interval_sec: 1, timeout_ms: 1000,
    })),
  ];
  await writeFile(file, JSON.stringify({ checks: list }));
  const metricsPort = 19_000 + Math.floor(Math.random() * 1000);
  const agent = node([...settings.flags, ...NODE_FLAGS, AGENT, 'run'], {
    ...(settings.nodeOptions ? { NODE_OPTIONS: settings.nodeOptions } : {}),
    DATABASE_URL: url, API_BASE: `http://127.0.0.1:${targetPort}`, MONITOR_CHECKS_FILE: file, MONITOR_METRICS_PORT: String(metricsPort),
    MONITOR_LOG_LEVEL: 'warn', MONITOR_LOG_FORMAT: 'json', MONITOR_AGENT_ID: 'bench',
  }, 'pipe');
  let log = '';
  agent.stderr!.on('data', (d) => {
    if (log.length < 20_000) log += d;
  });
  agent.stdout!.resume();
  const exited = new Promise((r) => agent.once('exit', r));
  const db = new pg.Client(url);
  try {
    await db.connect();
    // The warm-up starts once the agent has migrated and stored its first results.
    for (let waited = 0; ; waited += 500) {
      const { rows: found } = await db.query(`SELECT to_regclass('monitor_metrics') IS NOT NULL AS yes`);
      if (found[0].yes && (await db.query(`SELECT 1 FROM monitor_metrics WHERE check_name LIKE 'bench.%' LIMIT 1`)).rows.length) break;
      if (waited > 120_000 || agent.exitCode !== null) throw new Error(agent.exitCode !== null ? `the agent exited with ${agent.exitCode}` : 'the agent stored nothing within 2 minutes');
      await sleep(500);
    }
    await sleep(WARMUP_SEC * 1000);
    const backends = async () => (await db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)).rows.map((r) => r.pid);
    const rows = async () => Number((await db.query(`SELECT count(*) AS n FROM monitor_metrics WHERE check_name LIKE 'bench.%'`)).rows[0].n);
    const pgCpu = new Map<number, [number, number]>();
    const samplePg = async () => {
      for (const pid of await backends()) {
        const c = await cpuMs(pid);
        if (c === null) continue;
        const seen = pgCpu.get(pid);
        pgCpu.set(pid, [seen ? seen[0] : c, c]);
      }
    };
    await samplePg();
    const a0 = (await cpuMs(agent.pid!))!;
    const r0 = await rows();
    const e0 = await metric(metricsPort, 'blocktrust_incident_results_evaluated_total');
    const t0 = performance.now();
    // Resident memory follows the collector's cycle: its peak over the window is what counts.
    let rssPeak = 0;
    const sampler = setInterval(() => {
      void samplePg();
      void rssMiB(agent.pid!).then((r) => { rssPeak = Math.max(rssPeak, r); }, () => {});
    }, 1000);
    await sleep(WINDOW_SEC * 1000);
    clearInterval(sampler);
    await samplePg();
    const a1 = (await cpuMs(agent.pid!))!;
    const r1 = await rows();
    const e1 = await metric(metricsPort, 'blocktrust_incident_results_evaluated_total');
    const seconds = (performance.now() - t0) / 1000;
    // A build whose writer awaits incident evaluation has no counter: what it stored, it evaluated.
    const evaluated = Number.isNaN(e1 - e0) ? (r1 - r0) / seconds : (e1 - e0) / seconds;
    const rss = await rssMiB(agent.pid!);
    rssPeak = Math.max(rssPeak, rss);
    const dropped = await metric(metricsPort, 'blocktrust_results_dropped');
    const shed = await metric(metricsPort, 'blocktrust_runs_skipped_total');
    let cpuPg = 0;
    for (const [first, last] of pgCpu.values()) cpuPg += last - first;
    const persistedRows = r1 - r0;
    const incidents = Number((await db.query(`SELECT count(*) AS n FROM monitor_incidents`)).rows[0].n);
    if (log) process.stderr.write(`agent log (first lines):\n${log.split('\n').slice(0, 5).join('\n')}\n`);
    return {
      offered: checks, persisted: persistedRows / seconds, evaluated,
      cpuAgent: (a1 - a0) / persistedRows, cpuPg: cpuPg / persistedRows, rss, rssPeak, incidents, dropped, shed: Number.isNaN(shed) ? 0 : shed,
    };
  } catch (err) {
    process.stderr.write(`agent log:\n${log}\n`);
    throw err;
  } finally {
    agent.kill('SIGTERM');
    await exited;
    await db.end().catch(() => {});
  }
}

/**
 * The incident engine alone, in this process: batches of 1,000 healthy results evaluated through the Postgres store,
 * beside writing the same batches with the agent's writer (the baseline: evaluation should cost less than storing).
 */
async function engineAlone(serverUrl: string): Promise<string> {
  const url = await freshDatabase(serverUrl);
  const pool = createPool(url, 4);
  const client = await pool.connect();
  await migrate(client);
  client.release();
  const specs = Array.from({ length: 1000 }, (_, i) => ({
    name: `bench.c${i}`, kind: 'http', enabled: true, intervalSec: 1, timeoutMs: 5000, severity: 'crit', slowSeverity: 'warn',
    failureThreshold: 2, successThreshold: 2,
  }) as CheckSpecBase);
  const log = memoryLogger();
  const engine = createIncidentEngine({
    store: createPgIncidentStore(pool, { clock: systemClock, links: {} }), clock: systemClock, log, configured: () => specs,
    channels: { list: async () => [], routable: async () => [], invalidate() {} }, config: { repeatIntervalMs: 3600_000, burnRate: false },
  });
  const writer = createResultWriter({ db: pool, clock: systemClock, log, flushIntervalMs: 1000, maxHeld: 1_000_000, describeError: describeDbError });
  const batch = (i: number): CheckResult[] => specs.map((s) => ({ check: s.name, ts: new Date(Date.now() + i), ok: true, latencyMs: 20, details: { status: 200 } }));
  for (let i = 0; i < 3; i++) await engine.onResults(batch(i), specs);
  const rounds = 30;
  let t = performance.now();
  for (let i = 0; i < rounds; i++) await engine.onResults(batch(i), specs);
  const evaluated = (rounds * specs.length) / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < rounds; i++) {
    for (const r of batch(i)) writer.add(r);
    await writer.flush();
  }
  const written = (rounds * specs.length) / ((performance.now() - t) / 1000);
  await pool.end();
  return `incident engine alone, 1,000 checks: ${evaluated.toFixed(0)} results/s evaluated | baseline: the writer stores ${written.toFixed(0)} results/s | ` +
    `${(evaluated / written).toFixed(1)}× (load ${load()})`;
}

const server = await database();
const dir = await mkdtemp(path.join(tmpdir(), 'bt-core-bench-'));
const target = node(['-e', TARGET], {}, 'pipe');
const targetPort = Number(await firstLine(target));
console.log(`agent: ${AGENT}${NODE_FLAGS.length ? ` with ${NODE_FLAGS.join(' ')}` : ''}; product settings: NODE_OPTIONS="${IMAGE_NODE_OPTIONS}"; load average at start: ${load()} (${RATES.join(', ')} checks/s offered, ${REPEATS} repeats, ${WARMUP_SEC} s warm-up, ${WINDOW_SEC} s measured)`);
const table: string[] = [];
const alone: string[] = [];
try {
  for (let rep = 1; rep <= REPEATS; rep++) {
    alone.push(await engineAlone(server.url));
    console.log(alone[alone.length - 1]);
    const base = await baseline(targetPort);
    console.log(`run ${rep}: raw keep-alive client ${base.reqPerSec.toFixed(0)} req/s, ${base.cpuMsPerReq.toFixed(3)} CPU ms/req (load ${load()})`);
    for (const checks of RATES) for (const settings of SETTINGS) {
      let f: RunFigures;
      try {
        f = await runAt(server.url, targetPort, checks, dir, settings);
      } catch (err) {
        // An agent that cannot keep up at all is a result too: the row says so and the sweep goes on.
        table.push(`| ${rep} | ${settings.name} | ${checks} | ${(err as Error).message} | | ${base.reqPerSec.toFixed(0)} | | | | | | | | | ${load().split(' ')[0]} |`);
        continue;
      }
      const done = Math.min(f.persisted, f.evaluated);
      const row = [
        `${rep}`, settings.name, `${f.offered}`, f.persisted.toFixed(0), f.evaluated.toFixed(0), `${base.reqPerSec.toFixed(0)}`,
        `${((done / base.reqPerSec) * 100).toFixed(0)} %`,
        ...(Number.isFinite(f.cpuAgent) ? [(f.cpuAgent + f.cpuPg).toFixed(3), `${f.cpuAgent.toFixed(3)} + ${f.cpuPg.toFixed(3)}`] : ['n/a (nothing stored)', '']),
        `${base.cpuMsPerReq.toFixed(3)}`, `${f.rssPeak.toFixed(0)} / ${f.rss.toFixed(0)}`, `${f.incidents}`, `${f.dropped}`, `${f.shed}`, load().split(' ')[0],
      ];
      table.push(`| ${row.join(' | ')} |`);
      console.log(row.join('  '));
    }
  }
} finally {
  target.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
  await server.stop();
}
console.log(`\nload average at end: ${load()}`);
for (const line of alone) console.log(line);
console.log('\n| run | V8 settings | offered checks/s | persisted/s | evaluated/s | raw client req/s | share of raw | CPU ms/check | agent + Postgres | raw client CPU ms/req | RSS MiB (peak / end) | incidents | dropped | skipped runs | load 1 m |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const line of table) console.log(line);
