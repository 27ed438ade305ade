// The check detail dashboard's per-location panels, on rows the agent's writer stored from agents in two
// locations: each location's uptime, p99 and latency series; empty while a check runs from one location.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { systemClock, type CheckResult } from '../../agent/src/core/types.ts';
import { createResultWriter } from '../../agent/src/core/writer.ts';
import { expandGrafanaSql, type MacroContext } from '../helpers/grafana-macros.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { collectQueries, loadDashboards } from './dashboard-walk.ts';

const MIN = 60_000;
const queries = loadDashboards().flatMap((d) => collectQueries(d.json));
const sql = (key: string) => queries.find((q) => q.key === key)!.rawSql;
let db: TestDatabase;
let t0: Date;

/** What agent `agentId` in `location` stores for `runs` (latency, or null for a failed run), one a minute before t0. */
async function write(agentId: string, location: string, check: string, runs: Array<number | null>) {
  const writer = createResultWriter({
    db: db.pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 1000, maxHeld: 1000, describeError: String,
    agentId: () => agentId, location,
  });
  runs.forEach((latency, i) => {
    const r: CheckResult = latency === null
      ? { check, ts: new Date(t0.getTime() - (i + 1) * MIN), ok: false, latencyMs: 5000, details: { error_class: 'http_status', error: 'HTTP 503' } }
      : { check, ts: new Date(t0.getTime() - (i + 1) * MIN), ok: true, latencyMs: latency, details: { status: 200 } };
    writer.add(r);
  });
  assert.equal(await writer.flush(), true);
}

before(async () => {
  db = await migratedDatabase('locpanels');
  t0 = (await db.pool.query<{ now: Date }>('SELECT now() AS now')).rows[0].now;
  // geo.api from two locations: sao-paulo 10 runs, 2 failed, latencies 100..800; frankfurt 10 passing runs of 50 ms.
  await write('sp-1', 'sao-paulo', 'geo.api', [100, null, 200, 300, 400, null, 500, 600, 700, 800]);
  await write('fra-1', 'frankfurt', 'geo.api', Array(10).fill(50));
  // geo.alone from one location only.
  await write('sp-1', 'sao-paulo', 'geo.alone', [100, 200, null]);
});
after(async () => db.drop());

const context = (check: string): MacroContext => ({
  from: new Date(t0.getTime() - 60 * MIN), to: t0, intervalMs: 5 * MIN, variables: { check: { value: check } },
});
const run = async (key: string, check: string) => (await db.pool.query(expandGrafanaSql(sql(key), context(check)).sql)).rows;

test('By location: each location\'s uptime, p99 of successful runs, runs, failures and last failure', async () => {
  const rows = await run('bt-check-detail/By location/A', 'geo.api');
  assert.deepEqual(rows.map((r) => [r.location, Number(r.uptime), Number(r.runs), Number(r.failures)]), [
    ['frankfurt', 100, 10, 0], ['sao-paulo', 80, 10, 2],
  ]);
  assert.equal(rows[0].p99, 50);
  assert.ok(Math.abs(rows[1].p99 - 793) < 1e-9, `p99 of 100..800 is 793, got ${rows[1].p99}`);
  assert.equal(rows[0]['last failure'], null);
  assert.equal(rows[1]['last failure'].getTime(), t0.getTime() - 2 * MIN);
});

test('Latency by location: one series per location, in time order', async () => {
  const rows = await run('bt-check-detail/Latency by location/A', 'geo.api');
  assert.deepEqual([...new Set(rows.map((r) => r.metric))].sort(), ['frankfurt', 'sao-paulo']);
  const times = rows.map((r) => new Date(r.time).getTime());
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  const latencies = (location: string) => rows.filter((r) => r.metric === location && r.latency !== null).map((r) => Number(r.latency));
  assert.ok(latencies('frankfurt').length > 0 && latencies('frankfurt').every((v) => v === 50));
  assert.ok(latencies('sao-paulo').length > 0 && latencies('sao-paulo').every((v) => v >= 100 && v <= 800));
});

test('a check run from one location: both panels stay empty', async () => {
  assert.deepEqual(await run('bt-check-detail/By location/A', 'geo.alone'), []);
  assert.deepEqual(await run('bt-check-detail/Latency by location/A', 'geo.alone'), []);
});
