import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { classifyError, isDatabaseFailure } from '../../agent/src/checks/errors.ts';
import { checkKinds, parseCheckSpec, type CheckSpec } from '../../agent/src/checks/registry.ts';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { checkContext, closedPort, fakeClock, runSpec } from './helpers.ts';

let db: TestDatabase;
before(async () => {
  db = await migratedDatabase('checks_listener');
});
after(() => db.drop());

const defaults = { intervalSec: 60 };
const lagSpec = (extra: Record<string, unknown> = {}) =>
  parseCheckSpec({ name: 'listener.lag', kind: 'listener_lag', ...extra }, 'test', defaults);
const progressSpec = (extra: Record<string, unknown> = {}) =>
  parseCheckSpec({ name: 'listener.progress', kind: 'listener_progress', ...extra }, 'test', defaults);

/** Heartbeats as [seconds ago, block number as stored in details]. */
async function heartbeats(rows: Array<[number, unknown]>): Promise<void> {
  for (const [ago, block] of rows) {
    await db.pool.query(
      `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
       VALUES (now() - make_interval(secs => $1), 'listener.tick', true, 0, $2::jsonb)`,
      [ago, JSON.stringify({ note: 'heartbeat', block_number: block })],
    );
  }
}

const run = (spec: CheckSpec, o: { startedAgoSec?: number; maxLag?: number } = {}) => {
  const clock = fakeClock(Date.now());
  return runSpec(
    spec,
    checkContext({
      db: db.pool,
      clock,
      startedAt: new Date(clock.ms() - (o.startedAgoSec ?? 3600) * 1000),
      settings: { maxListenerLagSec: o.maxLag ?? 180 },
    }),
  );
};

describe('listener.lag', () => {
  beforeEach(() => db.pool.query(`DELETE FROM monitor_metrics`));

  const scenarios: Array<{
    name: string;
    rows: Array<[number, unknown]>;
    startedAgoSec?: number;
    extra?: Record<string, unknown>;
    ok: boolean;
    cls?: string;
    grace?: boolean;
    block?: string;
    lagAtLeast?: number;
  }> = [
    {
      name: 'fresh heartbeat (string block number) passes',
      rows: [
        [600, '100'],
        [5, '130'],
      ],
      ok: true,
      block: '130',
    },
    { name: 'fresh heartbeat with a number block number passes', rows: [[5, 131]], ok: true, block: '131' },
    {
      name: 'heartbeat older than MAX_LISTENER_LAG_SEC fails as listener_stalled',
      rows: [[400, '130']],
      ok: false,
      cls: 'listener_stalled',
      lagAtLeast: 399,
    },
    {
      name: 'the per-check maxLagSec overrides the setting',
      rows: [[90, '130']],
      extra: { maxLagSec: 60 },
      ok: false,
      cls: 'listener_stalled',
      lagAtLeast: 89,
    },
    {
      name: 'no heartbeat during the start-up grace period passes with grace',
      rows: [],
      startedAgoSec: 20,
      ok: true,
      grace: true,
    },
    { name: 'no heartbeat after the grace period is no_data', rows: [], startedAgoSec: 400, ok: false, cls: 'no_data' },
    { name: 'a custom grace period', rows: [], startedAgoSec: 400, extra: { graceSec: 600 }, ok: true, grace: true },
    {
      name: 'a stale heartbeat during the grace period still fails (the listener was already down)',
      rows: [[4000, '1']],
      startedAgoSec: 10,
      ok: false,
      cls: 'listener_stalled',
    },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      await heartbeats(s.rows);
      const outcome = await run(lagSpec(s.extra), { startedAgoSec: s.startedAgoSec });
      assert.equal(outcome.ok, s.ok, JSON.stringify(outcome.details));
      if (s.cls) {
        assert.equal(outcome.details.error_class, s.cls);
        assert.equal(outcome.condition, 'listener_stalled');
      }
      if (s.grace) assert.equal(outcome.details.grace, true);
      if (s.block) assert.equal(outcome.details.block_number, s.block);
      if (s.lagAtLeast !== undefined)
        assert.ok((outcome.details.lag_sec as number) >= s.lagAtLeast, `lag ${outcome.details.lag_sec}`);
      if (s.rows.length) assert.equal(typeof outcome.details.lag_sec, 'number');
    });
  }

  test("without startedAt the grace period starts at the check's first run", async () => {
    const clock = fakeClock(Date.now());
    const memory = new Map<string, unknown>();
    const ctx = () => checkContext({ db: db.pool, clock, memory, settings: { maxListenerLagSec: 180 } });
    assert.equal((await runSpec(lagSpec(), ctx())).details.grace, true);
    clock.advance(181_000);
    assert.equal((await runSpec(lagSpec(), ctx())).details.error_class, 'no_data');
  });
});

describe('listener.progress', () => {
  beforeEach(() => db.pool.query(`DELETE FROM monitor_metrics`));

  // Heartbeats every 30 s over the last `minutes`, block from `block(i)` (i = 0 oldest).
  const series = (minutes: number, block: (i: number) => unknown): Array<[number, unknown]> =>
    Array.from({ length: minutes * 2 }, (_, i) => [minutes * 60 - i * 30, block(i)] as [number, unknown]);

  const scenarios: Array<{
    name: string;
    rows: Array<[number, unknown]>;
    extra?: Record<string, unknown>;
    startedAgoSec?: number;
    ok: boolean;
    cls?: string;
    skipped?: number;
    block?: string;
  }> = [
    { name: 'advancing string block numbers pass', rows: series(30, (i) => String(1000 + i)), ok: true, block: '1059' },
    { name: 'advancing number block numbers pass', rows: series(30, (i) => 1000 + i), ok: true, block: '1059' },
    {
      name: 'block stuck for 15 min while heartbeats keep coming fails as no_progress',
      rows: series(30, (i) => String(Math.min(1000 + i, 1030))),
      ok: false,
      cls: 'no_progress',
      block: '1030',
    },
    {
      name: 'block stuck for 30 min (longer than the lookback) fails',
      rows: series(30, () => '777'),
      ok: false,
      cls: 'no_progress',
      block: '777',
    },
    { name: 'stuck for 5 min is still within 10 min', rows: series(30, (i) => String(Math.min(1000 + i, 1050))), ok: true },
    {
      name: 'a shorter stallMinutes catches the 5 min stall',
      rows: series(30, (i) => String(Math.min(1000 + i, 1050))),
      extra: { stallMinutes: 3 },
      ok: false,
      cls: 'no_progress',
    },
    { name: 'a listener restarted minutes ago with one block so far is not judged yet', rows: series(4, () => '5000'), ok: true },
    {
      name: 'non-numeric block numbers are skipped and reported',
      rows: [...series(30, (i) => String(1000 + i)), [10, 'pending'], [5, null]],
      ok: true,
      skipped: 2,
      block: '1059',
    },
    {
      name: 'heartbeats stopped 12 min ago and no new block: no_data',
      rows: series(30, (i) => String(1000 + i)).filter(([ago]) => ago > 720),
      ok: false,
      cls: 'no_data',
    },
    { name: 'no heartbeat at all during start-up grace passes', rows: [], startedAgoSec: 30, ok: true },
    { name: 'no heartbeat ever after the grace period is no_data', rows: [], startedAgoSec: 3600, ok: false, cls: 'no_data' },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      await heartbeats(s.rows);
      const outcome = await run(progressSpec(s.extra), { startedAgoSec: s.startedAgoSec });
      assert.equal(outcome.ok, s.ok, JSON.stringify(outcome.details));
      if (s.cls) {
        assert.equal(outcome.details.error_class, s.cls);
        assert.equal(outcome.condition, 'no_progress');
        assert.match(String(outcome.details.error), /.{20,}/);
      }
      if (s.skipped !== undefined) {
        assert.equal(outcome.details.skipped_rows, s.skipped);
        assert.match(String(outcome.details.skipped_note), /without a numeric block_number/);
      }
      if (s.block) assert.equal(outcome.details.block_number, s.block);
    });
  }

  test('judged from the database: a fresh agent (empty memory) sees a stall that began before it started', async () => {
    await heartbeats(series(30, () => '42'));
    const outcome = await runSpec(progressSpec(), checkContext({ db: db.pool, memory: new Map(), startedAt: new Date() }));
    assert.equal(outcome.details.error_class, 'no_progress');
    assert.ok((outcome.details.block_unchanged_sec as number) >= 15 * 60);
  });
});

describe('writeHeartbeat', () => {
  beforeEach(() => db.pool.query(`DELETE FROM monitor_metrics`));

  test('writes exactly the v1.2 heartbeat row, the block number as a string', async () => {
    await writeHeartbeat(db.pool, 123);
    await writeHeartbeat(db.pool, '124');
    await writeHeartbeat(db.pool, 2n ** 70n);
    const { rows } = await db.pool.query(
      `SELECT check_name, ok, latency_ms, details, ts IS NOT NULL AS has_ts FROM monitor_metrics ORDER BY id`,
    );
    assert.deepEqual(
      rows.map((r) => r.details),
      [
        { note: 'heartbeat', block_number: '123' },
        { note: 'heartbeat', block_number: '124' },
        { note: 'heartbeat', block_number: (2n ** 70n).toString() },
      ],
    );
    for (const r of rows) assert.deepEqual([r.check_name, r.ok, r.latency_ms, r.has_ts], ['listener.tick', true, 0, true]);
    const lag = await run(lagSpec());
    assert.equal(lag.ok, true);
  });

  for (const bad of [-1, 1.5, 'abc', '', '0x10']) {
    test(`refuses the block number ${JSON.stringify(bad)}`, async () => {
      await assert.rejects(writeHeartbeat(db.pool, bad as string), /block number must be a non-negative whole number/);
    });
  }
});

describe('when the monitor\'s own database fails', () => {
  test('the listener checks throw a DatabaseFailure, not a verdict on the listener', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://monitor:db-pw-never-shown@127.0.0.1:${await closedPort()}/x`, max: 1 });
    try {
      for (const spec of [lagSpec(), progressSpec()]) {
        const kind = checkKinds[spec.kind as 'listener_lag'] as unknown as { run: (s: CheckSpec, c: unknown) => Promise<unknown> };
        const err = await kind.run(spec, checkContext({ db: pool })).then(
          (o) => o,
          (e: unknown) => e,
        );
        assert.ok(isDatabaseFailure(err), `${spec.name}: ${String(err)}`);
        const c = classifyError(err);
        assert.equal(c.error_class, 'internal');
        assert.match(c.error, /could not read the listener heartbeats: the monitor's database failed/);
        assert.doesNotMatch(c.error, /db-pw-never-shown/);
      }
    } finally {
      await pool.end();
    }
  });
});
