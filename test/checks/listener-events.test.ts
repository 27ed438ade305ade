// listener.events: the contracts' logs on a local JSON-RPC stand-in against what a listener stored, in its
// `events` table (real Postgres) or through the demo API; a listener that heartbeats while dropping events is caught.
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { after, before, beforeEach, describe, test } from 'node:test';
import { builtinLoginProfiles, createAuthSession } from '../../agent/src/checks/auth.ts';
import { builtinChecks } from '../../agent/src/checks/builtin.ts';
import { parseCheckSpec, type CheckSpec } from '../../agent/src/checks/registry.ts';
import { createDemoApi, type DemoControls } from '../../agent/src/demo/api.ts';
import { createDemoChain, DEMO_CONTRACTS, type DemoChain } from '../../agent/src/demo/chain.ts';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { captureLog, checkContext, fakeClock, runSpec, serveApp, type LocalServer } from './helpers.ts';

const CONTRACTS = [DEMO_CONTRACTS.ProofRegistry, DEMO_CONTRACTS.IdentityNFT];
const CREDENTIALS = { email: 'events@blocktrust.test', password: 'events-pw-2d81' };

/** The JSON-RPC stand-in: the demo chain's answers, or an error for eth_getLogs when told. */
async function serveRpc(chain: DemoChain, calls: { getLogs: number; failGetLogs: boolean }): Promise<LocalServer> {
  const app = new Hono();
  app.post('/', async (c) => {
    const body = await c.req.json();
    if (body?.method === 'eth_getLogs') {
      calls.getLogs += 1;
      if (calls.failGetLogs) return c.json({ jsonrpc: '2.0', id: body.id, error: { code: -32000, message: 'upstream timeout' } });
    }
    return c.json(chain.answer(body));
  });
  return serveApp(app);
}

const specs = (rpcUrl: string, over: Record<string, unknown> = {}): CheckSpec => {
  const builtin = builtinChecks({ intervalSec: 60, polygonRpcUrl: rpcUrl, contracts: CONTRACTS }).find((s) => s.name === 'listener.events');
  assert.ok(builtin, 'listener.events is built in once POLYGON_RPC_URL and the contract addresses are set');
  return parseCheckSpec({ ...builtin, ...over }, 'test', { intervalSec: 60 });
};

describe('listener.events against the listener\'s events table', () => {
  let db: TestDatabase;
  let rpc: LocalServer;
  let head = 1_000n;
  const calls = { getLogs: 0, failGetLogs: false };
  const chain = createDemoChain({ head: () => head });
  let next = 0n;

  /** A listener like the real one: reads the logs of [next, head-4], stores them unless told to drop them, heartbeats next. */
  async function listen(opts: { drop?: boolean } = {}): Promise<void> {
    const to = head - 4n;
    if (!opts.drop) {
      for (const log of chain.logs(next, to, CONTRACTS)) {
        await db.pool.query('INSERT INTO events(event_type, block_number, tx_hash, contract_address) VALUES ($1, $2, $3, $4)', [
          log.eventType,
          log.blockNumber.toString(),
          log.transactionHash,
          log.address,
        ]);
      }
    }
    next = to + 1n;
    await writeHeartbeat(db.pool, next);
  }

  before(async () => {
    db = await migratedDatabase('listener_events');
    await db.pool.query(`CREATE TABLE events(id serial PRIMARY KEY, event_type text, block_number bigint, tx_hash text,
      contract_address text, created_at timestamptz DEFAULT now())`);
    rpc = await serveRpc(chain, calls);
  });
  after(async () => {
    await rpc.close();
    await db.drop();
  });
  beforeEach(async () => {
    calls.failGetLogs = false;
    await db.pool.query('TRUNCATE events');
    await db.pool.query(`DELETE FROM monitor_metrics WHERE check_name = 'listener.tick'`);
    head += 2000n;
    next = head - 1500n;
  });

  const run = (over: Record<string, unknown> = {}) =>
    runSpec(specs(`${rpc.url}/`, over), checkContext({ db: db.pool, settings: { polygonRpcUrl: `${rpc.url}/` } }));

  test('a listener that stores every event passes, over the blocks its heartbeat claims', async () => {
    for (let i = 0; i < 3; i += 1) {
      head += 40n;
      await listen();
    }
    const o = await run();
    assert.ok(o.ok, JSON.stringify(o.details));
    assert.equal(o.details.source, 'database');
    assert.equal(o.details.to_block, String(next - 1n), 'up to the block before the heartbeat (the next one to read)');
    assert.ok(Number(o.details.chain_events) > 50, 'a range with events in it');
    assert.equal(o.details.chain_events, o.details.stored_events);
  });

  test('a listener that keeps its heartbeat while dropping events fails with the missing transaction hashes', async () => {
    head += 40n;
    await listen();
    head += 40n;
    const droppedFrom = next;
    await listen({ drop: true });
    const droppedTo = next - 1n;
    head += 40n;
    await listen();

    const lagAndProgress = builtinChecks({ intervalSec: 60 }).filter((s) => s.name === 'listener.lag' || s.name === 'listener.progress');
    for (const spec of lagAndProgress) {
      const o = await runSpec(spec, checkContext({ db: db.pool, startedAt: new Date(Date.now() - 3_600_000) }));
      assert.ok(o.ok, `${spec.name} stays green: ${JSON.stringify(o.details)}`);
    }

    const o = await run();
    assert.equal(o.ok, false);
    assert.equal(o.details.error_class, 'missing_events');
    const expected = chain.logs(droppedFrom, droppedTo, CONTRACTS).map((l) => l.transactionHash);
    assert.equal(expected.length, 10);
    assert.equal(o.details.missing_count, expected.length);
    assert.deepEqual(o.details.missing_tx_hashes, expected);
    assert.match(String(o.details.error), new RegExp(`^the listener stored \\d+ of the \\d+ contract events on chain in blocks \\d+–\\d+ although its heartbeat says it processed them; missing: ${expected[0]}, `));
  });

  test('more than twenty missing: the first twenty named, the rest counted', async () => {
    head += 200n;
    await listen({ drop: true });
    const o = await run();
    assert.equal(o.details.error_class, 'missing_events');
    assert.equal((o.details.missing_tx_hashes as string[]).length, 20);
    assert.match(String(o.details.error), /and \d+ more$/);
  });

  test('the newest blocks wait for their confirmations, and nothing is judged before the first heartbeat', async () => {
    const none = await run();
    assert.ok(none.ok);
    assert.match(String(none.details.note), /no listener\.tick heartbeat with a block number yet/);
    head += 40n;
    await listen();
    head -= 1n; // the heartbeat is ahead of what is confirmed: the range ends at head - confirmations
    const o = await run({ confirmations: 10 });
    assert.ok(o.ok, JSON.stringify(o.details));
    assert.equal(o.details.to_block, String(head - 10n));
    head += 1n;
  });

  test('a wide range is asked for in slices of 1000 blocks', async () => {
    next = head - 2600n;
    head += 40n;
    await listen();
    const before = calls.getLogs;
    const o = await run({ blockRange: 2500 });
    assert.ok(o.ok, JSON.stringify(o.details));
    assert.equal(calls.getLogs - before, 3);
  });

  test('an RPC error is rpc_error with its message; an events table without the columns is named', async () => {
    head += 40n;
    await listen();
    calls.failGetLogs = true;
    const rpcFails = await run();
    assert.equal(rpcFails.details.error_class, 'rpc_error');
    assert.match(String(rpcFails.details.error), /RPC eth_getLogs error: upstream timeout/);
    calls.failGetLogs = false;
    await db.pool.query('CREATE TABLE odd_events(id serial, hash text)');
    const odd = await run({ eventsTable: 'odd_events', source: 'database' });
    assert.equal(odd.details.error_class, 'internal');
    assert.match(String(odd.details.error), /cannot read the listener's events from the odd_events table \(expected columns tx_hash and block_number\): column "tx_hash" does not exist/);
  });
});

describe('listener.events through /api/explorer/events (the demo API and its dropEvents switch)', () => {
  let db: TestDatabase;
  let api: LocalServer;
  let controls: DemoControls;
  let listenerNext = 5_000_000n;
  const chain = createDemoChain({ head: () => listenerNext + 4n });

  before(async () => {
    db = await migratedDatabase('listener_events_api');
    const demo = createDemoApi({ credentials: CREDENTIALS, chain, listenerBlock: () => listenerNext });
    controls = demo.controls;
    api = await serveApp(demo.app);
  });
  after(async () => {
    await api.close();
    await db.drop();
  });

  const run = async () => {
    await writeHeartbeat(db.pool, listenerNext);
    const auth = createAuthSession({
      apiBase: api.url,
      profiles: builtinLoginProfiles({ explorer: CREDENTIALS, user: {} }),
      fetch,
      clock: fakeClock(Date.now()),
      log: captureLog(),
    });
    const rpcUrl = `${api.url}/__demo/rpc`;
    return runSpec(specs(rpcUrl), checkContext({ db: db.pool, auth, settings: { apiBase: api.url, polygonRpcUrl: rpcUrl } }));
  };

  test('the listener stores every event: passes, reading the events from the API', async () => {
    controls.reset();
    listenerNext += 300n;
    const o = await run();
    assert.ok(o.ok, JSON.stringify(o.details));
    assert.equal(o.details.source, 'api');
    assert.ok(Number(o.details.chain_events) > 0);
  });

  test('dropEvents: the heartbeat keeps advancing, the events of those blocks are missing, named by hash', async () => {
    controls.reset();
    listenerNext += 10n;
    await run();
    controls.setFaults({ dropEvents: true });
    const from = listenerNext;
    listenerNext += 20n;
    const o = await run();
    assert.equal(o.ok, false, JSON.stringify(o.details));
    assert.equal(o.details.error_class, 'missing_events');
    assert.deepEqual(
      o.details.missing_tx_hashes,
      chain.logs(from, listenerNext - 1n, CONTRACTS).map((l) => l.transactionHash),
    );
    controls.reset();
    assert.ok((await run()).ok, 'after reset the lost events are back-filled');
  });

  test('an events route that fails shows its own error', async () => {
    controls.reset();
    controls.setFaults({ errorRateByPath: { '/api/explorer/events': 1 } });
    const o = await run();
    assert.equal(o.details.error_class, 'http_status');
    assert.match(String(o.details.error), /^cannot read the listener's events from the API: HTTP 503 .*"Service Unavailable"$/);
    controls.reset();
  });
});

describe('listener.events specs', () => {
  test('built in only with POLYGON_RPC_URL and at least one contract address', () => {
    const names = (o: { polygonRpcUrl?: string; contracts?: string[] }) => builtinChecks({ intervalSec: 60, ...o }).map((s) => s.name);
    assert.ok(!names({ contracts: CONTRACTS }).includes('listener.events'));
    assert.ok(!names({ polygonRpcUrl: 'http://127.0.0.1:1/' }).includes('listener.events'));
    assert.ok(names({ polygonRpcUrl: 'http://127.0.0.1:1/', contracts: CONTRACTS }).includes('listener.events'));
  });

  test('bad fields are named', () => {
    const parse = (raw: Record<string, unknown>) =>
      parseCheckSpec({ name: 'e', kind: 'listener_events', ...raw }, 'checks.yaml: checks[0]', { intervalSec: 60 }, { snakeCaseKeys: true });
    assert.throws(() => parse({}), /checks\.yaml: checks\[0\]\.contracts: /);
    assert.throws(() => parse({ contracts: ['0x12'] }), /contracts\[0\]: expected a contract address/);
    assert.throws(() => parse({ contracts: CONTRACTS, eventsTable: 'events; DROP TABLE x' }), /events_table: expected a table name/);
    assert.throws(() => parse({ contracts: CONTRACTS, source: 'file' }), /source: expected auto, database or api/);
  });
});
