import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { burnSeverity, DEFAULT_BURN_POLICY, evaluateBurnRates } from '../../agent/src/slo/burn.ts';
import { createWorld, spec, type World } from '../incidents/harness.ts';

// One run every 5 s: 720 per hour, 60 per 5 minutes.
const STEP_SEC = 5;

describe('multi-window burn-rate alerts over a 24 h budget (objective 99.5 %)', () => {
  let w: World;
  before(async () => {
    w = await createWorld({
      prefix: 'burn',
      engine: { burnRate: DEFAULT_BURN_POLICY, burnEvaluateEveryMs: 0 },
      specs: ['steady', 'outage', 'fast', 'slowburn', 'blip', 'known'].map((n) => spec(`api.${n}`)),
    });
  });
  after(async () => w.close());

  /** 6 h of history for `check` ending now; `fails(i)` says whether run i (0 = oldest) failed. */
  async function history(check: string, fails: (i: number, n: number) => boolean) {
    const n = (6 * 3600) / STEP_SEC;
    const end = w.clock.now().getTime();
    const ts: Date[] = [];
    const ok: boolean[] = [];
    for (let i = 0; i < n; i++) {
      ts.push(new Date(end - (n - i) * STEP_SEC * 1000));
      ok.push(!fails(i, n));
    }
    await w.db.pool.query(
      `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
       SELECT t, $1, o, 100, '{}' FROM unnest($2::timestamptz[], $3::boolean[]) AS x(t, o)`, [check, ts, ok]);
  }

  async function burnIncident(check: string) {
    return (await w.db.pool.query(`SELECT * FROM monitor_incidents WHERE check_name = $1 AND condition = 'budget_burn'`, [check])).rows;
  }

  test('the thresholds: crit needs both 1 h and 5 m at 12x, warn both 6 h and 30 m at 3x', () => {
    const cases: Array<[string, [number, number, number, number], string | null]> = [
      ['14x everywhere', [14, 14, 14, 14], 'crit'],
      ['6x everywhere', [6, 6, 6, 6], 'warn'],
      ['a blip: 5 m hot, 1 h cool', [6.7, 40, 1.1, 13], null],
      ['an old burst: 1 h hot, 5 m cold, 6 h and 30 m warm', [20, 0, 3.5, 4], 'warn'],
      ['6 h warm, 30 m cold', [2, 0, 3.5, 1], null],
      ['below everything', [2, 2, 2, 2], null],
    ];
    for (const [name, [critLong, critShort, warnLong, warnShort], expected] of cases) {
      assert.equal(burnSeverity({ critLong, critShort, warnLong, warnShort }), expected, name);
    }
  });

  test('a 14x burn pages crit, a 6x burn warns, a steady check and a 2-minute blip stay quiet', async () => {
    await history('api.steady', () => false);
    await history('api.fast', (i) => i % 14 === 0);       // 7.1 % failing: 14x the 0.5 % budget
    await history('api.slowburn', (i) => i % 33 === 0);   // 3.0 % failing: 6x
    await history('api.blip', (i, n) => i >= n - 30 && i < n - 6); // 2 minutes down, ended 30 s ago
    await w.engine.tick();
    await w.notifier.runOnce();
    assert.equal((await burnIncident('api.steady')).length, 0);
    assert.equal((await burnIncident('api.blip')).length, 0, 'a two-minute blip does not page');
    const [fast] = await burnIncident('api.fast');
    assert.equal(fast?.severity, 'crit');
    assert.match(fast.detail, /^Error budget burning 14\.\d× over 1h and \d+\.\d× over 5m \(objective 99\.5 % over 24 h; alert at 12×\)\.$/);
    const [slow] = await burnIncident('api.slowburn');
    assert.equal(slow?.severity, 'warn');
    const texts = w.fake.texts('slack');
    assert.equal(texts.length, 2);
    assert.ok(texts.some((t) => /^🚨 \[CRIT\] api\.fast: burning its error budget\n/.test(t) && /burn 1 h 14\.\d×/.test(t)));
    assert.ok(texts.some((t) => /^⚠️ \[WARN\] api\.slowburn: burning its error budget\n/.test(t)));
  });

  test('a real outage pages within minutes: by the 4th failing minute the 1 h burn passes 12', async () => {
    await history('api.outage', () => false);
    let pagedAfter = -1;
    for (let minute = 1; minute <= 10 && pagedAfter < 0; minute++) {
      const rows = [];
      for (let s = 0; s < 60; s += STEP_SEC) rows.push(new Date(w.clock.now().getTime() + s * 1000));
      await w.db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
        SELECT t, 'api.outage', false, 100, '{}' FROM unnest($1::timestamptz[]) t`, [rows]);
      w.clock.advance(60_000);
      await w.engine.tick();
      if ((await burnIncident('api.outage')).length) pagedAfter = minute;
    }
    assert.ok(pagedAfter >= 3 && pagedAfter <= 5, `paged after ${pagedAfter} min`);
  });

  test('the burn-rate incident resolves once the short windows cool down', async () => {
    const end = w.clock.now().getTime();
    const ts = Array.from({ length: (40 * 60) / STEP_SEC }, (_, i) => new Date(end + i * STEP_SEC * 1000));
    await w.db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
      SELECT t, c, true, 100, '{}' FROM unnest($1::timestamptz[]) t, unnest(ARRAY['api.fast', 'api.slowburn']) c`, [ts]);
    w.clock.advance(40 * 60_000);
    await w.engine.tick();
    assert.ok((await burnIncident('api.fast'))[0].resolved_at, 'crit resolved');
    assert.ok((await burnIncident('api.slowburn'))[0].resolved_at, 'warn resolved');
  });

  test('an outage already announced as down is not paged a second time as budget burn', async () => {
    await w.runs('api.known', ['fail', 'fail']);
    await history('api.known', (i, n) => i >= n - 60);
    const [evaluation] = (await evaluateBurnRates(w.db.pool, w.clock.now())).filter((e) => e.check === 'api.known');
    assert.equal(evaluation.severity, 'crit', 'the burn rate does fire');
    await w.engine.tick();
    const incidents = (await w.db.pool.query(`SELECT condition FROM monitor_incidents WHERE check_name = 'api.known' AND resolved_at IS NULL`)).rows;
    assert.deepEqual(incidents.map((i) => i.condition), ['down'], 'the down incident already covers it');
  });
});
