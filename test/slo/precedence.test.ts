// One rule for SLO targets: a check's own Grafana row, then the checks file, then the '*' row (the environment
// unless set from Grafana), then the contract's defaults. The agent's runs (slow flag, listener lag limit) and
// the SQL every dashboard, the `slo` report and the burn rates read (monitor_effective_targets) must agree on
// every combination, and a target changed by an intent reaches the agent's cache without waiting for a poll.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULTS, loadAgentKey } from '@blocktrust-monitor/contract';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import type { CheckSpecBase } from '../../agent/src/checks/types.ts';
import { withTargets } from '../../agent/src/core/agent.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { createTargetsCache } from '../../agent/src/core/targets.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { createIntentProcessor } from '../../agent/src/intents/processor.ts';
import { syncCheckTargets, syncSloDefaults, type CheckTargets } from '../../agent/src/slo/targets.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';

const spec = (name: string, file: Omit<CheckTargets, 'check'> = {}): CheckSpecBase => ({
  name, kind: 'http', enabled: true, intervalSec: 60, timeoutMs: 1000, severity: 'crit', slowSeverity: 'warn',
  failureThreshold: 2, successThreshold: 2, latencySloMs: file.latencyMs, uptimeTarget: file.uptimeTarget,
  ...(file.maxLagSec !== undefined ? { maxLagSec: file.maxLagSec } : {}),
} as CheckSpecBase);
const ctx = {
  clock: systemClock, log: memoryLogger(), db: null as never, fetch, http: undiciTransport(), auth: null as never, memory: new Map(),
  settings: { apiBase: 'http://127.0.0.1:1', sloLatencyMs: DEFAULTS.latencyMs, maxListenerLagSec: DEFAULTS.maxLagSec },
};

describe('SLO target precedence', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('slo_precedence');
  });
  after(async () => db?.drop());

  async function sqlTargets(check: string) {
    const { rows } = await db.pool.query(
      `SELECT uptime_target::float8 AS uptime, latency_target_ms AS latency, max_lag_sec AS lag FROM monitor_effective_targets($1)`, [check]);
    return rows[0] as { uptime: number; latency: number; lag: number };
  }

  test('the agent and the SQL agree on every layer: Grafana check row, checks file, * row, defaults', async () => {
    const file: CheckTargets[] = [
      { check: 'docs-site', latencyMs: 1500, uptimeTarget: 99.9 },
      { check: 'listener.lag', maxLagSec: 90 },
      { check: 'api.events', latencyMs: 400 },
    ];
    const cache = createTargetsCache({ db: db.pool, clock: systemClock, log: memoryLogger() });
    const agentSees = (check: string) => {
      const fileEntry = file.find((f) => f.check === check) ?? {};
      const run = withTargets(spec(check, fileEntry), ctx, cache);
      return {
        latency: run.spec.latencySloMs ?? run.ctx.settings.sloLatencyMs,
        lag: (run.spec as { maxLagSec?: number }).maxLagSec ?? run.ctx.settings.maxListenerLagSec,
      };
    };
    const agree = async (check: string, expected: { uptime: number; latency: number; lag: number }, when: string) => {
      await cache.refresh();
      const sql = await sqlTargets(check);
      assert.deepEqual(sql, expected, `${when}: SQL for ${check}`);
      assert.deepEqual(agentSees(check), { latency: sql.latency, lag: sql.lag }, `${when}: the agent for ${check}`);
    };

    await agree('api.health', { uptime: DEFAULTS.uptimeTarget, latency: DEFAULTS.latencyMs, lag: DEFAULTS.maxLagSec }, 'nothing stored');
    await syncSloDefaults(db.pool, { uptimeTarget: 99, latencyMs: 700, maxLagSec: 240 });
    await syncCheckTargets(db.pool, file);
    await agree('api.health', { uptime: 99, latency: 700, lag: 240 }, 'environment in the * row');
    await agree('docs-site', { uptime: 99.9, latency: 1500, lag: 240 }, 'checks file');
    await agree('listener.lag', { uptime: 99, latency: 700, lag: 90 }, 'checks file lag');

    await db.pool.query(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_by)
      VALUES ('docs-site', NULL, 900, NULL, 'maria'), ('listener.lag', NULL, NULL, 30, 'maria')`);
    await agree('docs-site', { uptime: 99.9, latency: 900, lag: 240 }, 'a Grafana row beats the checks file, field by field');
    await agree('listener.lag', { uptime: 99, latency: 700, lag: 30 }, 'a Grafana lag beats the checks file');
    await agree('api.events', { uptime: 99, latency: 400, lag: 240 }, 'checks file over the * row');

    // A check taken out of the checks file loses its objectives there.
    await syncCheckTargets(db.pool, file.filter((f) => f.check !== 'api.events'));
    file.splice(file.findIndex((f) => f.check === 'api.events'), 1);
    await agree('api.events', { uptime: 99, latency: 700, lag: 240 }, 'removed from the checks file');

    // The SLO report (monitor_slo, which dashboards and burn rates read too) applies the same rule.
    await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
      SELECT now() - make_interval(mins => m), c, true, 100, '{}' FROM generate_series(1, 5) m, unnest(ARRAY['docs-site', 'api.health']) c`);
    const { rows } = await db.pool.query(`SELECT check_name, uptime_target::float8 AS uptime, latency_target_ms AS latency
      FROM monitor_slo(now() - interval '1 hour', now()) ORDER BY check_name`);
    assert.deepEqual(rows, [
      { check_name: 'api.health', uptime: 99, latency: 700 },
      { check_name: 'docs-site', uptime: 99.9, latency: 900 },
    ]);
  });

  test('an slo.set intent refreshes the agent\'s cache when it is applied', async () => {
    const cache = createTargetsCache({ db: db.pool, clock: systemClock, log: memoryLogger() });
    await cache.refresh();
    const env = { language: 'en' as const, minSeverity: 'warn' as const };
    const agentKey = await loadAgentKey('precedence test key, not a real MONITOR_SECRET_KEY');
    const intents = createIntentProcessor({
      db: db.pool, clock: systemClock, log: memoryLogger(), agentKey, alertEnv: env, links: { grafanaUrl: 'http://127.0.0.1' },
      channels: createChannelDirectory({ db: db.pool, env, agentKey, log: memoryLogger(), cacheMs: 0 }),
      onTargetsChanged: () => cache.refresh(),
    });
    await db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('maria', 'slo.set', '{"check_name":"api.stats","latency_ms":321}')`);
    assert.equal(await intents.processPending(), 1);
    assert.equal(cache.get('api.stats').latencyMs, 321, 'no poll in between: the processor refreshed the cache');
    assert.equal((await sqlTargets('api.stats')).latency, 321);
  });
});
