// Regressions on rows the agent itself wrote: a database holding a few old failures opens no burn-rate incident
// (nor one for a check no longer configured), and a slow alert states the objective the run was judged by.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import type { CheckSpecBase } from '../../agent/src/checks/types.ts';
import { withTargets } from '../../agent/src/core/agent.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { runCheck } from '../../agent/src/core/runner.ts';
import { createTargetsCache } from '../../agent/src/core/targets.ts';
import { systemClock, type CheckResult } from '../../agent/src/core/types.ts';
import { createResultWriter } from '../../agent/src/core/writer.ts';
import { describeDbError } from '../../agent/src/db/pool.ts';
import { createIncidentEngine } from '../../agent/src/incidents/engine.ts';
import { DEFAULT_BURN_POLICY } from '../../agent/src/incidents/policy.ts';
import { createPgIncidentStore } from '../../agent/src/incidents/store.ts';
import { evaluateBurnRates } from '../../agent/src/slo/burn.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { capturingLogger, startFakeChannels } from '../alerts/fakes.ts';
import { spec } from './harness.ts';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';

async function until(what: string, ok: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 60_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('no false incidents, on rows the agent wrote', () => {
  let db: TestDatabase;
  let fake: Awaited<ReturnType<typeof startFakeChannels>>;
  before(async () => {
    db = await migratedDatabase('false_incidents');
    fake = await startFakeChannels();
  });
  after(async () => {
    await fake.close();
    await db.drop();
  });

  function wire(configured: CheckSpecBase[]) {
    const log = capturingLogger();
    const channels = createChannelDirectory({
      db: db.pool, log, cacheMs: 0, env: { slackWebhook: fake.slackUrl('T0/B0/secret'), language: 'en', minSeverity: 'warn' },
    });
    const store = createPgIncidentStore(db.pool, { clock: systemClock, links: {} });
    const engine = createIncidentEngine({
      store, clock: systemClock, log, channels, configured: () => configured,
      measureBurn: (now, policy) => evaluateBurnRates(db.pool, now, policy),
      config: { repeatIntervalMs: 3600_000, burnRate: DEFAULT_BURN_POLICY, burnEvaluateEveryMs: 0 },
    });
    const writer = createResultWriter({
      db: db.pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 50, maxHeld: 1000, describeError: describeDbError,
      onWritten: (batch) => engine.onResults(batch, configured),
    });
    return { engine, writer, store };
  }

  test('`run` on a database with a few failures from earlier `once` runs opens nothing, not even for a removed check', async () => {
    // What three `once` runs against a failing API left behind, written by the agent's own writer (`once` evaluates no incidents).
    const before = { writer: createResultWriter({ db: db.pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 50, maxHeld: 100, describeError: describeDbError }) };
    const now = Date.now();
    for (const [i, check] of ['api.health', 'api.health', 'api.health', 'api.removed', 'api.removed'].entries()) {
      before.writer.add({
        check, ts: new Date(now - (5 - i) * 40_000), ok: false, latencyMs: 30, condition: 'down',
        details: { error_class: 'connect_refused', error: 'connection refused', condition: 'down' },
      });
    }
    assert.equal(await before.writer.flush(), true);
    const raw = (await evaluateBurnRates(db.pool, new Date())).find((e) => e.check === 'api.health');
    assert.equal(raw?.severity, 'crit', 'by the raw rates alone, this burns far over 12×');

    const agent = wire([spec('api.health', { intervalSec: 60 })]);
    await agent.engine.tick();
    const { rows } = await db.pool.query(`SELECT check_name, condition FROM monitor_incidents`);
    assert.deepEqual(rows, [], 'three samples in an hour are not evidence of a burn');
  });

  test('a slow alert states the objective set from Grafana, the one the runner judged the run by', async () => {
    await db.pool.query(`INSERT INTO monitor_slo_targets (check_name, latency_ms, updated_by) VALUES ('api.slowish', 50, 'admin')`);
    const targets = createTargetsCache({ db: db.pool, clock: systemClock, log: memoryLogger() });
    await targets.refresh();
    const configured = [spec('api.slowish', { latencySloMs: 800, intervalSec: 60 })];
    const { engine, writer } = wire(configured);
    const ctx = {
      clock: systemClock, log: memoryLogger(), db: db.pool, fetch, http: undiciTransport(), auth: null as never, memory: new Map(), startedAt: new Date(),
      settings: { apiBase: 'http://127.0.0.1:1', sloLatencyMs: 800, maxListenerLagSec: 180 },
    };
    const takes120ms = async () => {
      await new Promise((r) => setTimeout(r, 120));
      return { ok: true, details: { status: 200 } };
    };
    const classify = (err: unknown) => ({ error_class: 'internal' as const, error: String(err) });
    const results: CheckResult[] = [];
    for (let i = 0; i < 2; i++) {
      const run = withTargets(configured[0], ctx, targets);
      const r = await runCheck(run.spec, takes120ms, run.ctx, classify);
      results.push(r);
      writer.add(r);
      assert.equal(await writer.flush(), true);
    }
    assert.ok(results.every((r) => r.details.slow === true && r.details.latency_objective_ms === 50));
    await until('the engine evaluated both runs', () => engine.evaluated() >= 2 && engine.backlog() === 0);
    const [incident] = (await db.pool.query(`SELECT id, condition, detail, details FROM monitor_incidents WHERE check_name = 'api.slowish'`)).rows;
    assert.equal(incident?.condition, 'slow');
    assert.match(incident.detail, /^Took \d+ ms, over the 50 ms objective\.$/);
    assert.equal(incident.details.values.latency_target_ms, 50);
    assert.equal(incident.details.latency_objective_ms, 50);
    const [message] = (await db.pool.query(`SELECT payload->>'text' AS text FROM monitor_notifications WHERE incident_id = $1`, [incident.id])).rows;
    assert.match(message.text, /objective 50 ms/);
  });
});
