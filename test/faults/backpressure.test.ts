// Overload without losing results: while the database takes results more slowly than the checks make them (here:
// the results table locked by another session), the agent sheds runs and counts them; it never fills its hold and
// drops what it already measured. Once writes flow again, every held result is stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { serveHttp, type LocalServer } from '../checks/helpers.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { checksFileWith, count, killLeftoverAgents, startAgentProcess, until } from './helpers.ts';
import { promMetric } from '../helpers/metrics.ts';

let db: TestDatabase;
let target: LocalServer;

before(async () => {
  db = await migratedDatabase('backpressure');
  target = await serveHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
});
after(async () => {
  await killLeftoverAgents();
  await target.close();
  await db.drop();
});

const metric = async (port: number, name: string): Promise<number> => (await promMetric(port, name)) ?? 0;

test('a results writer behind the checks sheds runs (counted), never drops held results, and stores them all after', async () => {
  const url = `${target.url}/health`;
  const metricsPort = 20_000 + Math.floor(Math.random() * 5000);
  const agent = startAgentProcess(['run'], {
    DATABASE_URL: db.url, MONITOR_METRICS_PORT: String(metricsPort), MONITOR_BUFFER_MAX: '200',
    MONITOR_CHECKS_FILE: await checksFileWith(Array.from({ length: 40 }, (_, i) => (
      { name: `bp.c${i}`, kind: 'http', url, interval_sec: 1, timeout_ms: 1000 }))),
  });
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  try {
    await until('results stored', async () =>
      (await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_metrics WHERE check_name LIKE 'bp.%'`)) >= 40, 120_000);
    // Writes now wait on the lock: the database is reachable, only slow, so nothing is held as "unreachable".
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE monitor_metrics IN ACCESS EXCLUSIVE MODE');
    await until('runs shed while the writer is behind', async () =>
      (await metric(metricsPort, 'blocktrust_runs_skipped_total\\{reason="overloaded"\\}')) > 0, 120_000);
    const heldWhileShedding = await metric(metricsPort, 'blocktrust_results_held');
    await locker.query('COMMIT');
    await until('the hold written out', async () => (await metric(metricsPort, 'blocktrust_results_held')) < 100, 120_000);
    assert.equal(await metric(metricsPort, 'blocktrust_results_dropped'), 0, 'no held result was dropped');
    assert.ok(heldWhileShedding <= 200, `held ${heldWhileShedding}, more than the hold of 200`);
  } finally {
    await locker.end().catch(() => {});
    assert.equal(await agent.stop(), 0, agent.logs());
  }
  const stored = await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_metrics WHERE check_name LIKE 'bp.%'`);
  assert.ok(stored > 100, `${stored} results stored`);
});
