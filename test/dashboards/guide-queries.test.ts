import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedKnownDataset } from './seed.ts';

// The v1.2 guide's four queries, character for character.
const UPTIME_24H = `SELECT check_name, COUNT(*) FILTER (WHERE ok = TRUE) * 100.0 / COUNT(*) as uptime_percent
FROM monitor_metrics WHERE ts > NOW() - INTERVAL '24 hours'
GROUP BY check_name ORDER BY uptime_percent DESC;`;
const P99_24H = `SELECT check_name, PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY latency_ms) as p99_ms
FROM monitor_metrics WHERE ts > NOW() - INTERVAL '24 hours' AND ok = TRUE
GROUP BY check_name ORDER BY p99_ms DESC;`;
const FAILURES_24H = `SELECT check_name, COUNT(*) as failure_count, MAX(ts) as last_failure
FROM monitor_metrics WHERE ts > NOW() - INTERVAL '24 hours' AND ok = FALSE
GROUP BY check_name ORDER BY failure_count DESC;`;
const LAST_TICKS = `SELECT * FROM monitor_metrics WHERE check_name = 'listener.tick' ORDER BY ts DESC LIMIT 10;`;

let db: TestDatabase;
let t0: Date;
before(async () => {
  db = await migratedDatabase('guide');
  ({ t0 } = await seedKnownDataset(db.pool));
});
after(async () => db.drop());

test('uptime 24 h: 1 failure in 100 reads 99.0, older rows left out, highest first', async () => {
  const { rows } = await db.pool.query(UPTIME_24H);
  const got = Object.fromEntries(rows.map((r) => [r.check_name, Number(r.uptime_percent)]));
  assert.equal(got['api.health'], 99);
  assert.equal(got['api.events'], 96);
  assert.equal(got['api.stats'], 100 / 3);
  assert.equal(got['chain.head'], 100);
  assert.equal(got['listener.tick'], 100);
  assert.equal(got['agent.tick'], 100);
  const values = rows.map((r) => Number(r.uptime_percent));
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
});

test('p99 24 h over successful runs: the listener lag no longer inflates it', async () => {
  const { rows } = await db.pool.query(P99_24H);
  const got = Object.fromEntries(rows.map((r) => [r.check_name, Number(r.p99_ms)]));
  assert.ok(Math.abs(got['api.health'] - 980.2) < 1e-9);
  assert.equal(got['api.events'], 200);
  assert.equal(got['api.stats'], 150);
  assert.equal(got['listener.tick'], 0);
  assert.equal(rows[0].check_name, 'api.health');
});

test('failures 24 h with the last failure time', async () => {
  const { rows } = await db.pool.query(FAILURES_24H);
  assert.deepEqual(
    rows.map((r) => [r.check_name, Number(r.failure_count), r.last_failure.getTime()]),
    [
      ['api.events', 4, t0.getTime() - (11 * 60 - 30) * 1000],
      ['api.stats', 2, t0.getTime() - 60_000],
      ['api.health', 1, t0.getTime() - 50 * 60_000],
    ],
  );
});

test('the last listener heartbeats, newest first, block number as the listener wrote it', async () => {
  const { rows } = await db.pool.query(LAST_TICKS);
  assert.deepEqual(rows.map((r) => r.details.block_number), ['1000', '990']);
  // v1.2's columns, plus the agent that wrote the row and its location (null for the listener's own insert).
  assert.deepEqual(Object.keys(rows[0]).sort(), ['agent_id', 'check_name', 'details', 'id', 'latency_ms', 'location', 'ok', 'ts']);
  assert.equal(rows[0].agent_id, null);
  assert.equal(rows[0].location, null);
});
