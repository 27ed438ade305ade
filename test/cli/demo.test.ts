import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../agent/src/adapters/embedded-postgres.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
before(async () => {
  db = await freshDatabase('demo');
});
after(async () => db.drop());

test('demo (what npm start runs): the demo API, its listener and the agent, every check passing, a clean stop', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), 'demo', '--interval', '1'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, MONITOR_DEMO_PORT: String(port), MONITOR_LOG_FORMAT: 'json', SLO_LATENCY_MS: '60000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const names = ['api.health', 'api.db', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress',
      'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status', 'chain.head', 'listener.events'];
    const passed = (name: string) => new RegExp(` ${name.replace('.', '\\.')} ✓ ok `).test(out);
    const deadline = Date.now() + 60_000;
    while (!names.every(passed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const name of names) {
      assert.match(out, new RegExp(` ${name.replace('.', '\\.')} ✓ ok `), `${name} passes in the demo:\n${out}\n${err.slice(-1500)}`);
    }
    assert.match(out, new RegExp(`demo API at http://127\\.0\\.0\\.1:${port}`));

    // Its fault switches work as the header says: a 503 on /api/health shows as a failure.
    await fetch(`http://127.0.0.1:${port}/__demo/faults`, { method: 'POST', body: JSON.stringify({ errorRateByPath: { '/api/health': 1 } }) });
    const until = Date.now() + 10_000;
    while (!/ api\.health ✗ FAIL /.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    assert.match(out, / api\.health ✗ FAIL .*http_status/);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, err.slice(-2000));
  assert.doesNotMatch(out + err, /"password"|JWT_MONITOR_PASS=/);
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
