import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseCheckSpec } from '../../agent/src/checks/registry.ts';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { checkContext, closedPort, fakeClock, runSpec, serveHttp, type FakeClock, type LocalServer } from './helpers.ts';

/** A JSON-RPC endpoint on 127.0.0.1 whose answer the test sets. */
interface FakeRpc {
  head: number;
  mode: 'ok' | 'http500' | 'rpc_error' | 'garbage';
  calls: number;
}

let db: TestDatabase;
let rpc: LocalServer;
const state: FakeRpc = { head: 0, mode: 'ok', calls: 0 };

before(async () => {
  db = await migratedDatabase('checks_chain');
  rpc = await serveHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.calls += 1;
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.setHeader('content-type', 'application/json');
      if (state.mode === 'http500') {
        res.statusCode = 500;
        return res.end('{"error":"upstream"}');
      }
      if (state.mode === 'garbage') return res.end('<html>');
      if (state.mode === 'rpc_error')
        return res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, error: { code: -32005, message: 'rate limited' } }));
      assert.equal(call.method, 'eth_blockNumber');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: `0x${state.head.toString(16)}` }));
    });
  });
});
after(async () => {
  await rpc.close();
  await db.drop();
});

describe('chain.head', () => {
  let clock: FakeClock;
  let memory: Map<string, unknown>;
  beforeEach(async () => {
    await db.pool.query('DELETE FROM monitor_metrics');
    Object.assign(state, { head: 0, mode: 'ok', calls: 0 });
    clock = fakeClock(Date.now());
    memory = new Map();
  });
  const spec = (extra: Record<string, unknown> = {}) =>
    parseCheckSpec({ name: 'chain.head', kind: 'chain_head', ...extra }, 'test', { intervalSec: 60 });
  const run = (extra: Record<string, unknown> = {}, rpcUrl = `${rpc.url}/rpc?key=s3cret`) =>
    runSpec(spec(extra), checkContext({ db: db.pool, clock, memory, settings: { polygonRpcUrl: rpcUrl } }));

  test('in step with the head: passes with head_block and lag_blocks', async () => {
    state.head = 5_000_010;
    await writeHeartbeat(db.pool, '5000000');
    const o = await run();
    assert.ok(o.ok, JSON.stringify(o.details));
    assert.equal(o.details.head_block, '5000010');
    assert.equal(o.details.lag_blocks, 10);
    assert.equal(o.details.block_number, '5000000');
    assert.ok(!JSON.stringify(o.details).includes('s3cret'), 'the RPC key stays out of details');
  });

  test('listener behind a moving head: behind_head', async () => {
    await writeHeartbeat(db.pool, '5000000');
    state.head = 5_000_030;
    assert.ok((await run()).ok);
    clock.advance(60_000);
    state.head = 5_000_090;
    const o = await run();
    assert.equal(o.ok, false);
    assert.equal(o.condition, 'behind_head');
    assert.equal(o.details.error_class, 'behind_head');
    assert.equal(o.details.lag_blocks, 90);
    assert.match(String(o.details.error), /90 blocks behind/);
  });

  test('maxLagBlocks is configurable', async () => {
    await writeHeartbeat(db.pool, 100);
    state.head = 110;
    assert.equal((await run({ maxLagBlocks: 5 })).details.error_class, 'behind_head');
  });

  const stalls: Array<{ name: string; listener: (i: number) => number }> = [
    { name: 'while the listener advances past it', listener: (i) => 1000 + i * 10 },
    { name: 'while the listener stays', listener: () => 995 },
  ];
  for (const s of stalls) {
    test(`head not advancing for 5 min ${s.name}: rpc_stalled, not the listener`, async () => {
      state.head = 1000;
      for (let i = 0; i <= 5; i += 1) {
        await writeHeartbeat(db.pool, s.listener(i));
        const o = await run();
        if (i < 5) assert.ok(o.ok || o.details.error_class !== 'rpc_stalled', `minute ${i}`);
        else {
          assert.equal(o.ok, false);
          assert.equal(o.condition, 'rpc_stalled');
          assert.equal(o.details.error_class, 'rpc_stalled');
          assert.match(String(o.details.error), /RPC endpoint is stalled, not the listener/);
        }
        clock.advance(60_000);
      }
    });
  }

  test('a head that moves again clears rpc_stalled', async () => {
    state.head = 1000;
    await writeHeartbeat(db.pool, 1000);
    await run();
    clock.advance(6 * 60_000);
    assert.equal((await run()).details.error_class, 'rpc_stalled');
    state.head = 1003;
    const o = await run();
    assert.ok(o.ok, JSON.stringify(o.details));
  });

  const rpcErrors: Array<{ name: string; mode?: FakeRpc['mode']; url?: () => Promise<string>; says: RegExp }> = [
    { name: 'HTTP 500', mode: 'http500', says: /HTTP 500/ },
    { name: 'JSON-RPC error', mode: 'rpc_error', says: /rate limited/ },
    { name: 'not JSON', mode: 'garbage', says: /not JSON/ },
    { name: 'connection refused', url: async () => `http://127.0.0.1:${await closedPort()}/`, says: /connection refused/ },
  ];
  for (const e of rpcErrors) {
    test(`RPC failure (${e.name}) is rpc_error`, async () => {
      if (e.mode) state.mode = e.mode;
      await writeHeartbeat(db.pool, 1);
      const o = e.url ? await run({}, await e.url()) : await run();
      assert.equal(o.ok, false);
      assert.equal(o.details.error_class, 'rpc_error');
      assert.match(String(o.details.error), e.says);
    });
  }

  test('no heartbeat yet: reports the head, leaves the listener to listener.lag', async () => {
    state.head = 77;
    const o = await run();
    assert.ok(o.ok);
    assert.equal(o.details.head_block, '77');
    assert.match(String(o.details.note), /no listener.tick heartbeat yet/);
  });
});
