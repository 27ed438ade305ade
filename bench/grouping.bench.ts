// Messages per channel for one root cause: a latency fault on the demo API (every route 900 ms, over the 800 ms
// objective) while the built-in checks run, with the real engine, outbox and notifier writing to a local Slack
// stand-in, until the fault heals:
//   ours:     grouping on (ALERT_GROUP_WINDOW 2 s here, by host)
//   baseline: grouping off (ALERT_GROUP_WINDOW=0): a message per incident, as before (7 per channel on the demo)
// Repeated three times each. Usage: npm run bench -- grouping  (embedded Postgres unless BENCH_DATABASE_URL is set)
import { undiciTransport } from '../agent/src/adapters/node-http.ts';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createChannelDirectory } from '../agent/src/alerts/directory.ts';
import { createPgGroupingStore } from '../agent/src/alerts/grouping.ts';
import { createNotifier } from '../agent/src/alerts/notifier.ts';
import { startEmbeddedPostgres } from '../agent/src/adapters/embedded-postgres.ts';
import { builtinLoginProfiles, createAuthSession } from '../agent/src/checks/auth.ts';
import { builtinChecks } from '../agent/src/checks/builtin.ts';
import { classifyError } from '../agent/src/checks/errors.ts';
import { checkKinds } from '../agent/src/checks/registry.ts';
import type { AnyCheckFn, CheckSpecBase } from '../agent/src/checks/types.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { runCheck } from '../agent/src/core/runner.ts';
import { systemClock, type CheckResult } from '../agent/src/core/types.ts';
import { migrate } from '../agent/src/db/migrate.ts';
import { createIncidentEngine } from '../agent/src/incidents/engine.ts';
import { createPgIncidentStore } from '../agent/src/incidents/store.ts';
import { writeHeartbeat } from '../agent/src/listener/heartbeat.ts';
import { startDemoServer } from '../test/helpers/demo-server.ts';

const root = path.resolve(import.meta.dirname, '..');

async function database(name: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = process.env.BENCH_DATABASE_URL
    ? { url: process.env.BENCH_DATABASE_URL, stop: async () => {} }
    : await startEmbeddedPostgres({ dir: path.join(root, '.data/bench-pg') });
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  return { url: u.toString(), stop: server.stop };
}

async function fakeSlack(): Promise<{ url: string; texts: string[]; close(): void }> {
  const texts: string[] = [];
  const app = new Hono();
  app.post('/services/*', async (c) => {
    texts.push(((await c.req.json()) as { text: string }).text);
    return c.text('ok');
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, texts, close: () => server.close() };
}

/** One outage and its recovery; returns the messages Slack received. */
async function outage(pool: pg.Pool, groupWindowMs: number): Promise<string[]> {
  await pool.query('TRUNCATE monitor_incidents, monitor_notifications, monitor_incident_events, monitor_check_streaks CASCADE');
  const api = await startDemoServer();
  const slack = await fakeSlack();
  const log = memoryLogger();
  const clock = systemClock;
  const channels = createChannelDirectory({
    db: pool, log, cacheMs: 0,
    env: { slackWebhook: `${slack.url}/services/T0/B0/bench`, language: 'en', minSeverity: 'warn' },
  });
  const specs = builtinChecks({ intervalSec: 1, timeoutMs: 10_000, userLogin: true }) as CheckSpecBase[];
  const store = createPgIncidentStore(pool, { clock, links: {} });
  const engine = createIncidentEngine({ store, clock, log, channels, configured: () => specs, config: { repeatIntervalMs: 4 * 3600_000, burnRate: false } });
  const notifier = createNotifier({
    store, clock, log, channels,
    grouping: { store: createPgGroupingStore(pool), options: { windowMs: groupWindowMs, by: 'host', recheckMs: 500 } },
  });
  const auth = createAuthSession({
    apiBase: api.url, profiles: builtinLoginProfiles({ explorer: api.credentials, user: api.credentials }), fetch, clock, log,
  });
  const ctx = {
    clock, log, db: pool, fetch, http: undiciTransport(), auth, memory: new Map(), startedAt: new Date(Date.now() - 3_600_000),
    settings: { apiBase: api.url, sloLatencyMs: 800, maxListenerLagSec: 180 },
  };
  const round = async () => {
    await writeHeartbeat(pool, Date.now());
    const results: CheckResult[] = await Promise.all(specs.map((s) =>
      runCheck(s, (checkKinds as unknown as Record<string, { run: AnyCheckFn }>)[s.kind].run, { ...ctx, memory: new Map() }, classifyError)));
    for (const r of results) {
      await pool.query('INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES ($1, $2, $3, $4, $5)',
        [r.ts, r.check, r.ok, Math.round(r.latencyMs), JSON.stringify({ ...r.details, ...(r.condition ? { condition: r.condition } : {}) })]);
    }
    await engine.onResults(results, specs);
    await engine.tick();
    await notifier.runOnce();
  };
  const deliverFor = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await notifier.runOnce();
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await round();
  api.controls.setFaults({ latencyMs: 900 });
  for (let i = 0; i < 3; i += 1) await round();
  await deliverFor(groupWindowMs + 1500);
  api.controls.reset();
  for (let i = 0; i < 3; i += 1) await round();
  await deliverFor(1500);
  slack.close();
  await api.close();
  return slack.texts;
}

const db = await database('bt_bench_grouping');
const pool = new pg.Pool({ connectionString: db.url, max: 10 });
const client = await pool.connect();
await migrate(client);
client.release();
try {
  await outage(pool, 2000); // warm-up
  const ours: number[] = [];
  const baseline: number[] = [];
  let sample = '';
  for (let i = 0; i < 3; i += 1) {
    const grouped = await outage(pool, 2000);
    sample ||= grouped.find((t) => t.includes('together')) ?? '';
    ours.push(grouped.length);
    baseline.push((await outage(pool, 0)).length);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`\n${sample}\n`);
  console.log('| measure | ours | baseline | ratio |\n|---|---|---|---|');
  console.log(`| Slack messages for one latency fault on the demo API, opening and recovery (3 runs) | ${ours.join(', ')} | ${baseline.join(', ')} (one per incident) | ${(Math.max(...baseline) / Math.max(1, Math.max(...ours))).toFixed(1)}× fewer |`);
} finally {
  await pool.end();
  await db.stop();
}
