// One incident engine per location on one database, as agents in three places run them: each evaluates only its
// own location's results against the other locations' verdicts as stored. One incident opens at the quorum, even
// when two locations reach it at the same moment; it resolves when fewer fail; a hand resolution starts every
// location over; a dead location no longer counts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { CheckResult } from '../../agent/src/core/types.ts';
import { createIncidentEngine, type IncidentEngine } from '../../agent/src/incidents/engine.ts';
import { decideManualResolve } from '../../agent/src/incidents/policy.ts';
import { createPgIncidentStore } from '../../agent/src/incidents/store.ts';
import { createWorld, spec, type World } from './harness.ts';

const LOCATIONS = ['frankfurt', 'sao-paulo', 'virginia'];
let world: World;
let live: string[];
let engines: Record<string, IncidentEngine>;
let check: string;
let n = 0;

before(async () => {
  world = await createWorld({ prefix: 'locengine', specs: [] });
});
after(async () => world.close());

beforeEach(() => {
  // A fresh check (and fresh engines) per test: streaks, incidents and outbox rows of other tests do not interfere.
  check = `geo.c${++n}`;
  world.specs.splice(0, world.specs.length, spec(check, { locations: 'all' }));
  live = [...LOCATIONS];
  engines = Object.fromEntries(LOCATIONS.map((location) => [location, createIncidentEngine({
    store: createPgIncidentStore(world.db.pool, { clock: world.clock, links: {} }),
    clock: world.clock, log: world.log, channels: world.channels, configured: () => world.specs,
    config: { repeatIntervalMs: 4 * 3600_000, burnRate: false }, location, liveLocations: () => live,
  })]));
});

/** One run in each listed location ('fail' or 'ok'), evaluated by that location's engine; together when `together`. */
async function round(outcomes: Record<string, 'ok' | 'fail'>, together = false): Promise<void> {
  const evaluate = (location: string) => {
    const failed = outcomes[location] === 'fail';
    const r: CheckResult = failed
      ? { check, ts: world.clock.now(), ok: false, latencyMs: 120, condition: 'down', details: { error_class: 'http_status', error: 'HTTP 503', status: 503, condition: 'down' } }
      : { check, ts: world.clock.now(), ok: true, latencyMs: 120, details: {} };
    return engines[location].onResults([r], world.specs);
  };
  if (together) await Promise.all(Object.keys(outcomes).map(evaluate));
  else for (const location of Object.keys(outcomes)) await evaluate(location);
  world.clock.advance(60_000);
}

const incidents = async () => (await world.db.pool.query(
  `SELECT id, resolved_at, details FROM monitor_incidents WHERE check_name = $1 ORDER BY id`, [check])).rows;
const outbox = async () => (await world.db.pool.query(
  `SELECT n.kind, n.channel FROM monitor_notifications n JOIN monitor_incidents i ON i.id = n.incident_id WHERE i.check_name = $1 ORDER BY n.id`,
  [check])).rows.map((r) => `${r.kind} ${r.channel}`);
const flags = async () => (await world.db.pool.query(
  `SELECT location FROM monitor_check_streaks WHERE check_name = $1 AND condition = 'down' AND failing ORDER BY 1`, [check])).rows.map((r) => r.location);

describe('incidents of a check run from three locations, one engine per location', () => {
  test('1 of 3 failing: nothing; 2 of 3: one incident naming both; back to 1 of 3: resolved once', async () => {
    for (let i = 0; i < 3; i++) await round({ 'sao-paulo': 'fail', frankfurt: 'ok', virginia: 'ok' });
    assert.deepEqual(await flags(), ['sao-paulo']);
    assert.deepEqual(await incidents(), []);

    await round({ 'sao-paulo': 'fail', frankfurt: 'fail', virginia: 'ok' });
    assert.deepEqual(await incidents(), [], 'frankfurt below its threshold');
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail', virginia: 'ok' });
    const [opened] = await incidents();
    assert.deepEqual(opened.details.locations, { failing: ['frankfurt', 'sao-paulo'], live: LOCATIONS, quorum: 2 });
    for (let i = 0; i < 3; i++) await round({ 'sao-paulo': 'fail', frankfurt: 'fail', virginia: 'fail' });
    assert.equal((await incidents()).length, 1, 'more locations failing: still the one incident');
    assert.deepEqual(await outbox(), ['opened slack', 'opened telegram']);

    await round({ 'sao-paulo': 'fail', frankfurt: 'ok', virginia: 'ok' });
    assert.equal((await incidents())[0].resolved_at, null, 'one success is below the success threshold');
    await round({ 'sao-paulo': 'fail', frankfurt: 'ok', virginia: 'ok' });
    assert.notEqual((await incidents())[0].resolved_at, null, 'frankfurt and virginia recovered: 1 of 3 left');
    assert.deepEqual(await flags(), ['sao-paulo']);
    await round({ 'sao-paulo': 'fail', frankfurt: 'ok', virginia: 'ok' });
    assert.deepEqual(await outbox(), ['opened slack', 'opened telegram', 'resolved slack', 'resolved telegram']);
    assert.equal((await incidents()).length, 1);
    assert.deepEqual(await flags(), ['sao-paulo'], 'a resolution at the quorum does not restart the location still failing');
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail', virginia: 'ok' });
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail', virginia: 'ok' });
    assert.equal((await incidents()).filter((i) => i.resolved_at === null).length, 1, 'frankfurt at its threshold again: reopened');
  });

  test('two locations reaching the quorum at the same moment open one incident, at the latest one run later', async () => {
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' }, true);
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' }, true);
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' }, true);
    assert.equal((await incidents()).length, 1);
    assert.deepEqual(await outbox(), ['opened slack', 'opened telegram']);
  });

  test('resolved by hand while still failing: every location starts over, and it reopens at the threshold', async () => {
    for (let i = 0; i < 2; i++) await round({ 'sao-paulo': 'fail', frankfurt: 'fail' });
    const [open] = await incidents();
    const store = createPgIncidentStore(world.db.pool, { clock: world.clock, links: {} });
    await store.apply(decideManualResolve((await store.incident(open.id))!, 'ana', world.clock.now()), { channels: await world.channels.list() });
    assert.deepEqual(await flags(), []);
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' });
    assert.equal((await incidents()).length, 1, 'one failure after the resolution is below the threshold');
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' });
    assert.equal((await incidents()).filter((i) => i.resolved_at === null).length, 1, 'reopened');
  });

  test('a location whose agents are gone stops counting: 2 of the 2 live locations is the quorum', async () => {
    for (let i = 0; i < 3; i++) await round({ virginia: 'fail', 'sao-paulo': 'ok', frankfurt: 'ok' });
    live = ['frankfurt', 'sao-paulo'];
    await round({ 'sao-paulo': 'fail', frankfurt: 'ok' });
    await round({ 'sao-paulo': 'fail', frankfurt: 'ok' });
    assert.deepEqual(await incidents(), [], 'virginia still fails, but counts no more: 1 of 2');
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' });
    await round({ 'sao-paulo': 'fail', frankfurt: 'fail' });
    const [opened] = await incidents();
    assert.deepEqual(opened.details.locations, { failing: ['frankfurt', 'sao-paulo'], live: ['frankfurt', 'sao-paulo'], quorum: 2 });
    assert.ok(world.log.lines.some((l) => l.includes('locations with a live agent') && l.includes('frankfurt,sao-paulo')), 'the new base is logged');
  });
});
