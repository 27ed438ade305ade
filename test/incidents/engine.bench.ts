// Not a test: `TEST_DATABASE_URL=… node --import tsx test/incidents/engine.bench.ts` prints how long the
// incident engine and the notifier take on a local Postgres.
import type { CheckResult } from '../../agent/src/core/types.ts';
import { createWorld, spec } from './harness.ts';

const checks = Array.from({ length: 10 }, (_, i) => `api.c${i}`);
const w = await createWorld({ prefix: 'bench', specs: checks.map((c) => spec(c)) });
const batch = (ok: boolean): CheckResult[] => checks.map((check) => ({
  check, ts: w.clock.now(), ok, latencyMs: 100, details: ok ? {} : { error: 'HTTP 503', status: 503 }, condition: ok ? undefined : 'down',
}));
async function time(label: string, rounds: number, fn: () => Promise<void>) {
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await fn();
  const ms = (performance.now() - start) / rounds;
  console.log(`${label}: ${ms.toFixed(2)} ms`);
}
await time('steady batch of 10 passing results', 200, async () => {
  await w.engine.onResults(batch(true), w.specs);
  w.clock.advance(60_000);
});
await time('batch of 10 failing results (opens 10 incidents every 2nd round, then resolves)', 20, async () => {
  for (const ok of [false, false, true, true]) {
    await w.engine.onResults(batch(ok), w.specs);
    w.clock.advance(60_000);
  }
});
await time('engine tick (reminders, late announcements)', 100, () => w.engine.tick());
const pending = (await w.db.pool.query(`SELECT count(*)::int AS n FROM monitor_notifications WHERE status = 'pending'`)).rows[0].n;
const start = performance.now();
await w.notifier.runOnce();
console.log(`notifier: ${pending} messages to local Slack and Telegram stand-ins in ${(performance.now() - start).toFixed(0)} ms`);
await w.close();
