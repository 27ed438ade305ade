import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { maintain, maintenanceService, type ArchiveSink } from '../../agent/src/core/rollups.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let db: TestDatabase;
before(async () => {
  db = await migratedDatabase('rollups');
});
after(async () => db.drop());
beforeEach(async () => {
  await db.pool.query('TRUNCATE monitor_metrics, monitor_metrics_hourly, monitor_metrics_daily, monitor_metrics_weekly, monitor_metrics_span, monitor_spans_written, monitor_rollup_dirty');
  // Partitions of other tests' days go too, so each test sees only its own.
  await db.pool.query(`DO $$ DECLARE p text; BEGIN
    FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'monitor_metrics'::regclass AND c.relname <> 'monitor_metrics_default' LOOP
      EXECUTE format('DROP TABLE %I', p);
    END LOOP; END $$`);
  await db.pool.query('UPDATE monitor_rollup_state SET rolled_until = NULL, weeks_until = NULL');
});

const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
const partitions = async () =>
  (await q(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'monitor_metrics'::regclass ORDER BY 1`)).rows.map((r) => r.relname as string);
const dayName = (t: number) => `monitor_metrics_p${new Date(t).toISOString().slice(0, 10).replace(/-/g, '')}`;
const today = Math.floor(Date.now() / DAY) * DAY;

/** One run of check `a` every 10 minutes over [from, to); every seventh fails. */
const runs = (from: number, to: number, check = 'a') =>
  q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
     SELECT g, $3, (extract(epoch FROM g)::bigint / 600) % 7 <> 0, 100 + (extract(epoch FROM g)::bigint / 600) % 400, NULL
     FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 second', interval '10 minutes') g`,
  [new Date(from), new Date(to), check]);

test('maintain: partitions ahead, rollups up to date, retention drops only whole days past the setting, archived first', async () => {
  await runs(today - 10 * DAY, Date.now());
  const total = Number((await q('SELECT count(*) FROM monitor_metrics')).rows[0].count);
  const archived = new Map<string, string>();
  const archive: ArchiveSink = async (partition, chunks) => {
    let text = '';
    for await (const c of chunks) text += c;
    archived.set(partition, text);
    return `memory:${partition}`;
  };
  const report = await maintain(db.pool, { log: memoryLogger(), retentionDays: 5, rollupRetentionDays: 400, archive });
  assert.deepEqual(report.spansWritten.map(([a, b]) => [(today - a.getTime()) / DAY, b.getTime()]), [[6, today], [29, today]],
    'the whole days of the 7-day and 30-day windows ending today, merged');

  const names = await partitions();
  for (let d = 0; d <= 7; d++) assert.ok(names.includes(dayName(today + d * DAY)), `partition for today + ${d} days`);
  const cutoff = today - 5 * DAY;
  assert.deepEqual(report.partitionsDropped.map((p) => p.name), [0, 1, 2, 3, 4].map((i) => dayName(today - (10 - i) * DAY)));
  for (let d = 5; d >= 0; d--) assert.ok(names.includes(dayName(today - d * DAY)), `day -${d} is kept`);
  const kept = Number((await q('SELECT count(*) FROM monitor_metrics')).rows[0].count);
  const expectedKept = Number((await q(`SELECT count(*) FROM generate_series($1::timestamptz, now(), interval '10 minutes') g`,
    [new Date(cutoff)])).rows[0].count);
  assert.ok(Math.abs(kept - expectedKept) <= 1, `rows from the cutoff on are all kept (${kept} vs ${expectedKept})`);
  assert.equal(report.partitionsDropped.reduce((n, p) => n + p.rows, 0), total - kept, 'what was dropped is counted');

  // The archive holds every dropped row, in CSV with a header.
  const csv = archived.get(dayName(today - 10 * DAY))!;
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], 'id,ts,check_name,ok,latency_ms,details');
  assert.equal(lines.length - 1, 144);
  assert.match(lines[1], /^\d+,\d{4}-\d\d-\d\dT00:00:00\.000Z,a,(true|false),\d+,$/);

  // Rollups outlive the raw rows: ten days still count every run exactly.
  const slo = (await q(`SELECT total, ok_count FROM monitor_slo($1, now())`, [new Date(today - 10 * DAY)])).rows[0];
  assert.equal(Number(slo.total), total);
  const again = await maintain(db.pool, { log: memoryLogger(), retentionDays: 5, rollupRetentionDays: 400 });
  assert.deepEqual(again.partitionsDropped, [], 'a second pass has nothing left to drop');
  assert.ok(Number((await q('SELECT count(*) FROM monitor_metrics_weekly')).rows[0].count) > 0, 'the week the data starts in is written');
  const rollupCut = await maintain(db.pool, { log: memoryLogger(), retentionDays: 5, rollupRetentionDays: 7 });
  assert.ok(rollupCut.rollupRowsDeleted > 0);
  assert.equal(Number((await q(`SELECT count(*) FROM monitor_metrics_hourly WHERE bucket < $1`, [new Date(today - 7 * DAY)])).rows[0].count), 0);
  // A week that starts before the rollup cutoff goes with its first days; no week row holds a deleted day.
  assert.equal(Number((await q(`SELECT count(*) FROM monitor_metrics_weekly WHERE week < $1`, [new Date(today - 7 * DAY)])).rows[0].count), 0);
  assert.equal(Number((await q(`SELECT count(*) FROM monitor_metrics_daily WHERE day < $1`, [new Date(today - 7 * DAY)])).rows[0].count), 0);
  // So does a span: the 29 days before today reach past the cutoff; the 6 days before today stay, rows and listing.
  const spans = async (table: string) => (await q(`SELECT DISTINCT lower(span) AS a, upper(span) AS b FROM ${table} ORDER BY 1`)).rows
    .map((r) => `${r.a.toISOString().slice(0, 10)}..${r.b.toISOString().slice(0, 10)}`);
  const sixDays = [`${new Date(today - 6 * DAY).toISOString().slice(0, 10)}..${new Date(today).toISOString().slice(0, 10)}`];
  assert.deepEqual(await spans('monitor_spans_written'), sixDays);
  assert.deepEqual(await spans('monitor_metrics_span'), sixDays);
});

test('retention never drops a day with an hour not rolled up: a late result arriving during retention keeps its day', async () => {
  await runs(today - 9 * DAY, today - 6 * DAY);
  await maintain(db.pool, { log: memoryLogger(), retentionDays: 30, rollupRetentionDays: 400 });
  const lateDay = today - 7 * DAY;
  // The archive of the first day to go is where the late result slips in, before that day's turn comes.
  const archive: ArchiveSink = async (partition, chunks) => {
    for await (const _ of chunks);
    if (partition === dayName(today - 9 * DAY)) {
      await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ($1, 'a', false, 5)`, [new Date(lateDay + 5 * HOUR + 1000)]);
    }
    return partition;
  };
  const report = await maintain(db.pool, { log: memoryLogger(), retentionDays: 3, rollupRetentionDays: 400, archive });
  assert.deepEqual(report.partitionsDropped.map((p) => p.name), [dayName(today - 9 * DAY), dayName(today - 8 * DAY)]);
  assert.deepEqual(report.partitionsKept, [dayName(lateDay)], 'the other days past retention hold no rows and are gone');
  const next = await maintain(db.pool, { log: memoryLogger(), retentionDays: 3, rollupRetentionDays: 400 });
  assert.equal(next.lateHoursRolled, 1);
  assert.deepEqual(next.partitionsDropped.map((p) => p.name), [dayName(lateDay)]);
  const hour = (await q(`SELECT total FROM monitor_metrics_hourly WHERE check_name = 'a' AND bucket = $1`, [new Date(lateDay + 5 * HOUR)])).rows[0];
  assert.equal(hour.total, 7, 'the late result is in its hour');
});

test('a result for a day with no partition waits in the default partition and moves into its own day', async () => {
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2020-01-01T12:00:00Z', 'old', true, 10), (NULL, 'nots', true, 1)`);
  assert.equal(Number((await q('SELECT count(*) FROM monitor_metrics_default')).rows[0].count), 2);
  const report = await maintain(db.pool, { log: memoryLogger(), retentionDays: 36_500, rollupRetentionDays: 36_500 });
  assert.ok(report.partitionsCreated.includes('monitor_metrics_p20200101'));
  assert.equal(Number((await q('SELECT count(*) FROM monitor_metrics_p20200101')).rows[0].count), 1);
  assert.equal(Number((await q('SELECT count(*) FROM monitor_metrics_default')).rows[0].count), 1, 'a row with no ts stays where it is');
  assert.equal(Number((await q(`SELECT total FROM monitor_metrics_hourly WHERE check_name = 'old'`)).rows[0].total), 1);
});

test('run keeps rollups current: completed hours at start, then an hour that receives late results', async () => {
  const hour = Math.floor(Date.now() / HOUR) * HOUR;
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT $1::timestamptz - make_interval(hours => h) + make_interval(mins => m), 'api.health', m <> 6, 100 + m, NULL
    FROM generate_series(1, 3) h, generate_series(0, 59, 6) m`, [new Date(hour)]);
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES (now(), 'api.health', true, 5)`);
  const hourly = async () =>
    (await q(`SELECT bucket, total, ok_count FROM monitor_metrics_hourly WHERE check_name = 'api.health' ORDER BY bucket`)).rows;
  // Two minutes after the hour an hour counts as settled; a clock two minutes ahead makes the last one due now.
  const clock = { ...systemClock, now: () => new Date(Date.now() + 120_000) };
  const controller = new AbortController();
  const service = maintenanceService({ db: db.pool, clock, log: memoryLogger(), everyMs: 100, retentionDays: 30, rollupRetentionDays: 400 })
    .start(controller.signal);
  const waitFor = async (what: string, ok: (rows: any[]) => boolean) => {
    const deadline = Date.now() + 60_000;
    let rows = await hourly();
    while (!ok(rows)) {
      assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(rows)}`);
      await systemClock.sleep(100);
      rows = await hourly();
    }
    return rows;
  };
  try {
    const first = await waitFor('three completed hours', (rows) => rows.length >= 3);
    const completed = first.filter((r) => r.bucket.getTime() < hour);
    assert.equal(completed.length, 3, 'the three completed hours');
    assert.ok(completed.every((r) => r.total === 10 && r.ok_count === 9), JSON.stringify(completed));
    // Results held while the database was down arrive late for an hour already rolled up.
    await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ($1, 'api.health', false, 900)`,
      [new Date(hour - 2 * HOUR + 30_000)]);
    const rows = await waitFor('the late hour rolled again', (rs) => rs.some((r) => r.total === 11));
    assert.deepEqual(rows.filter((r) => r.bucket.getTime() < hour).map((r) => [r.total, r.ok_count]), [[10, 9], [11, 9], [10, 9]]);
  } finally {
    controller.abort();
    await service;
  }
});

test("heartbeats stay index-ordered on days whose (check_name, ts) btree maintain dropped: the guide's newest-ticks query", async () => {
  await runs(today - 5 * DAY, Date.now());
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
           SELECT g, 'listener.tick', true, 0, jsonb_build_object('note', 'heartbeat', 'block_number', (extract(epoch FROM g)::bigint / 60)::text)
           FROM generate_series($1::timestamptz, now(), interval '1 minute') g`, [new Date(today - 5 * DAY)]);
  await maintain(db.pool, { log: memoryLogger(), retentionDays: 30, rollupRetentionDays: 400 });

  const withoutCheckTs = (await q(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'monitor_metrics'::regclass AND to_regclass(c.relname || '_check_ts') IS NULL
      AND c.relname <> 'monitor_metrics_default'`)).rows.map((r) => r.relname as string);
  assert.ok(withoutCheckTs.includes(dayName(today - 5 * DAY)), 'older days lost their (check_name, ts) btree');
  const lacking = (await q(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'monitor_metrics'::regclass AND NOT EXISTS (
      SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND pg_get_expr(x.indpred, x.indrelid) LIKE '%listener.tick%')`)).rows;
  assert.deepEqual(lacking, [], 'every partition, the default one too, has the heartbeat index');

  const guide = `SELECT * FROM monitor_metrics WHERE check_name = 'listener.tick' ORDER BY ts DESC LIMIT 10`;
  const newest = (await q(guide)).rows.map((r) => (r.ts as Date).getTime());
  const expected = (await q(`SELECT ts FROM monitor_metrics WHERE check_name = 'listener.tick' AND ok ORDER BY ts DESC, id LIMIT 10`)).rows
    .map((r) => (r.ts as Date).getTime());
  assert.deepEqual(newest, expected);
  // With sorting made the last resort, the plan reads every partition in index order: no partition needs a sort.
  const client = await db.pool.connect();
  try {
    await client.query('SET enable_sort = off');
    const plan = (await client.query(`EXPLAIN (COSTS OFF) ${guide}`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
    assert.doesNotMatch(plan, /\bSort\b(?! Key)/, plan);
    assert.match(plan, /Index (Only )?Scan Backward/, plan);
  } finally {
    await client.query('RESET enable_sort');
    client.release();
  }
});
