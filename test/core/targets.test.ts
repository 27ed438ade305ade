import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CheckSpecBase } from '../../agent/src/checks/types.ts';
import { withTargets } from '../../agent/src/core/agent.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { runCheck } from '../../agent/src/core/runner.ts';
import { createTargetsCache } from '../../agent/src/core/targets.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';

let db: TestDatabase;
before(async () => {
  db = await migratedDatabase('targets');
});
after(async () => db.drop());

const spec = (name: string, extra: Partial<CheckSpecBase> & { maxLagSec?: number } = {}): CheckSpecBase => ({
  name, kind: 'http', enabled: true, intervalSec: 60, timeoutMs: 1000, severity: 'crit', slowSeverity: 'warn',
  failureThreshold: 2, successThreshold: 2, ...extra,
});
const ctx = {
  clock: systemClock, log: memoryLogger(), db: null as never, fetch, http: undiciTransport(), auth: null as never, memory: new Map(),
  settings: { apiBase: 'http://127.0.0.1:1', sloLatencyMs: 800, maxListenerLagSec: 180 },
};

test('targets set from Grafana take effect on the next run: own row, then the checks file, then the global row', async () => {
  const targets = createTargetsCache({ db: db.pool, clock: systemClock, log: memoryLogger() });
  await targets.refresh();
  assert.equal(withTargets(spec('api.health'), ctx, targets).spec.latencySloMs, undefined, 'nothing set: the environment applies');

  await db.pool.query(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_by)
    VALUES ('*', 99.5, 600, 120, 'alice'), ('api.health', NULL, 1500, NULL, 'alice'), ('listener.lag', NULL, NULL, 30, 'alice')`);
  await targets.refresh();
  assert.equal(withTargets(spec('api.health', { latencySloMs: 300 }), ctx, targets).spec.latencySloMs, 1500);
  assert.equal(withTargets(spec('api.events', { latencySloMs: 300 }), ctx, targets).spec.latencySloMs, 300);
  const events = withTargets(spec('api.events'), ctx, targets);
  assert.equal(events.spec.latencySloMs, 600);
  assert.equal(events.ctx.settings.sloLatencyMs, 600);
  const lag = withTargets(spec('listener.lag', { maxLagSec: 90 }), ctx, targets);
  assert.equal((lag.spec as { maxLagSec?: number }).maxLagSec, 30);
  assert.equal(lag.ctx.settings.maxListenerLagSec, 30);
  assert.equal(withTargets(spec('listener.other'), ctx, targets).ctx.settings.maxListenerLagSec, 120);

  // The runner flags slow against the objective in force.
  const took700 = async () => { await systemClock.sleep(700); return { ok: true, details: {} }; };
  const classify = () => ({ error_class: 'internal' as const, error: 'x' });
  const health = withTargets(spec('api.health'), ctx, targets);
  assert.equal((await runCheck(health.spec, took700, health.ctx, classify)).details.slow, undefined, '700 ms is within 1500 ms');
  const other = withTargets(spec('api.stats'), ctx, targets);
  assert.equal((await runCheck(other.spec, took700, other.ctx, classify)).details.slow, true, '700 ms is over the global 600 ms');
});
