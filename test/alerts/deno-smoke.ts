// Run by deno.test.ts under Deno: an outage through the engine, the outbox and a Slack stand-in served by
// Deno itself. Prints the first line of each message received, as JSON.
import pg from 'pg';
import { migrate } from '../../agent/src/db/migrate.ts';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import { createIncidentEngine } from '../../agent/src/incidents/engine.ts';
import { createNotifier } from '../../agent/src/alerts/notifier.ts';
import { createPgIncidentStore } from '../../agent/src/incidents/store.ts';
import type { Clock, Logger } from '../../agent/src/core/types.ts';

// Reached through globalThis so the repository's Node typecheck accepts this file too.
const Deno = (globalThis as any).Deno;
const received: string[] = [];
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, async (req: Request) => {
  received.push((await req.json()).text);
  return new Response('ok');
});
const pool = new pg.Pool({ connectionString: Deno.args[0] });
const client = await pool.connect();
await migrate(client);
client.release();
let t = Date.parse('2026-03-02T10:00:00Z');
const clock: Clock = { now: () => new Date(t), monotonic: () => t, sleep: async () => {} };
const log: Logger = { debug() {}, info() {}, warn() {}, error(msg, fields) { console.error(msg, fields); } };
const channels = createChannelDirectory({
  db: pool, log, cacheMs: 0,
  env: { slackWebhook: `http://127.0.0.1:${server.addr.port}/services/T/B/x`, language: 'pt-BR', minSeverity: 'warn' },
});
const store = createPgIncidentStore(pool, { clock, links: {} });
const engine = createIncidentEngine({ store, clock, log, channels, configured: () => [], config: { repeatIntervalMs: 3600_000 } });
const notifier = createNotifier({ store, clock, log, channels });
for (const ok of [false, false, false, true, true]) {
  await engine.onResults([{
    check: 'api.health', ts: clock.now(), ok, latencyMs: 10,
    details: ok ? {} : { error: 'GET /api/health answered HTTP 503.' }, condition: ok ? undefined : 'down',
  }], []);
  await engine.tick();
  await notifier.runOnce();
  t += 60_000;
}
console.log(JSON.stringify(received.map((text) => text.split('\n')[0])));
await pool.end();
await server.shutdown();
