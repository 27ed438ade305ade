import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createResultWriter } from '../../agent/src/core/writer.ts';
import { createRedactor, memoryLogger } from '../../agent/src/core/logger.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { createPool, describeDbError } from '../../agent/src/db/pool.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

let db: TestDatabase;
let proxy: TcpProxy;
let pool: pg.Pool;

before(async () => {
  db = await migratedDatabase('writer');
  const u = new URL(db.url);
  proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
  u.host = `127.0.0.1:${proxy.port}`;
  pool = createPool(u.toString());
});
after(async () => {
  await pool.end();
  await proxy.close();
  await db.drop();
});

const result = (i: number, ts: Date) => ({ check: 'api.health', ts, ok: i % 2 === 0, latencyMs: 10 + i, details: { i } });

test('while Postgres is unreachable, results are held with their timestamps and written once it is back', async () => {
  const log = memoryLogger(createRedactor([new URL(db.url).password]));
  const written: number[] = [];
  const writer = createResultWriter({
    db: pool, clock: systemClock, log, flushIntervalMs: 50, maxHeld: 1000, describeError: describeDbError,
    onWritten: (rs) => void written.push(rs.length),
  });
  writer.add(result(0, new Date('2026-01-01T00:00:00Z')));
  assert.equal(await writer.flush(), true);

  proxy.cut();
  const base = Date.parse('2026-01-01T00:01:00Z');
  for (let i = 1; i <= 30; i++) writer.add(result(i, new Date(base + i * 1000)));
  assert.equal(await writer.flush(), false);
  assert.equal(writer.held(), 30);
  assert.equal(writer.failing(), true);
  assert.ok(log.lines.some((l) => /database unreachable: holding results/.test(l)), log.lines.join(''));

  proxy.restore();
  assert.equal(await writer.flush(), true);
  assert.equal(writer.held(), 0);
  assert.equal(writer.failing(), false);
  const { rows } = await db.pool.query(`SELECT ts, latency_ms, ok FROM monitor_metrics WHERE check_name = 'api.health' ORDER BY ts`);
  assert.equal(rows.length, 31);
  assert.equal(rows[5].ts.toISOString(), new Date(base + 5000).toISOString());
  assert.equal(rows[5].latency_ms, 15);
  assert.deepEqual(written, [1, 30]);
  assert.ok(log.lines.some((l) => /database is back/.test(l)));
  assert.ok(!log.lines.join('').includes(new URL(db.url).password || '\u0000'), 'no password in logs');
});

test('the hold is bounded: past maxHeld the oldest results are dropped and counted', async () => {
  const log = memoryLogger();
  const writer = createResultWriter({ db: pool, clock: systemClock, log, flushIntervalMs: 50, maxHeld: 10, describeError: describeDbError });
  proxy.cut();
  for (let i = 0; i < 25; i++) writer.add(result(i, new Date(Date.parse('2026-02-01T00:00:00Z') + i * 1000)));
  assert.equal(await writer.flush(), false);
  assert.equal(writer.held(), 10);
  assert.equal(writer.dropped(), 15);
  proxy.restore();
  assert.equal(await writer.flush(), true);
  const { rows } = await db.pool.query(`SELECT (details->>'i')::int AS i FROM monitor_metrics WHERE ts >= '2026-02-01' ORDER BY ts`);
  assert.deepEqual(rows.map((r) => r.i), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  assert.ok(log.lines.some((l) => /oldest held results dropped/.test(l)));
});

test('a batch is one INSERT of every field; a plain success stores only what is read, failures and slow runs everything', async () => {
  const writer = createResultWriter({ db: pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 50, maxHeld: 5000, describeError: describeDbError });
  const at = Date.parse('2026-03-01T00:00:00Z');
  const kinds = [
    { ok: true, details: { url: 'https://api.example/health', status: 200 } },
    { ok: true, details: { url: 'https://api.example/health', status: 200, slow: true, latency_objective_ms: 800 } },
    { ok: false, details: { url: 'https://api.example/health', status: 503, error_class: 'http_status', error: "it's \"down\"", condition: 'down' } },
    { ok: true, details: { lag_sec: 12.5, block_number: '123', max_lag_sec: 180 } },
  ];
  // More than one batch, with names and texts that need quoting inside an array literal.
  for (let i = 0; i < 1203; i++) {
    const k = kinds[i % 4];
    writer.add({ check: `w,{"${i % 4}"}`, ts: new Date(at + i * 1000), ok: k.ok, latencyMs: 10.4 + i, details: k.details });
  }
  assert.equal(await writer.flush(), true);
  const { rows } = await db.pool.query(`SELECT ts, check_name, ok, latency_ms, details FROM monitor_metrics WHERE check_name LIKE 'w,%' ORDER BY ts`);
  assert.equal(rows.length, 1203);
  assert.deepEqual(rows.slice(0, 4).map((r) => [r.ts.getTime() - at, r.check_name, r.ok, r.latency_ms]),
    [[0, 'w,{"0"}', true, 10], [1000, 'w,{"1"}', true, 11], [2000, 'w,{"2"}', false, 12], [3000, 'w,{"3"}', true, 13]]);
  assert.deepEqual(rows.slice(0, 4).map((r) => r.details), [
    null,
    kinds[1].details,
    kinds[2].details,
    { lag_sec: 12.5, block_number: '123', max_lag_sec: 180 },
  ]);
});
