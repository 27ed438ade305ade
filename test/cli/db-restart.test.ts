import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { repoRoot } from '../helpers/cli.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';

let db: TestDatabase;
let api: DemoServer;
before(async () => {
  db = await migratedDatabase('dbrestart');
  api = await startDemoServer();
});
after(async () => {
  await api.close();
  await db.drop();
});

const count = async () =>
  (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name = 'api.health'`)).rows[0].n as number;

test('connections killed under a running agent (a Postgres restart) neither crash it nor lose its results', async () => {
  const heartbeats = setInterval(() => void writeHeartbeat(db.pool, Date.now()).catch(() => {}), 500);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), 'run'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '', DATABASE_URL: db.url, API_BASE: api.url, MONITOR_LOG_FORMAT: 'json',
      JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
      JWT_USER_EMAIL: api.credentials.email, JWT_USER_PASS: api.credentials.password, MONITOR_CHECK_INTERVAL: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  child.stderr.on('data', (d) => (logs += d));
  let exitCode: number | null | undefined;
  child.on('exit', (code) => (exitCode = code));
  try {
    const deadline = Date.now() + 20_000;
    while ((await count()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (let round = 0; round < 3; round++) {
      const killed = await db.pool.query(`SELECT COUNT(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'blocktrust-monitor%'`);
      assert.ok(killed.rows[0].n >= 1, 'the agent had connections to kill');
      await new Promise((r) => setTimeout(r, 1500));
    }
    const before = await count();
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(exitCode, undefined, `the agent died:\n${logs.slice(-2000)}`);
    assert.ok((await count()) > before, 'results keep arriving after the connections came back');
    assert.doesNotMatch(logs, /Unhandled 'error' event|uncaught/i);
  } finally {
    clearInterval(heartbeats);
    child.kill('SIGTERM');
    await new Promise((r) => (exitCode === undefined ? child.on('exit', r) : r(null)));
  }
});
