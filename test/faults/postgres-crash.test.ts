// A Postgres crash (immediate shutdown of the postmaster, as `pg_ctl stop -m immediate`) and restart on a test
// cluster of its own, under a running agent and a listener writing heartbeats: no HTTP result is lost, and the
// listener is not reported stalled for the time the database itself was down.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { freePort, relocatedFolder, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../agent/src/adapters/embedded-postgres.ts';
import { migrate } from '../../agent/src/db/migrate.ts';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';
import { checksFileWith, count, startAgentProcess, until, killLeftoverAgents } from './helpers.ts';

let parent: string;
let dir: string;
let port: number;
let cluster: EmbeddedPostgresHandle;
let api: DemoServer;

before(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'bt-crash-'));
  await chmod(parent, 0o777); // as root, the cluster runs as the postgres user
  dir = path.join(parent, 'pg');
  port = await freePort();
  cluster = await startEmbeddedPostgres({ dir, port });
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  await migrate(client);
  await client.end();
  api = await startDemoServer();
});
after(async () => {
  await killLeftoverAgents();
  await api?.close();
  await cluster?.stop().catch(() => {});
  // The cluster is this test's alone: its files go (as root they may live in a folder keyed to `dir`).
  await rm(parent, { recursive: true, force: true });
  await rm(relocatedFolder(dir), { recursive: true, force: true });
});

/** SIGQUIT to the postmaster: every backend ends at once, nothing is flushed (crash recovery at the next start). */
async function crash(): Promise<void> {
  const pid = Number((await readFile(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  await until('the postmaster gone', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
}

test('Postgres crashes for longer than the lag limit: every HTTP run is recorded, listener.lag records no false stall', async () => {
  const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
  pool.on('error', () => {});
  // The listener: a heartbeat every 3 s, paused while the test holds it back (it is slow to reconnect).
  let beating = true;
  let paused = false;
  let block = 1000;
  const heartbeats = (async () => {
    while (beating) {
      if (!paused) await writeHeartbeat(pool, block++).catch(() => {});
      await new Promise((r) => setTimeout(r, paused ? 100 : 3000));
    }
  })();
  const agent = startAgentProcess(['run'], {
    DATABASE_URL: cluster.url, API_BASE: api.url, JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
    MAX_LISTENER_LAG_SEC: '8', MONITOR_CHECK_INTERVAL: '2', MONITOR_LOG_LEVEL: 'debug',
    MONITOR_CHECKS_FILE: await checksFileWith([{ name: 'api.health' }, { name: 'listener.lag', graceSec: 0 }]),
  });
  let downFrom = 0;
  let downTo = 0;
  try {
    await until('listener.lag judged healthy twice', async () =>
      (await count(pool, `SELECT COUNT(*) AS n FROM monitor_metrics WHERE check_name = 'listener.lag' AND ok AND details ? 'lag_sec'`)) >= 2);
    downFrom = Date.now();
    await crash();
    // Down for twice the lag limit: the newest heartbeat is 16 s old or more when the database returns.
    await until('the agent holding results', () => /database unreachable: holding results/.test(agent.logs()));
    paused = true;
    await new Promise((r) => setTimeout(r, 16_000));
    cluster = await startEmbeddedPostgres({ dir, port });
    downTo = Date.now();
    await until('held results written', () => /database is back: held results written/.test(agent.logs()));
    // The agent sees the old heartbeat before the listener is back, and leaves it unjudged; then the listener writes.
    await until('listener.lag left unjudged', () => /is judged after one heartbeat interval/.test(agent.logs()));
    paused = false;
    // Wait until the listener has written after the restart and the agent judged it.
    await until('listener.lag judged after the restart', async () =>
      (await count(pool, `SELECT COUNT(*) AS n FROM monitor_metrics WHERE check_name = 'listener.lag' AND ts > $1 AND details ? 'lag_sec'`,
        [new Date(downTo)])) >= 2);
  } finally {
    beating = false;
    await heartbeats;
    assert.equal(await agent.stop(), 0, agent.logs());
  }
  assert.equal(await count(pool, `SELECT COUNT(*) AS n FROM monitor_metrics WHERE check_name = 'listener.lag' AND NOT ok`), 0, 'no false stall');
  assert.equal(await count(pool, `SELECT COUNT(*) AS n FROM monitor_incidents`), 0);
  // Every 2 s slot of api.health from before the crash to after the restart holds exactly one result.
  const { rows } = await pool.query<{ ts: Date }>(`SELECT ts FROM monitor_metrics WHERE check_name = 'api.health' ORDER BY ts`);
  const gaps = rows.slice(1).map((r, i) => r.ts.getTime() - rows[i].ts.getTime());
  const during = rows.filter((r) => r.ts.getTime() > downFrom && r.ts.getTime() < downTo).length;
  assert.ok(during >= Math.floor((downTo - downFrom) / 2000) - 1, `${during} results recorded for ${downTo - downFrom} ms of outage`);
  assert.deepEqual(gaps.filter((g) => g < 1500 || g > 2500), [], 'one result per 2 s slot, none lost, none doubled');
  assert.match(agent.logs(), /run not recorded: the monitor database failed/);
  // The lag was old when the database returned, and it was left unjudged instead of reported.
  assert.match(agent.logs(), /the monitor's database came back \d+ s ago: the listener's lag \(\d+ s\) is judged after one heartbeat interval/);
  await pool.end();
});
