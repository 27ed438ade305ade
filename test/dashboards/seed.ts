import type pg from 'pg';

/** The instant the seed is anchored to (the database's now() when seeding); rows are placed relative to it. */
export interface Seeded {
  t0: Date;
}

const MIN = 60_000;

/**
 * A dataset with known answers:
 * - api.health: 100 runs one minute apart, the 50th failing (http_status, 5000 ms), ok latencies 10..990 ms
 *   → uptime 99.0, p50 500, p95 941, p99 980.2; plus one failure two days ago (outside 24 h).
 * - api.events: 100 runs, all 200 ms, 4 of them timeouts inside a maintenance window on 'api.e*' covering
 *   10 runs → guide uptime 96.0, SLO uptime 100 with 600 s excluded.
 * - api.stats: ok, then two failures (HTTP 503): currently down since t0 - 3 min, an open crit incident.
 * - listener.tick 42 s old at block "1000"; chain.head says head 1010 → block lag 10.
 * - agent.tick 30 s old. Targets: '*' 99.0 % / 1000 ms / lag 120 s; api.health 99.5 % / 500 ms.
 */
export async function seedKnownDataset(db: pg.Pool): Promise<Seeded> {
  const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
  const t0 = rows[0].now;
  const at = (msBefore: number) => new Date(t0.getTime() - msBefore);
  const metrics: [Date, string, boolean, number, Record<string, unknown>][] = [];
  let latency = 10;
  for (let i = 1; i <= 100; i++) {
    if (i === 50) {
      metrics.push([at(i * MIN), 'api.health', false, 5000, { error_class: 'http_status', error: 'HTTP 503 from /api/health', status: 503, condition: 'down' }]);
    } else {
      metrics.push([at(i * MIN), 'api.health', true, latency, { status: 200 }]);
      latency += 10;
    }
  }
  metrics.push([at(2 * 24 * 60 * MIN), 'api.health', false, 100, { error_class: 'dns', error: 'old failure' }]);
  for (let i = 1; i <= 100; i++) {
    const failing = i >= 11 && i <= 14;
    metrics.push([
      at(i * MIN - 30_000), 'api.events', !failing, failing ? 10_000 : 200,
      failing ? { error_class: 'timeout', error: 'no answer within 10 s', condition: 'down' } : { status: 200 },
    ]);
  }
  metrics.push([at(5 * MIN), 'api.stats', true, 150, { status: 200 }]);
  metrics.push([at(3 * MIN), 'api.stats', false, 120, { error_class: 'http_status', error: 'HTTP 503', status: 503, condition: 'down' }]);
  metrics.push([at(1 * MIN), 'api.stats', false, 130, { error_class: 'http_status', error: 'HTTP 503', status: 503, condition: 'down' }]);
  metrics.push([at(10 * MIN), 'listener.tick', true, 0, { note: 'heartbeat', block_number: '990' }]);
  metrics.push([at(42_000), 'listener.tick', true, 0, { note: 'heartbeat', block_number: '1000' }]);
  metrics.push([at(20_000), 'chain.head', true, 40, { head_block: '1010', block_number: '1000', lag_blocks: 10 }]);
  metrics.push([at(30_000), 'agent.tick', true, 0, { agent_id: 'a1', version: '0.1.0', runtime: 'node' }]);
  for (const [ts, check, ok, ms, details] of metrics) {
    await db.query('INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES ($1, $2, $3, $4, $5)', [ts, check, ok, ms, details]);
  }
  await db.query(
    `INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, reason, author) VALUES ('api.e*', $1, $2, 'deploy', 'ops')`,
    [at(20 * MIN), at(10 * MIN)],
  );
  await db.query(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_by)
    VALUES ('*', 99.0, 1000, 120, 'env'), ('api.health', 99.5, 500, NULL, 'ops')`);
  await db.query(
    `INSERT INTO monitor_incidents (opened_at, resolved_at, severity, title, detail, check_name, condition) VALUES
      ($1, NULL, 'crit', 'api.stats down', 'HTTP 503', 'api.stats', 'down'),
      ($2, $3, 'warn', 'api.health failing', 'HTTP 503', 'api.health', 'down'),
      ($4, $5, 'crit', 'api.health old outage', 'dns', 'api.health', 'down')`,
    [at(3 * MIN), at(50 * MIN), at(48 * MIN), at(3 * 24 * 60 * MIN), at(3 * 24 * 60 * MIN - 5 * MIN)],
  );
  return { t0 };
}
