// Start-up of the CLI: wall time from process start to exit for `--help` and for `once` (nine checks against
// the demo API, results written), the compiled bin beside the TypeScript path (`node --import tsx`, what
// `npm run agent` runs after npm's own start) and beside an idle Node process. Median of repeated runs after
// a warm-up. Usage: npm run bench -- cli  (builds the agent first; embedded Postgres unless BENCH_DATABASE_URL)
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startDemoServer } from '../test/helpers/demo-server.ts';
import { benchDatabase } from './database.ts';

const root = path.resolve(import.meta.dirname, '..');
const RUNS = 7;

// Asynchronous, so that the demo API in this process answers while the CLI runs.
async function timeOf(args: string[], env: Record<string, string>): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${output.slice(-1500)}`);
  return ms;
}

async function median(args: string[], env: Record<string, string> = {}): Promise<number> {
  await timeOf(args, env); // warm-up: file system cache, compile cache
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeOf(args, env));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const server = await benchDatabase('bt_bench_cli');
const dbUrl = new URL(server.url);
const api = await startDemoServer();
const heartbeat = new pg.Client(dbUrl.toString());
try {
  const env = {
    DATABASE_URL: dbUrl.toString(), API_BASE: api.url, JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
    MONITOR_LOG_LEVEL: 'error', MONITOR_DATA_DIR: path.join(root, '.data/bench-cli'),
  };
  const compiled = [path.join(root, 'agent/dist/main.node.js')];
  const tsx = ['--import', 'tsx', path.join(root, 'agent/src/main.node.ts')];
  // The first `once` migrates; the listener checks need a heartbeat so that every check runs its normal path.
  await timeOf([...compiled, 'migrate'], env);
  await heartbeat.connect();
  await heartbeat.query(`INSERT INTO monitor_metrics(check_name, ok, latency_ms, details) VALUES ('listener.tick', true, 0, '{"block_number":"50000001"}')`);

  const idle = await median(['-e', '0']);
  const rows = [
    ['--help', await median([...compiled, '--help']), await median([...tsx, '--help'])],
    ['once (9 checks)', await median([...compiled, 'once'], env), await median([...tsx, 'once'], env)],
  ] as const;
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  process.stdout.write(`CLI start-up, median of ${RUNS} runs after a warm-up (load average ${load}):\n`);
  process.stdout.write(`  idle Node process (node -e 0): ${idle.toFixed(0)} ms\n`);
  for (const [what, ours, baseline] of rows) {
    process.stdout.write(`  ${what}: compiled bin ${ours.toFixed(0)} ms, node --import tsx ${baseline.toFixed(0)} ms` +
      ` (${(baseline / ours).toFixed(1)}× faster; ${(ours / idle).toFixed(1)}× an idle Node)\n`);
  }
} finally {
  await heartbeat.end().catch(() => undefined);
  await api.close();
  await server.stop();
}
