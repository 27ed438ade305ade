import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { rollupService } from "../../agent/src/core/rollups.ts";
import { memoryLogger } from "../../agent/src/core/logger.ts";
import { systemClock } from "../../agent/src/core/types.ts";
import { migratedDatabase, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
before(async () => {
  db = await migratedDatabase("rollups");
});
after(async () => db.drop());

const hourly = async (check: string) =>
  (
    await db.pool.query(
      `SELECT bucket, total, ok_count FROM monitor_metrics_hourly WHERE check_name = $1 ORDER BY bucket`,
      [check],
    )
  ).rows;

test("backfills completed hours at start, then re-rolls an hour that receives late results", async () => {
  // Three completed hours of api.health (one failure each), and rows in the running hour that must wait.
  await db.pool
    .query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    SELECT date_trunc('hour', now()) - make_interval(hours => h) + make_interval(mins => m), 'api.health', m <> 6, 100 + m, '{}'
    FROM generate_series(1, 3) h, generate_series(0, 59, 6) m`);
  await db.pool.query(
    `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES (now(), 'api.health', true, 5, '{}')`,
  );
  const controller = new AbortController();
  const service = rollupService({
    db: db.pool,
    clock: systemClock,
    log: memoryLogger(),
    everyMs: 200,
  }).start(controller.signal);
  let rows: Awaited<ReturnType<typeof hourly>>;
  try {
    await systemClock.sleep(500);
    rows = await hourly("api.health");
    assert.equal(
      rows.length,
      3,
      "the three completed hours, not the running one",
    );
    assert.ok(
      rows.every((r) => r.total === 10 && r.ok_count === 9),
      JSON.stringify(rows),
    );

    // Results held while the database was down arrive late for an hour already rolled up.
    await db.pool
      .query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    VALUES (date_trunc('hour', now()) - interval '2 hours' + interval '30 seconds', 'api.health', false, 900, '{}')`);
    await systemClock.sleep(600);
  } finally {
    controller.abort();
    await service;
  }
  rows = await hourly("api.health");
  assert.deepEqual(
    rows.map((r) => [r.total, r.ok_count]),
    [
      [10, 9],
      [11, 9],
      [10, 9],
    ],
  );
});
