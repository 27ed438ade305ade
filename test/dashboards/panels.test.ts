import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { maintain } from '../../agent/src/core/rollups.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { applyFill, expandGrafanaSql, type MacroContext } from '../helpers/grafana-macros.ts';
import { collectQueries, DATASOURCE_UID, loadDashboards, type PanelQuery } from './dashboard-walk.ts';
import { seedKnownDataset } from './seed.ts';

const HOUR = 3_600_000;
const near = (actual: unknown, expected: number, tolerance = 1e-9, what = '') =>
  assert.ok(Math.abs(Number(actual) - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance}, got ${actual}`);

/** percentile_cont as Postgres defines it: linear interpolation between the two closest ranks. */
function percentileCont(values: number[], q: number): number {
  const v = [...values].sort((a, b) => a - b);
  const rank = q * (v.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

let db: TestDatabase;
let t0: Date;
let ctx: MacroContext;
let raw: { ts: Date; check_name: string; ok: boolean; latency_ms: number }[];

const dashboards = loadDashboards();
const queries = dashboards.flatMap((d) => collectQueries(d.json));

before(async () => {
  db = await migratedDatabase('panels');
  ({ t0 } = await seedKnownDataset(db.pool));
  const to = new Date(t0.getTime() + 1000);
  ctx = { from: new Date(to.getTime() - 6 * HOUR), to, intervalMs: 5 * 60_000, variables: { check: { value: 'api.health' } } };
  raw = (await db.pool.query('SELECT ts, check_name, ok, latency_ms FROM monitor_metrics ORDER BY ts')).rows;
});
after(async () => db.drop());

async function run(q: PanelQuery, c: MacroContext = ctx) {
  const { sql } = expandGrafanaSql(q.rawSql, c);
  assert.doesNotMatch(sql, /\$__|\$check|macro_error/, `${q.key}: unexpanded macro in ${sql}`);
  const res = await db.pool.query(sql);
  if (q.format === 'time_series') {
    const names = res.fields.map((f) => f.name);
    assert.ok(names.includes('time'), `${q.key}: a time series needs a "time" column, got ${names.join(', ')}`);
    const times = res.rows.map((r) => Number(r.time instanceof Date ? r.time.getTime() / 1000 : r.time));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), `${q.key}: rows must be in time order`);
  }
  return res.rows;
}

const byName = <T extends { check_name: string }>(rows: T[]) => Object.fromEntries(rows.map((r) => [r.check_name, r]));
const fiveMinuteBuckets = (ts: Date) => Math.floor(ts.getTime() / 1000 / 300) * 300;
const inRange = (ts: Date) => ts >= ctx.from && ts <= ctx.to;

/** What each query of each shipped dashboard must return on the seeded dataset. */
const expectations: Record<string, (rows: any[]) => void | Promise<void>> = {
  'bt-overview/Current status per check/A': (rows) => {
    assert.deepEqual(rows.map((r) => [r.check_name, r.status]), [
      ['api.stats', 'down'], ['api.events', 'up'], ['api.health', 'up'], ['chain.head', 'up'],
    ]);
    const s = byName(rows);
    assert.equal(s['api.stats'].since.getTime(), t0.getTime() - 3 * 60_000);
    assert.equal(s['api.stats'].incident_severity, 'crit');
    assert.equal(s['api.stats'].incident_title, 'api.stats down');
    assert.equal(s['api.stats'].error_class, 'http_status');
    assert.equal(s['api.health'].since.getTime(), t0.getTime() - 49 * 60_000, 'up since the run after the failure');
    assert.equal(s['api.health'].incident_id, null);
  },
  'bt-overview/Listener lag/A': (rows) => {
    assert.equal(rows.length, 1);
    assert.ok(rows[0]['listener lag'] >= 42 && rows[0]['listener lag'] < 60, `lag ${rows[0]['listener lag']}`);
  },
  'bt-overview/Listener lag/B': (rows) => assert.deepEqual(rows, [{ max_lag_sec: 120 }]),
  'bt-overview/Block lag behind chain head/A': (rows) =>
    assert.deepEqual(rows.map((r) => [Number(r['blocks behind']), Number(r.listener_block), Number(r.head_block)]), [[10, 1000, 1010]]),
  'bt-overview/Agent heartbeat age/A': (rows) => {
    assert.equal(rows.length, 1);
    assert.ok(rows[0]['agent heartbeat age'] >= 30 && rows[0]['agent heartbeat age'] < 50);
  },
  'bt-overview/Error rate/A': (rows) => near(rows[0]['error rate'], (100 * 7) / 204, 1e-9, 'error rate'),
  'bt-overview/Open incidents/A': (rows) => assert.deepEqual(rows.map((r) => [+r.crit, +r.warn, +r.info]), [[1, 0, 0]]),
  'bt-overview/SLO compliance (24 h)/A': (rows) => {
    const s = byName(rows);
    assert.deepEqual(Object.keys(s), ['api.events', 'api.health', 'api.stats', 'chain.head']);
    near(s['api.health'].uptime_pct, 99.0, 0, 'api.health uptime');
    near(s['api.health'].uptime_target, 99.5, 0, 'api.health target (its own row)');
    assert.equal(s['api.health'].uptime_met, false);
    near(s['api.health'].p99_ms, 980.2, 1e-9, 'api.health p99');
    assert.equal(s['api.health'].latency_target_ms, 500);
    assert.equal(s['api.health'].latency_met, false);
    near(s['api.events'].uptime_pct, 100, 0, 'api.events uptime, maintenance excluded');
    near(s['api.events'].uptime_target, 99.0, 0, 'api.events target (global row)');
    assert.equal(s['api.events'].latency_target_ms, 1000);
    assert.equal(s['api.events'].uptime_met, true);
    assert.equal(s['api.events'].latency_met, true);
    assert.equal(Number(s['api.events'].total), 90);
    near(s['api.stats'].uptime_pct, 33.3333, 0, 'api.stats uptime');
  },
  'bt-overview/Error budget and burn rate/A': (rows) => {
    assert.deepEqual(rows.map((r) => r.check_name), ['api.stats', 'api.health', 'api.events', 'chain.head']);
    const s = byName(rows);
    near(s['api.health'].burn_rate, 2, 0, 'burn = (100 - 99) / (100 - 99.5)');
    near(s['api.health'].error_budget_remaining_pct, -100, 0, 'budget overspent twice');
    near(s['api.events'].burn_rate, 0, 0, 'api.events burn');
    near(s['api.events'].error_budget_remaining_pct, 100, 0, 'api.events budget');
    near(s['api.events'].excluded_sec, 600, 1e-6, 'maintenance excluded');
    near(s['api.stats'].burn_rate, 66.6667, 0, 'api.stats burn');
  },
  'bt-overview/Uptime per check/A': (rows) => {
    const expected = new Map<string, { n: number; ok: number }>();
    for (const r of raw) {
      if (r.check_name.endsWith('.tick') || !inRange(r.ts)) continue;
      const k = `${fiveMinuteBuckets(r.ts)}|${r.check_name}`;
      const e = expected.get(k) ?? { n: 0, ok: 0 };
      e.n += 1;
      e.ok += r.ok ? 1 : 0;
      expected.set(k, e);
    }
    assert.equal(rows.length, expected.size);
    for (const r of rows) {
      const e = expected.get(`${Number(r.time)}|${r.metric}`);
      assert.ok(e, `unexpected bucket ${r.time} ${r.metric}`);
      near(r.uptime, (100 * e.ok) / e.n, 1e-9, `${r.metric} at ${r.time}`);
    }
    assert.ok(rows.some((r) => r.metric === 'api.health' && Number(r.uptime) < 100));
  },
  'bt-overview/Latency P50 / P95 / P99/A': (rows) => {
    const buckets = new Map<number, number[]>();
    for (const r of raw) {
      if (r.check_name.endsWith('.tick') || !r.ok || !inRange(r.ts)) continue;
      const k = fiveMinuteBuckets(r.ts);
      buckets.set(k, [...(buckets.get(k) ?? []), r.latency_ms]);
    }
    assert.equal(rows.length, buckets.size);
    for (const r of rows) {
      const values = buckets.get(Number(r.time))!;
      near(r.p50, percentileCont(values, 0.5), 1e-9, 'p50');
      near(r.p95, percentileCont(values, 0.95), 1e-9, 'p95');
      near(r.p99, percentileCont(values, 0.99), 1e-9, 'p99');
    }
  },
  'bt-overview/Recent alerts/A': (rows) => {
    assert.deepEqual(rows.map((r) => [r.check_name, r.severity, r.state]), [
      ['api.stats', 'crit', 'open'], ['api.health', 'warn', 'resolved'],
    ]);
    assert.ok(rows.every((r) => r.incident_id != null));
  },
  'bt-overview/Incidents/Anno': (rows) => {
    assert.deepEqual(rows.map((r) => [r.text, r.tags]), [
      ['[warn] api.health failing', 'api.health,warn'], ['[crit] api.stats down', 'api.stats,crit'],
    ]);
    assert.equal(rows[1].timeend, null, 'an open incident is a point annotation');
  },
  'bt-check-detail/check/query': (rows) =>
    assert.deepEqual(rows.map((r) => r.check_name), ['api.events', 'api.health', 'api.stats', 'chain.head']),
  'bt-check-detail/Now/A': (rows) => {
    assert.deepEqual(rows.map((r) => [r.status, r['open incident']]), [['up', null]]);
    assert.equal(rows[0].since.getTime(), t0.getTime() - 49 * 60_000);
  },
  'bt-check-detail/Uptime and p99 vs targets/A': (rows) => {
    assert.equal(rows.length, 1);
    near(rows[0].uptime, 99.0, 0, 'uptime');
    near(rows[0]['uptime target'], 99.5, 0, 'target');
    near(rows[0].p99, 980.2, 1e-9, 'p99');
    assert.equal(rows[0]['latency target'], 500);
    near(rows[0]['burn rate'], 2, 0, 'burn rate');
    near(rows[0]['error budget remaining'], -100, 0, 'budget');
    near(rows[0]['maintenance excluded'], 0, 0, 'excluded');
  },
  'bt-check-detail/Results/A': (rows) => {
    assert.equal(rows.length, 100);
    assert.equal(rows.filter((r) => r.ok != null).length, 99);
    assert.deepEqual(rows.filter((r) => r.failed != null).map((r) => r.failed), [5000]);
  },
  'bt-check-detail/Error classes/A': (rows) =>
    assert.deepEqual(rows.map((r) => [r.error_class, Number(r.failures)]), [['http_status', 1]]),
  'bt-check-detail/Latency distribution/A': (rows) =>
    assert.deepEqual(rows.map((r) => [r.latency, Number(r.runs)]), [
      ['< 100 ms', 9], ['100–200 ms', 10], ['200–400 ms', 20], ['400–800 ms', 40], ['800–1600 ms', 20], ['1.6–5 s', 0], ['≥ 5 s', 0],
    ]),
  'bt-check-detail/Latency percentiles/A': (rows) => {
    near(rows[0].p50, 500, 1e-9, 'p50');
    near(rows[0].p95, 941, 1e-9, 'p95');
    near(rows[0].p99, 980.2, 1e-9, 'p99');
    assert.equal(rows[0].max, 990);
  },
  'bt-check-detail/Recent runs/A': (rows) => {
    assert.equal(rows.length, 100);
    assert.equal(rows[0].ts.getTime(), t0.getTime() - 60_000, 'newest first');
    const failed = rows.filter((r) => !r.ok);
    assert.deepEqual(failed.map((r) => [r.error_class, r.http_status]), [['http_status', '503']]);
  },
  // One location or none (the seeded rows have none): the per-location panels stay empty (test/dashboards/locations.test.ts).
  'bt-check-detail/By location/A': (rows) => assert.deepEqual(rows, []),
  'bt-check-detail/Latency by location/A': (rows) => assert.deepEqual(rows, []),
  'bt-check-detail/Incidents/Anno': (rows) => assert.deepEqual(rows.map((r) => [r.text, r.tags]), [['[warn] api.health failing', 'warn,down']]),
};

describe('shipped dashboards', () => {
  test('are Grafana 11/12 dashboards on the blocktrust-pg data source with the contract uids', () => {
    assert.deepEqual(dashboards.map((d) => d.json.uid), ['bt-overview', 'bt-check-detail']);
    for (const { json } of dashboards) {
      assert.ok(json.schemaVersion >= 39 && json.schemaVersion <= 41, `schemaVersion ${json.schemaVersion}`);
      assert.ok(json.title);
    }
    for (const q of queries) {
      assert.equal(q.datasourceUid, DATASOURCE_UID, `${q.key} uses the provisioned data source`);
      assert.ok(q.rawSql?.trim(), `${q.key} has SQL`);
    }
    const check = dashboards[1].json.templating.list.find((v: any) => v.name === 'check');
    assert.equal(check?.type, 'query');
    const ids = dashboards.flatMap((d) => (d.json.panels as any[]).map((p) => `${d.json.uid}/${p.id}`));
    assert.ok(dashboards.every((d) => d.json.panels.every((p: any) => Number.isInteger(p.id))), 'every panel and row has an id');
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique per dashboard');
  });

  test('panels are laid out on the 24-column grid without overlapping, each with what its type needs', () => {
    for (const { json } of dashboards) {
      const cells = new Set<string>();
      for (const p of json.panels as any[]) {
        const { h, w, x, y } = p.gridPos ?? {};
        assert.ok([h, w, x, y].every(Number.isInteger) && x >= 0 && w > 0 && x + w <= 24, `${json.uid}/${p.title}: gridPos`);
        for (let row = y; row < y + h; row++) {
          for (let col = x; col < x + w; col++) {
            const cell = `${row},${col}`;
            assert.ok(!cells.has(cell), `${json.uid}/${p.title} overlaps another panel at ${cell}`);
            cells.add(cell);
          }
        }
        if (p.type === 'row') continue;
        assert.ok(p.title && p.description, `${json.uid}/${p.title}: title and description`);
        const refIds = (p.targets as any[]).map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `${json.uid}/${p.title}: unique refIds`);
        for (const t of p.targets) {
          assert.equal(t.rawQuery, true);
          assert.equal(t.editorMode, 'code');
          assert.equal(t.format, p.type === 'timeseries' ? 'time_series' : 'table', `${json.uid}/${p.title}: format`);
        }
      }
    }
  });

  test('every query has an expectation, and every expectation a query', () => {
    assert.deepEqual(queries.map((q) => q.key).sort(), Object.keys(expectations).sort());
  });

  for (const q of queries) {
    test(`${q.key} returns what the panel claims`, async () => {
      await expectations[q.key](await run(q));
    });
  }

  test('the overview has the guide\'s five panels and the extra ones', () => {
    const panels = (dashboards[0].json.panels as any[]).filter((p) => p.type !== 'row');
    const kinds = Object.fromEntries(panels.map((p) => [p.title, p.type]));
    assert.deepEqual(
      {
        uptime: kinds['Uptime per check'], latency: kinds['Latency P50 / P95 / P99'], errors: kinds['Error rate'],
        lag: kinds['Listener lag'], alerts: kinds['Recent alerts'],
      },
      { uptime: 'timeseries', latency: 'timeseries', errors: 'stat', lag: 'gauge', alerts: 'table' },
    );
    const uptime = queries.find((q) => q.key === 'bt-overview/Uptime per check/A')!;
    assert.match(uptime.rawSql, /\$__timeGroupAlias\(ts, \$__interval, NULL\)/);
    assert.match(uptime.rawSql, /\$__timeFilter\(ts\)/);
    const gauge = panels.find((p) => p.title === 'Listener lag');
    assert.equal(gauge.transformations[0].id, 'configFromData', 'gauge threshold comes from the configured target');
  });

  test('a dead agent shows no data, never 100 %', async () => {
    const later = { ...ctx, from: new Date(ctx.to.getTime() + HOUR), to: new Date(ctx.to.getTime() + 2 * HOUR) };
    for (const key of ['bt-overview/Uptime per check/A', 'bt-overview/Error rate/A', 'bt-overview/Latency P50 / P95 / P99/A']) {
      const q = queries.find((x) => x.key === key)!;
      assert.deepEqual(await run(q, later), [], `${key} over a range with no runs`);
    }
    // Within a range, intervals without runs are filled with nulls (gaps), never with the last value.
    for (const key of ['bt-overview/Uptime per check/A', 'bt-overview/Latency P50 / P95 / P99/A']) {
      const q = queries.find((x) => x.key === key)!;
      const expanded = expandGrafanaSql(q.rawSql, ctx);
      assert.deepEqual(expanded.fill, { kind: 'null' }, `${key} asks Grafana for null fill`);
      const series = applyFill(await run(q), expanded, ctx);
      const firstRun = Math.min(...raw.filter((r) => !r.check_name.endsWith('.tick') && inRange(r.ts)).map((r) => r.ts.getTime() / 1000));
      for (const s of series) {
        assert.equal(s.points.length, Math.floor((ctx.to.getTime() / 1000 - s.points[0].time) / 300) + 1);
        const before = s.points.filter((p) => p.time + 300 <= firstRun);
        assert.ok(before.length > 50, `${key}/${s.metric}: hours before the first run`);
        assert.ok(before.every((p) => Object.values(p.values).every((v) => v === null)), `${key}/${s.metric}: gaps are null`);
      }
    }
  });

  test('a check name with a quote cannot break out of the check variable', async () => {
    const q = queries.find((x) => x.key === 'bt-check-detail/Results/A')!;
    const rows = await run(q, { ...ctx, variables: { check: { value: "x'; DROP TABLE monitor_metrics; --" } } });
    assert.deepEqual(rows, []);
    assert.ok((await db.pool.query('SELECT count(*) FROM monitor_metrics')).rows[0].count > 0);
  });

  test('long ranges read rollups: same uptime as raw rows, percentiles within 1 %', async () => {
    const long: MacroContext = { ...ctx, from: new Date(ctx.to.getTime() - 30 * 24 * HOUR), intervalMs: HOUR };
    const daily: MacroContext = { ...long, intervalMs: 24 * HOUR };
    const uptimeQ = queries.find((q) => q.key === 'bt-overview/Uptime per check/A')!;
    const latencyQ = queries.find((q) => q.key === 'bt-overview/Latency P50 / P95 / P99/A')!;
    const errorQ = queries.find((q) => q.key === 'bt-overview/Error rate/A')!;
    const before = { uptime: await run(uptimeQ, long), daily: await run(uptimeQ, daily), latency: await run(latencyQ, long), errors: await run(errorQ, long) };
    const report = await maintain(db.pool, { log: memoryLogger(), retentionDays: 3650, rollupRetentionDays: 3650 });
    assert.ok(report.hoursRolled > 0, 'rollups exist');
    const after = { uptime: await run(uptimeQ, long), daily: await run(uptimeQ, daily), latency: await run(latencyQ, long), errors: await run(errorQ, long) };
    const key = (r: any) => `${r.time}|${r.metric}`;
    for (const k of ['uptime', 'daily'] as const) {
      assert.deepEqual(
        after[k].map((r) => [key(r), Number(r.uptime).toFixed(9)]),
        before[k].map((r) => [key(r), Number(r.uptime).toFixed(9)]),
        `${k}: rollups count exactly what raw rows count`,
      );
    }
    assert.deepEqual(after.errors, before.errors);
    assert.deepEqual(after.latency, before.latency, 'rolled-up hours give the same histogram as raw rows');
    const exact = new Map<number, number[]>();
    for (const r of raw) {
      if (r.check_name.endsWith('.tick') || !r.ok || r.ts < long.from || r.ts > long.to) continue;
      const k = Math.floor(r.ts.getTime() / HOUR) * 3600;
      exact.set(k, [...(exact.get(k) ?? []), r.latency_ms]);
    }
    assert.equal(after.latency.length, exact.size);
    for (const r of after.latency) {
      const values = exact.get(Number(r.time))!;
      for (const [p, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
        const want = percentileCont(values, q);
        near(r[p], want, 0.01 * want, `${p} of hour ${r.time}`);
      }
    }
    // The check detail's percentiles past 24 hours: one row, from the check's rollups, within 1 %.
    const pctQ = queries.find((q) => q.key === 'bt-check-detail/Latency percentiles/A')!;
    const pct = await run(pctQ, long);
    assert.equal(pct.length, 1);
    const health = raw.filter((r) => r.check_name === 'api.health' && r.ok && r.ts >= long.from && r.ts <= long.to).map((r) => r.latency_ms);
    for (const [p, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
      near(pct[0][p], percentileCont(health, q), 0.01 * percentileCont(health, q), `check detail ${p}`);
    }
    const rolled = await db.pool.query(`SELECT count(*)::int AS n FROM monitor_series($1, $2, $3) WHERE total > 1`, [long.from, long.to, HOUR]);
    assert.ok(rolled.rows[0].n > 0, 'the series really read rolled-up hours');
    await db.pool.query('TRUNCATE monitor_metrics_hourly, monitor_metrics_daily, monitor_metrics_weekly, monitor_metrics_span, monitor_spans_written');
    await db.pool.query('UPDATE monitor_rollup_state SET rolled_until = NULL, weeks_until = NULL');
  });
});
