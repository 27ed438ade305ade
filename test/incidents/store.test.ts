// The two incident stores given the same effects end in the same state; the Postgres one also keeps its promises
// about transactions, the one lock and streak writes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Channel } from '../../agent/src/alerts/channel.ts';
import { createSlackChannel } from '../../agent/src/alerts/slack.ts';
import type { ChannelDirectory } from '../../agent/src/alerts/directory.ts';
import type { CheckResult } from '../../agent/src/core/types.ts';
import { createIncidentEngine } from '../../agent/src/incidents/engine.ts';
import type { Effect } from '../../agent/src/incidents/model.ts';
import { decideManualResolve, decideResults, knownOf, policyOf } from '../../agent/src/incidents/policy.ts';
import { createMemoryIncidentStore, createPgIncidentStore, type IncidentStore } from '../../agent/src/incidents/store.ts';
import { inTransaction } from '../../agent/src/incidents/tx.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { capturingLogger, fakeClock } from '../alerts/fakes.ts';
import { spec } from './harness.ts';

const links = { grafanaUrl: 'http://grafana.test' };
const channels: Channel[] = [
  createSlackChannel({ name: 'slack', minSeverity: 'warn', language: 'en', enabled: true, source: 'env', webhookUrl: 'http://127.0.0.1:9/services/T/B/x' }),
  createSlackChannel({ name: 'crit-only', minSeverity: 'crit', language: 'pt-BR', enabled: true, source: 'db', webhookUrl: 'http://127.0.0.1:9/services/T/B/y' }),
];
const directory: ChannelDirectory = { list: async () => channels, routable: async () => channels, invalidate() {} };

const fail = (check: string, ts: Date): CheckResult =>
  ({ check, ts, ok: false, latencyMs: 90, condition: 'down', details: { error: 'HTTP 503', status: 503, condition: 'down' } });
const pass = (check: string, ts: Date): CheckResult => ({ check, ts, ok: true, latencyMs: 90, details: {} });

/** The incidents, timeline kinds and outbox rows a store holds, in a form both stores give alike. */
async function snapshot(store: IncidentStore, db?: TestDatabase, memory?: ReturnType<typeof createMemoryIncidentStore>) {
  if (db) {
    const incidents = (await db.pool.query(`SELECT check_name, condition, severity, resolved_at IS NOT NULL AS resolved FROM monitor_incidents ORDER BY id`)).rows;
    const events = (await db.pool.query(`SELECT kind FROM monitor_incident_events ORDER BY id`)).rows.map((r) => r.kind);
    const outbox = (await db.pool.query(`SELECT channel, kind, status FROM monitor_notifications ORDER BY id`)).rows;
    return { incidents, events, outbox };
  }
  return {
    incidents: memory!.incidents.map((i) => ({ check_name: i.check, condition: i.condition, severity: i.severity, resolved: Boolean(i.resolvedAt) })),
    events: memory!.events.map((e) => e.kind),
    outbox: memory!.notifications.map((n) => ({ channel: n.channel, kind: n.kind, status: n.status })),
  };
}

describe('incident stores: Postgres and memory agree', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('store');
  });
  after(async () => db.drop());

  test('the same outage through the pure policy leaves the same incidents, timeline and outbox in both', async () => {
    const clock = fakeClock();
    const pgStore = createPgIncidentStore(db.pool, { clock, links });
    const memory = createMemoryIncidentStore({ clock, links });
    const policy = policyOf(spec('api.health'));
    for (const store of [pgStore, memory.store]) {
      const streaks = new Map();
      let ref = 0;
      const t0 = clock.now().getTime();
      const results = [0, 1, 2, 3, 4, 5].map((m) => (m < 3 ? fail : pass)('api.health', new Date(t0 + m * 60_000)));
      // One batch at a time, as the engine does: load, decide, apply.
      for (const r of results) {
        const open = (await store.openIncidents(['api.health'])).map(knownOf);
        const { effects } = decideResults('api.health', [r], { streaks, open }, policy, () => --ref);
        await store.apply(effects, { channels });
      }
    }
    const fromPg = await snapshot(pgStore, db);
    const fromMemory = await snapshot(memory.store, undefined, memory);
    assert.deepEqual(fromPg, fromMemory);
    assert.deepEqual(fromPg.incidents, [{ check_name: 'api.health', condition: 'down', severity: 'crit', resolved: true }]);
    assert.deepEqual(fromPg.events, ['opened', 'resolved']);
    assert.deepEqual(fromPg.outbox.map((n) => `${n.channel}:${n.kind}`), ['slack:opened', 'crit-only:opened', 'slack:resolved', 'crit-only:resolved']);
  });

  test('effects on an incident someone else already changed are skipped, with the timeline and notifications after them', async () => {
    const clock = fakeClock();
    const store = createPgIncidentStore(db.pool, { clock, links });
    const memory = createMemoryIncidentStore({ clock, links });
    for (const s of [store, memory.store]) {
      const ids = await s.apply([
        { type: 'open', ref: -1, check: 'api.events', condition: 'down', severity: 'crit', since: clock.now(), at: clock.now(), title: 't', detail: 'd', details: {} },
        { type: 'event', incident: -1, at: clock.now(), kind: 'opened', message: 'opened' },
      ], { channels: [] });
      const incident = (await s.incident(ids.get(-1)!))!;
      const resolveTwice: Effect[] = [...decideManualResolve(incident, 'ana', clock.now()), ...decideManualResolve(incident, 'bo', clock.now())];
      await s.apply(resolveTwice, { channels });
      // A second open of the same check and condition while the first is open inserts nothing.
      const again = await s.apply([
        { type: 'open', ref: -1, check: 'api.events', condition: 'down', severity: 'crit', since: clock.now(), at: clock.now(), title: 't', detail: 'd', details: {} },
      ], { channels: [] });
      assert.ok(again.get(-1), 'the first was resolved, so a new one opens');
      const dup = await s.apply([
        { type: 'open', ref: -1, check: 'api.events', condition: 'down', severity: 'crit', since: clock.now(), at: clock.now(), title: 't', detail: 'd', details: {} },
        { type: 'event', incident: -1, at: clock.now(), kind: 'opened', message: 'never recorded' },
      ], { channels: [] });
      assert.equal(dup.get(-1), null, 'at most one open incident per check and condition');
    }
    const pgEvents = (await db.pool.query(`SELECT e.kind, e.actor FROM monitor_incident_events e JOIN monitor_incidents i ON i.id = e.incident_id
      WHERE i.check_name = 'api.events' ORDER BY e.id`)).rows.map((r) => `${r.kind}:${r.actor}`);
    assert.deepEqual(pgEvents, ['opened:agent', 'resolved:ana']);
    assert.deepEqual(memory.events.map((e) => `${e.kind}:${e.actor}`), ['opened:agent', 'resolved:ana']);
  });

  test('within a caller\'s transaction, a rollback takes every effect back', async () => {
    const clock = fakeClock();
    const store = createPgIncidentStore(db.pool, { clock, links });
    await assert.rejects(inTransaction(db.pool, async (tx) => {
      await store.within(tx).apply([
        { type: 'open', ref: -1, check: 'api.rollback', condition: 'down', severity: 'crit', since: clock.now(), at: clock.now(), title: 't', detail: 'd', details: {} },
        { type: 'notify', incident: -1, kind: 'opened', seq: 0 },
      ], { channels });
      throw new Error('the intent failed later');
    }), /the intent failed later/);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM monitor_incidents WHERE check_name = 'api.rollback'`);
    assert.equal(rows[0].n, 0);
  });
});

describe('the engine over the Postgres store', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('engine_store');
  });
  after(async () => db.drop());

  test('a healthy check rewrites no streak row; a restart resumes the counts exactly', async () => {
    const clock = fakeClock();
    const checks = Array.from({ length: 50 }, (_, i) => spec(`api.c${i}`));
    const build = () => createIncidentEngine({
      store: createPgIncidentStore(db.pool, { clock, links }), clock, log: capturingLogger(), channels: directory,
      configured: () => checks, config: { repeatIntervalMs: 3600_000, burnRate: false },
    });
    let engine = build();
    const batch = (make: typeof pass, only?: string) =>
      checks.filter((s) => !only || s.name === only).map((s) => make(s.name, clock.now()));
    for (let i = 0; i < 3; i++) {
      await engine.onResults(batch(pass), checks);
      clock.advance(60_000);
    }
    const versions = async () => (await db.pool.query(`SELECT check_name, condition, xmin::text AS v FROM monitor_check_streaks ORDER BY 1, 2`)).rows;
    const settled = await versions();
    assert.equal(settled.length, 100, 'down and slow for each check');
    for (let i = 0; i < 20; i++) {
      await engine.onResults(batch(pass), checks);
      clock.advance(60_000);
    }
    assert.deepEqual(await versions(), settled, 'twenty healthy batches wrote nothing');

    await engine.onResults(batch(fail, 'api.c7'), checks);
    clock.advance(60_000);
    engine = build();
    await engine.onResults(batch(fail, 'api.c7'), checks);
    const open = (await db.pool.query(`SELECT check_name FROM monitor_incidents WHERE resolved_at IS NULL`)).rows;
    assert.deepEqual(open.map((r) => r.check_name), ['api.c7'], 'the second failure after a restart reaches the threshold of 2');
    assert.equal(engine.backlog(), 0);
    assert.equal(engine.evaluated(), 1);
  });
});
