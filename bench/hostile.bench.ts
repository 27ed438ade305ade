// Memory and latency of the agent's checks while 50 hostile targets answer at once (50 MB bodies with and
// without a Content-Length, trickles, hangs, redirect loops), beside 50 healthy targets measured the same way,
// and beside the old way of reading an answer (in full) against 5 of the 50 MB targets.
// Every figure is the median of 3 runs, each in a fresh process after a warm-up round; the targets are served
// by this parent process, so the measured process holds only the agent's side.
// Usage: npm run bench -- hostile
import { undiciTransport } from '../agent/src/adapters/node-http.ts';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { createAuthSession } from '../agent/src/checks/auth.ts';
import { classifyError } from '../agent/src/checks/errors.ts';
import { runHttpCheck } from '../agent/src/checks/http.ts';
import { parseCheckSpec, type CheckSpec } from '../agent/src/checks/registry.ts';
import type { AnyCheckFn } from '../agent/src/checks/types.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { runCheck } from '../agent/src/core/runner.ts';
import { systemClock } from '../agent/src/core/types.ts';

const MIB = 1024 * 1024;
const ROUNDS = 4;
const RUNS = 3;
const KINDS = ['big-chunked', 'big-declared', 'trickle', 'hang', 'loop'] as const;

function targetServer(): Promise<Server> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const server = createServer((req, res) => {
    const kind = (req.url ?? '/').split('/')[1];
    res.on('error', () => {});
    const pump = (total: number) => {
      let sent = 0;
      const go = () => {
        while (!res.destroyed && sent < total && res.write(chunk)) sent += chunk.length;
        if (res.destroyed) return;
        if (sent < total) res.once('drain', () => { sent += chunk.length; go(); });
        else res.end();
      };
      go();
    };
    if (kind === 'healthy') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (kind === 'big-chunked') return (res.writeHead(200, { 'content-type': 'application/json' }), pump(50 * MIB));
    if (kind === 'big-declared') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * MIB) });
      return pump(50 * MIB);
    }
    if (kind === 'trickle') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 50);
      return res.on('close', () => clearInterval(t));
    }
    if (kind === 'loop') return res.writeHead(302, { location: `/loop/${Number(req.url?.split('/')[2] ?? 0) % 2 + 1}` }).end();
    if (kind === 'hang') return;
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface ChildReport {
  peakRssMiB: number;
  healthyMaxMs: number;
  healthySlow: number;
  classes: Record<string, number>;
}

/** In the measured process: ROUNDS rounds of every check at once (plus 10 healthy ones), sampling RSS. */
async function child(mode: string, base: string): Promise<void> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const log = memoryLogger();
  const ctx = {
    clock: systemClock, log, db: { query: async () => ({ rows: [] }) } as never, fetch, http: undiciTransport(), memory: new Map(),
    auth: createAuthSession({ apiBase: base, fetch, clock: systemClock, log }), settings: { apiBase: base, sloLatencyMs: 800, maxListenerLagSec: 180 },
  };
  const spec = (name: string, path: string): CheckSpec =>
    parseCheckSpec({ name, kind: 'http', url: `${base}${path}`, timeoutMs: 3000, intervalSec: 60, expect: { json: [{ path: 'status', equals: 'ok' }] } },
      name, { intervalSec: 60 });
  const targets = mode === 'healthy'
    ? Array.from({ length: 50 }, (_, i) => spec(`t${i}`, '/healthy'))
    : mode === 'hostile'
      ? Array.from({ length: 50 }, (_, i) => spec(`t${i}`, `/${KINDS[i % KINDS.length]}/0`))
      : [];
  const healthy = Array.from({ length: 10 }, (_, i) => spec(`h${i}`, '/healthy'));
  const classes: Record<string, number> = {};
  let healthyMaxMs = 0;
  let healthySlow = 0;
  const fullRead: AnyCheckFn = async (s: CheckSpec, c) => {
    // The old way: the whole answer in memory, then parsed.
    const res = await c.fetch((s as { url: string }).url, { signal: c.signal });
    const body = new Uint8Array(await res.arrayBuffer());
    return { ok: body.length > 0, details: { bytes: body.length } };
  };
  for (let round = 0; round <= ROUNDS; round++) {
    const runs = mode === 'unbounded'
      ? Array.from({ length: 5 }, (_, i) => runCheck({ ...spec(`u${i}`, '/big-chunked/0'), timeoutMs: 30_000 }, fullRead, ctx, classifyError))
      : targets.map((s) => runCheck(s, runHttpCheck as AnyCheckFn, ctx, classifyError));
    const healthyRuns = healthy.map((s) => runCheck(s, runHttpCheck as AnyCheckFn, ctx, classifyError));
    const results = await Promise.all([...runs, ...healthyRuns]);
    if (round === 0) {
      peak = process.memoryUsage().rss; // the warm-up round is not counted
      continue;
    }
    for (const r of results.slice(0, runs.length)) {
      const cls = String(r.details.error_class ?? (r.ok ? 'ok' : 'failed'));
      classes[cls] = (classes[cls] ?? 0) + 1;
    }
    for (const r of results.slice(runs.length)) {
      healthyMaxMs = Math.max(healthyMaxMs, r.latencyMs);
      if (!r.ok || r.details.slow) healthySlow += 1;
    }
  }
  clearInterval(sampler);
  const report: ChildReport = { peakRssMiB: Math.round(peak / MIB), healthyMaxMs: Math.round(healthyMaxMs), healthySlow, classes };
  process.stdout.write(JSON.stringify(report) + '\n');
}

function measure(mode: string, base: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'child', mode, base], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${mode} exited ${code}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(process.argv[3], process.argv[4]);
  const server = await targetServer();
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const load = loadavg()[0].toFixed(1);
  const results: Record<string, ChildReport[]> = { healthy: [], hostile: [], unbounded: [] };
  for (let i = 0; i < RUNS; i++) for (const mode of Object.keys(results)) results[mode].push(await measure(mode, base));
  server.closeAllConnections();
  server.close();
  const rss = (mode: string) => median(results[mode].map((r) => r.peakRssMiB));
  const lat = (mode: string) => median(results[mode].map((r) => r.healthyMaxMs));
  console.log(`load average at start: ${load}; ${ROUNDS} rounds per run after a warm-up, median of ${RUNS} runs`);
  console.log(`outcomes of the 50 hostile targets per run: ${JSON.stringify(results.hostile[0].classes)}`);
  console.log(`peak RSS, 50 hostile targets at once (+10 healthy): ours ${rss('hostile')} MiB | baseline 50 healthy targets (+10 healthy) ${rss('healthy')} MiB | ${(rss('hostile') / rss('healthy')).toFixed(2)}×`);
  console.log(`peak RSS, old full read of 5 × 50 MB targets (+10 healthy): ${rss('unbounded')} MiB | ours with 50 hostile ${rss('hostile')} MiB | ${(rss('unbounded') / rss('hostile')).toFixed(2)}× less with the cut`);
  console.log(`slowest healthy check beside them: ${lat('hostile')} ms | beside healthy ones ${lat('healthy')} ms; healthy runs failed or slow: ${results.hostile.reduce((n, r) => n + r.healthySlow, 0)} of ${RUNS * ROUNDS * 10}`);
}

await main();
