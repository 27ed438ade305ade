import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { maintain } from '../../agent/src/core/rollups.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { aMonthOfFourChecks, emptyResultsAndRollups, sameAsFullQuery } from '../helpers/slo.ts';

let db: TestDatabase;
const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
before(async () => {
  db = await migratedDatabase('slo_spans');
});
after(async () => db.drop());

/** What the agent's maintenance pass does at `until` (plus the two minutes it waits for an hour to settle). */
const rollUpTo = (until: string) =>
  maintain(db.pool, { log: memoryLogger(), now: new Date(Date.parse(until) + 120_000), retentionDays: 3650, rollupRetentionDays: 3650 });

test('the whole days of the 7- and 30-day windows ending today are merged once a day and read as one row, with days added or taken off near them; late results rewrite them; the same numbers as the full query', async () => {
  await aMonthOfFourChecks(db.pool);
  const report = await rollUpTo('2026-03-26T10:00:00Z');
  const listed = async () => (await q('SELECT span FROM monitor_spans_written ORDER BY span')).rows.map((r) => r.span);
  assert.deepEqual(report.spansWritten.map(([a, b]) => `${a.toISOString().slice(0, 10)}..${b.toISOString().slice(0, 10)}`),
    ['2026-03-20..2026-03-26', '2026-02-25..2026-03-26']);
  assert.deepEqual(await listed(), ['["2026-02-25 00:00:00+00","2026-03-26 00:00:00+00")', '["2026-03-20 00:00:00+00","2026-03-26 00:00:00+00")']);
  assert.equal((await rollUpTo('2026-03-26T10:00:00Z')).spansWritten.length, 0, 'a span is written once');
  const steady = (await q(`SELECT total FROM monitor_metrics_span WHERE check_name = 'steady' AND span = '[2026-02-25, 2026-03-26)'`)).rows[0];
  assert.equal(steady.total, 29 * 144);

  // Each window with the pieces it reads that are whole days (as kind, first..last day + 1, sign).
  const windows: [string, string, string[]][] = [
    // the 30-day and 7-day windows as the SLO page asks for them at 10:40: their whole days are one span row
    ['2026-02-24T10:40:00Z', '2026-03-26T10:40:00Z', ['day 02-24..02-25 1', 'span 02-25..03-26 1']],
    ['2026-03-19T10:40:00Z', '2026-03-26T10:40:00Z', ['day 03-19..03-20 1', 'span 03-20..03-26 1']],
    // one day wider than the span at the start and one shorter at the end; one shorter at both ends
    ['2026-02-24T00:00:00Z', '2026-03-25T00:00:00Z', ['span 02-25..03-26 1', 'day 02-24..02-25 1', 'day 03-25..03-26 -1']],
    ['2026-02-26T00:00:00Z', '2026-03-25T00:00:00Z', ['span 02-25..03-26 1', 'day 02-25..02-26 -1', 'day 03-25..03-26 -1']],
    // out of reach: four days off in all (days, weeks, a day), and a short window inside the span (days)
    ['2026-02-27T00:00:00Z', '2026-03-24T00:00:00Z', ['day 02-27..03-02 1', 'week 03-02..03-23 1', 'day 03-23..03-24 1']],
    ['2026-03-10T00:00:00Z', '2026-03-13T00:00:00Z', ['day 03-10..03-13 1']],
  ];
  const same = async (label: string) => {
    for (const [from, to, want] of windows) {
      const pieces = (await q(`SELECT kind, to_char(lo AT TIME ZONE 'UTC', 'MM-DD') || '..' || to_char(hi AT TIME ZONE 'UTC', 'MM-DD') AS days, sign
        FROM monitor_slo_pieces($1, $2) WHERE kind <> 'raw' AND lo = monitor_day_of(lo) AND hi = monitor_day_of(hi)`, [from, to])).rows
        .map((p) => `${p.kind} ${p.days} ${p.sign}`);
      if (label === 'unlisted') assert.ok(!pieces.some((p) => p.startsWith('span')), `${label}: ${from} → ${to}: no span`);
      else assert.deepEqual(pieces, want, `${label}: ${from} → ${to}: pieces`);
    }
    await sameAsFullQuery(db.pool, label, windows);
  };
  await same('written');

  // A late failure inside both spans: its hour, day, week and both spans are rolled again.
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms) VALUES ('2026-03-21T05:30:30Z', 'steady', false, 3000)`);
  assert.equal((await rollUpTo('2026-03-26T10:00:00Z')).lateHoursRolled, 1);
  const spans = (await q(`SELECT span, total, ok_count FROM monitor_metrics_span WHERE check_name = 'steady' ORDER BY span`)).rows;
  assert.deepEqual(spans.map((r) => [r.total, r.ok_count]), [[29 * 144 + 1, 29 * 144], [6 * 144 + 1, 6 * 144]]);
  await same('late');

  // Without a listed span (an older agent rolling up, say), weeks and days answer with the same numbers.
  await q('DELETE FROM monitor_spans_written');
  await same('unlisted');

  // Four days on, the spans ending 03-26 are out of reach and go, rows too; those ending 03-30 are written.
  await q(`INSERT INTO monitor_spans_written (span) SELECT DISTINCT span FROM monitor_metrics_span`);
  const later = await rollUpTo('2026-03-30T01:00:00Z');
  assert.equal(later.spansWritten.length, 2);
  assert.deepEqual(await listed(), ['["2026-03-01 00:00:00+00","2026-03-30 00:00:00+00")', '["2026-03-24 00:00:00+00","2026-03-30 00:00:00+00")']);
  assert.deepEqual((await q('SELECT DISTINCT span FROM monitor_metrics_span ORDER BY span')).rows.map((r) => r.span), await listed());
});

test('a check whose whole days hide a spike the window dilutes: the cut below the span\'s p99 misses the p99, and the whole histogram answers', async () => {
  // 100 ms, but 5 s on every 90th run of the whole days: 10 runs, 1.2 % of the span's 864, and just under the 1 %
  // above the p99's floor rank in a 7-day window of 984 runs whose edges (hours only: nothing taken off) are fast.
  // The span holds 88 % of the window's runs, so the cut goes two buckets below its p99 (5 s), above the window's.
  await emptyResultsAndRollups(db.pool);
  await q(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms)
    SELECT '2026-03-19T00:00:00Z'::timestamptz + make_interval(mins => 10 * g), 'spiky', true,
           CASE WHEN g % 90 = 0 AND g >= 144 AND g < 7 * 144 THEN 5000 ELSE 100 END
    FROM generate_series(0, 7 * 144 + 59) g`);
  await rollUpTo('2026-03-26T10:00:00Z');
  const span = (await q(`SELECT p99_bucket, monitor_hist_value(p99_bucket) AS v FROM monitor_metrics_span WHERE check_name = 'spiky' AND span = '[2026-03-20, 2026-03-26)'`)).rows[0];
  assert.ok(span.v > 4900, `the span's p99 is the spike (${span.v} ms)`);
  const window: [string, string] = ['2026-03-19T14:00:00Z', '2026-03-26T14:00:00Z'];
  const pieces = (await q(`SELECT kind FROM monitor_slo_pieces($1, $2) WHERE kind = 'span'`, window)).rows;
  assert.equal(pieces.length, 1, 'the window reads the span');
  const spiky = (await q(`SELECT * FROM monitor_slo($1, $2) WHERE check_name = 'spiky'`, window)).rows[0];
  assert.ok(spiky.p99_ms < 2500, `the window's p99 (${spiky.p99_ms} ms) lies far below the span's`);
  await sameAsFullQuery(db.pool, 'spiky', [window], 1);
});
