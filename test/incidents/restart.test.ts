import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import { createNotifier } from '../../agent/src/alerts/notifier.ts';
import type { CheckResult } from '../../agent/src/core/types.ts';
import { createWorld, spec, type World } from './harness.ts';

const failing = (ts: Date): CheckResult => ({ check: 'api.health', ts, ok: false, latencyMs: 90, condition: 'down', details: { error: 'GET /api/health answered HTTP 503.', status: 503 } });
const passing = (ts: Date): CheckResult => ({ check: 'api.health', ts, ok: true, latencyMs: 90, details: {} });

describe('an agent killed in the middle of an incident', () => {
  let w: World;
  before(async () => {
    w = await createWorld({ prefix: 'restart', specs: [spec('api.health')] });
  });
  after(async () => w.close());

  test('killed after opening, before delivering: the new agent delivers once and still sends the resolution', async () => {
    await w.engine.onResults([failing(w.clock.now())], w.specs);
    w.clock.advance(60_000);
    await w.engine.onResults([failing(w.clock.now())], w.specs);
    assert.equal((await w.incidents()).length, 1);
    assert.equal(w.fake.received.length, 0);

    w.restart();
    w.clock.advance(60_000);
    await w.engine.onResults([failing(w.clock.now())], w.specs);
    await w.engine.tick();
    await w.notifier.runOnce();
    assert.equal(w.fake.texts('slack').length, 1);
    assert.equal(w.fake.texts('telegram').length, 1);

    w.restart();
    await w.notifier.runOnce();
    await w.engine.tick();
    for (const r of [passing, passing]) {
      w.clock.advance(60_000);
      await w.engine.onResults([r(w.clock.now())], w.specs);
    }
    w.restart();
    await w.notifier.runOnce();
    await w.notifier.runOnce();
    assert.deepEqual(w.fake.texts('slack').map((t) => t.split(' ')[1]), ['[CRIT]', '[RESOLVED]']);
    assert.deepEqual(w.fake.texts('telegram').map((t) => t.split(' ')[1]), ['[CRIT]', '[RESOLVED]']);
    assert.equal((await w.incidents()).length, 1, 'the restart resumed the failure streak: no second incident');
  });

  test('killed while sending: the claimed row is retried once its lease ends, and delivered exactly once', async () => {
    w.fake.received.length = 0;
    const stuckChannels = createChannelDirectory({ db: w.db.pool, env: w.env, log: w.log, cacheMs: 0, fetch: () => new Promise<Response>(() => {}) });
    const stuck = createNotifier({ store: w.store, clock: w.clock, log: w.log, channels: stuckChannels, options: { leaseMs: 60_000 } });
    for (let i = 0; i < 2; i++) {
      w.clock.advance(60_000);
      await w.engine.onResults([failing(w.clock.now())], w.specs);
    }
    void stuck.runOnce();
    // Each channel has its own delivery loop: wait until both rows (Slack's and Telegram's) are claimed, however
    // slowly a loaded machine gets there.
    for (const end = Date.now() + 60_000; ;) {
      const { rows } = await w.db.pool.query(`SELECT count(*)::int AS n FROM monitor_notifications WHERE status = 'sending'`);
      if (rows[0].n === 2) break;
      assert.ok(Date.now() < end, `the stuck agent claimed ${rows[0].n} of 2 rows within 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    w.restart();
    await w.notifier.runOnce();
    assert.equal(w.fake.received.length, 0, 'the lease of the dead agent still holds');
    w.clock.advance(61_000);
    await w.notifier.runOnce();
    await w.notifier.runOnce();
    assert.equal(w.fake.delivered('slack').length, 1);
    assert.equal(w.fake.delivered('telegram').length, 1);
    const statuses = (await w.outbox()).filter((n) => n.kind === 'opened').map((n) => n.status);
    assert.ok(statuses.every((s) => s === 'sent'));
  });
});
