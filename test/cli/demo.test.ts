import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import { createDemoListener, lastRecordedBlock } from '../../agent/src/demo/listener.ts';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { ensureSchema } from '../../agent/src/cli/schema.ts';
import { freePort } from '../../agent/src/adapters/embedded-postgres.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
before(async () => {
  db = await freshDatabase('demo');
});
after(async () => db.drop());

const CHECKS = ['api.health', 'api.db', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress',
  'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status', 'chain.head', 'listener.events'];

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('demo (what npm start runs): every check passes, the CLI in another process finds it, reset heals the listener, a clean stop', async () => {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bt-demo-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), 'demo', '--interval', '1'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '', DATABASE_URL: db.url, MONITOR_DEMO_PORT: String(port), MONITOR_LOG_FORMAT: 'json',
      MONITOR_DATA_DIR: dataDir, SLO_LATENCY_MS: '600000', // only a failure may fail a check, however loaded the machine
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  const post = (route: string, body: unknown) => fetch(`${base}${route}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
  const ticks = async () => (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name = 'listener.tick'`)).rows[0].n as number;
  try {
    await waitFor('every check passing', () => CHECKS.every((name) => out.includes(` ${name} ✓ ok `)));
    assert.match(out, new RegExp(`probing http://127\\.0\\.0\\.1:${port} every 1s`));
    assert.match(out, /^DATABASE_URL and the demo login: in .*demo\.json \(mode 0600\)/m, 'a pipe gets where they are, not the passwords');
    assert.doesNotMatch(out, /Demo login: /);
    assert.doesNotMatch(out, /\x1b\[/, 'a pipe gets lines, not screen redraws');

    // Another process, with neither DATABASE_URL nor the API's address or login, uses the running demo.
    const once = await runCli(['once'], { MONITOR_DATA_DIR: dataDir, SLO_LATENCY_MS: '600000', MONITOR_LOG_FORMAT: 'json' });
    assert.equal(once.code, 0, once.stdout + once.stderr);
    assert.match(once.stdout, /^12 passed, 0 failed$/m);
    assert.match(once.stderr, /using the database of the running demo/);
    const again = await runCli(['demo'], { MONITOR_DATA_DIR: dataDir, MONITOR_DEMO_PORT: String(await freePort()) });
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, new RegExp(`^error: the demo is already running \\(since .*, API ${base.replace(/\./g, '\\.')}\\); use it from this shell`, 'm'));
    const daemon = await runCli(['run'], { MONITOR_DATA_DIR: dataDir });
    assert.equal(daemon.code, 2, daemon.stderr);
    assert.match(daemon.stderr, /^error: DATABASE_URL is not set.*add --embedded/m);

    // A fault shows, and {"reset":true} heals everything, the stalled listener included.
    await post('/__demo/faults', { errorRateByPath: { '/api/health': 1 } });
    await waitFor('api.health failing', () => / api\.health ✗ FAIL .*http_status/.test(out));
    await post('/__demo/listener', { action: 'stall' });
    await new Promise((r) => setTimeout(r, 500));
    const stalled = await ticks();
    await post('/__demo/faults', { reset: true });
    await waitFor('heartbeats after reset', async () => (await ticks()) > stalled);
    await waitFor('api.health passing again', () => out.lastIndexOf(' api.health ✓ ok ') > out.lastIndexOf(' api.health ✗ FAIL '));
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, err.slice(-2000));
  const levels = err.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { level: string; msg: string }));
  // From the stop on (a loaded machine may log a skipped run before; that is not the stop's doing).
  const stopping = levels.findIndex((l) => l.msg === 'stopping the demo');
  assert.ok(stopping >= 0, 'the stop is logged');
  assert.deepEqual(levels.slice(stopping).filter((l) => l.level === 'warn' || l.level === 'error'), [], 'a clean stop logs no warning or error');
  assert.ok(levels.some((l) => l.msg === 'demo stopped'));
  assert.doesNotMatch(out + err, /"password"|JWT_MONITOR_PASS=/);
  assert.equal(existsSync(path.join(dataDir, 'demo.json')), false, 'the connection file goes with the demo');
  await rm(dataDir, { recursive: true, force: true });
});

test('the demo listener resumes after the highest recorded block, so a restart never looks like a stall', async () => {
  await ensureSchema(db.pool);
  await writeHeartbeat(db.pool, '50000900');
  await writeHeartbeat(db.pool, '50000300');
  const start = await lastRecordedBlock(db.pool);
  assert.equal(start, 50_000_900n);
  const listener = createDemoListener({ db: db.pool, startBlock: start, blocksPerTick: 3 });
  await listener.tick();
  const { rows } = await db.pool.query(`SELECT details->>'block_number' AS b FROM monitor_metrics WHERE check_name = 'listener.tick' ORDER BY id DESC LIMIT 1`);
  assert.equal(rows[0].b, '50000903');
});

test('demo with its port taken says so and exits 2', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await runCli(['demo'], { DATABASE_URL: db.url, MONITOR_DEMO_PORT: String(port) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`MONITOR_DEMO_PORT: cannot listen on 127\\.0\\.0\\.1:${port} \\(already in use\\)`));
  } finally {
    blocker.close();
  }
});

test('demo reads the variables run reads: a bad value is named, the ones it overrides are said, --help lists them and every switch', async () => {
  const bad = await runCli(['demo'], { DATABASE_URL: db.url, MONITOR_CHECK_INTERVAL: 'abc', MONITOR_DEMO_PORT: 'abc', API_BASE: 'not-a-url' });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^note: the demo probes its own API with its own login; API_BASE is ignored$/m);
  assert.match(bad.stderr, /^config error: MONITOR_CHECK_INTERVAL: /m);
  assert.match(bad.stderr, /^config error: MONITOR_DEMO_PORT: /m);
  assert.doesNotMatch(bad.stderr, /config error: API_BASE/, 'a bad demo port is reported under its own name');

  const help = await runCli(['demo', '--help'], {});
  assert.equal(help.code, 0);
  for (const text of ['MONITOR_CHECK_INTERVAL', 'MONITOR_DEMO_PORT', 'DATABASE_URL', '{"reset":true}', '{"errorRate":1}', 'stall', 'freeze', 'resume']) {
    assert.ok(help.stdout.includes(text), `demo --help mentions ${text}`);
  }
  const environment = help.stdout.slice(help.stdout.indexOf('Environment'));
  assert.ok(environment.includes('MONITOR_DEMO_PASS') && !environment.includes('JWT_MONITOR_PASS'), 'the login variables the demo sets itself are not listed');
  for (const line of help.stdout.split('\n')) assert.ok([...line].length <= 80, `fits 80 columns: ${line}`);
  const runHelp = await runCli(['run', '--help'], {});
  assert.match(runHelp.stdout, /--embedded/);
  assert.match(runHelp.stdout, /Environment[\s\S]*DATABASE_URL[\s\S]*ALERT_SLACK_WEBHOOK/);
});
