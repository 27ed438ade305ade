import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatSloReport, sloReport } from '../../agent/src/slo/report.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
const now = new Date('2026-03-02T12:00:00Z');

before(async () => {
  db = await migratedDatabase('slo_report');
  // 24 h of api.health once a minute: 10 failures outside maintenance, 30 failures inside a 1 h window.
  await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT $1::timestamptz - make_interval(mins => g), 'api.health',
           NOT (g BETWEEN 100 AND 109 OR g BETWEEN 600 AND 629), CASE WHEN g % 100 = 0 THEN 1500 ELSE 200 END, '{}'
    FROM generate_series(1, 1440) g`, [now]);
  await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT $1::timestamptz - make_interval(mins => g), 'listener.tick', true, 0, '{"note":"heartbeat","block_number":"1"}'
    FROM generate_series(1, 100) g`, [now]);
  await db.pool.query(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, reason, author)
    VALUES ('api.*', $1::timestamptz - interval '640 minutes', $1::timestamptz - interval '580 minutes', 'db upgrade', 'ops')`, [now]);
  await db.pool.query(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, updated_by) VALUES ('*', 99.5, 800, 'env')`);
});
after(async () => db.drop());

test('the SLO report excludes maintenance and heartbeats and compares with the objectives', async () => {
  const report = await sloReport(db.pool, '24h', now);
  assert.deepEqual(report.rows.map((r) => r.check), ['api.health'], 'heartbeats are not a check');
  const [r] = report.rows;
  assert.equal(r.excludedSec, 3600);
  assert.equal(r.total, 1440 - 60);
  assert.equal(r.failures, 10, 'the 30 failures inside maintenance do not count');
  assert.equal(r.uptimePct!.toFixed(4), ((1370 / 1380) * 100).toFixed(4));
  assert.equal(r.meetsUptime, false, '99.275 % misses 99.5 %');
  assert.equal(r.uptimeTarget, 99.5);
  assert.equal(r.latencyTargetMs, 800);
  assert.ok(r.errorBudgetRemainingPct! < 0, 'the budget is overspent');
  assert.equal(r.burnRate!.toFixed(2), ((100 - r.uptimePct!) / 0.5).toFixed(2));
  const text = formatSloReport(report);
  assert.match(text, /^SLO report, last 24 h \(maintenance and heartbeats excluded\)\n/);
  assert.match(text, /\napi\.health\s+99\.275 % ✗\s+99\.5 %/);
  assert.match(text, /1 h$/m);
});

test('an empty window says so', async () => {
  const report = await sloReport(db.pool, { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2020-01-02T00:00:00Z') });
  assert.equal(report.rows.length, 0);
  assert.match(formatSloReport(report), /\(no check results in this window\)$/);
});
