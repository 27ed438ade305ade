import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { freePort } from '../../agent/src/adapters/embedded-postgres.ts';
import { repoRoot } from '../helpers/cli.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';
import { startFakeChat } from '../helpers/fake-chat.ts';

let db: TestDatabase;
let api: DemoServer;
let chat: Awaited<ReturnType<typeof startFakeChat>>;
const BOT = '123456:AAH-fake-bot-token-0123456789abcdefgh';

before(async () => {
  db = await migratedDatabase('run');
  api = await startDemoServer();
  chat = await startFakeChat();
});
after(async () => {
  await api.close();
  await chat.close();
  await db.drop();
});

const until = async (what: string, cond: () => Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
};

test('run: an outage opens one incident, sends one message per channel, and one "resolved" when it heals; SIGTERM stops cleanly', async () => {
  const metricsPort = await freePort();
  const heartbeats = setInterval(() => void writeHeartbeat(db.pool, Date.now()).catch(() => {}), 500);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), 'run'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '', DATABASE_URL: db.url, API_BASE: api.url,
      JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
      JWT_USER_EMAIL: api.credentials.email, JWT_USER_PASS: api.credentials.password,
      MONITOR_CHECK_INTERVAL: '1', MONITOR_LOG_FORMAT: 'json', MONITOR_LOG_LEVEL: 'debug',
      // Only the outage the test makes may open an incident, whatever the machine's load; a short grouping window.
      SLO_LATENCY_MS: '60000', ALERT_GROUP_WINDOW: '2s',
      ALERT_SLACK_WEBHOOK: `${chat.url}/services/T000/B000/slack-secret-path`,
      ALERT_TELEGRAM_BOT: BOT, ALERT_TELEGRAM_CHAT: '-100123', ALERT_TELEGRAM_API_BASE: chat.url,
      MONITOR_SECRET_KEY: 'a-test-only-secret-key-of-at-least-32-chars',
      MONITOR_METRICS_PORT: String(metricsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d) => (logs += d));
  child.stderr.on('data', (d) => (logs += d));
  try {
    await until('healthy results', async () =>
      (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name = 'api.health' AND ok`)).rows[0].n >= 2);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /^blocktrust_check_up\{check="api.health"\} 1$/m);
    assert.match(metrics, /^blocktrust_check_duration_seconds_count\{check="synthetic.hash"\} \d+$/m);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200);
    const agentRow = await db.pool.query(`SELECT public_key FROM monitor_agents`);
    assert.equal(agentRow.rows[0].public_key.crv, 'P-256', 'the agent publishes its public key');

    api.controls.setFaults({ errorRateByPath: { '/api/health': 1 } });
    await until('an open incident', async () =>
      (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_incidents WHERE check_name = 'api.health' AND condition = 'down' AND resolved_at IS NULL`)).rows[0].n === 1);
    await until('the opening messages', async () => chat.received.length >= 2);

    // Grafana's intents reach the running agent through LISTEN/NOTIFY and are applied or rejected with a reason.
    const incidentId = (await db.pool.query(`SELECT id FROM monitor_incidents WHERE resolved_at IS NULL`)).rows[0].id;
    const ack = await db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('alice', 'incident.ack', $1) RETURNING id`,
      [JSON.stringify({ incident_id: Number(incidentId) })]);
    const bad = await db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('alice', 'slo.set', $1) RETURNING id`,
      [JSON.stringify({ check_name: 'api.health', uptime_target: 150 })]);
    await until('intents handled', async () =>
      (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_intents WHERE status <> 'pending'`)).rows[0].n === 2, 10_000);
    const handled = await db.pool.query(`SELECT id, status, reason FROM monitor_intents ORDER BY id`);
    assert.equal(handled.rows.find((r) => r.id === ack.rows[0].id).status, 'applied');
    const rejected = handled.rows.find((r) => r.id === bad.rows[0].id);
    assert.equal(rejected.status, 'rejected');
    assert.match(rejected.reason, /uptime_target/);
    const acked = await db.pool.query(`SELECT acknowledged_by FROM monitor_incidents WHERE id = $1`, [incidentId]);
    assert.equal(acked.rows[0].acknowledged_by, 'alice');
    const global = await db.pool.query(`SELECT uptime_target::float8 AS uptime_target, updated_by FROM monitor_slo_targets WHERE check_name = '*'`);
    assert.deepEqual(global.rows[0], { uptime_target: 99.5, updated_by: 'env' });
    await new Promise((r) => setTimeout(r, 3000)); // more failing runs: still no more messages
    const opened = chat.received.filter((m) => JSON.stringify(m.body).includes('api.health'));
    assert.equal(opened.length, 2, JSON.stringify(chat.received));
    assert.ok(opened.some((m) => m.path === `/bot${BOT}/sendMessage` && m.body.chat_id === '-100123'));
    assert.ok(opened.some((m) => m.path.startsWith('/services/') && typeof m.body.text === 'string'));
    assert.match(JSON.stringify(opened), /CRIT/);

    api.controls.reset();
    await until('resolution', async () =>
      (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_incidents WHERE check_name = 'api.health' AND resolved_at IS NOT NULL`)).rows[0].n === 1);
    await until('the resolved messages', async () => chat.received.length >= 4);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(chat.received.length, 4, JSON.stringify(chat.received.map((m) => m.body)));
    const timeline = await db.pool.query(`SELECT kind FROM monitor_incident_events ORDER BY id`);
    assert.deepEqual([...new Set(timeline.rows.map((r) => r.kind))].sort(), ['acknowledged', 'notified', 'opened', 'resolved']);
  } finally {
    clearInterval(heartbeats);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(killer);
    assert.equal(code, 0, `the agent did not stop cleanly on SIGTERM:\n${logs.slice(-3000)}`);
  }
  assert.doesNotMatch(logs, /fake-bot-token|slack-secret-path|test-only-secret-key/, 'no secret in the logs');
  assert.doesNotMatch(logs, new RegExp(api.credentials.password));
  const ticks = await db.pool.query(`SELECT details FROM monitor_metrics WHERE check_name = 'agent.tick' ORDER BY id DESC LIMIT 1`);
  assert.equal(ticks.rows[0].details.version, '0.1.0');
});
