import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { builtinLoginProfiles, createAuthSession } from '../../agent/src/checks/auth.ts';
import { builtinChecks } from '../../agent/src/checks/builtin.ts';
import type { CheckSpec } from '../../agent/src/checks/registry.ts';
import type { CheckOutcome } from '../../agent/src/core/types.ts';
import { createDemoApi, type DemoControls } from '../../agent/src/demo/api.ts';
import { createDemoListener, type DemoListener } from '../../agent/src/demo/listener.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { captureLog, checkContext, fakeClock, runSpec, serveApp, serveHttp, type LocalServer } from '../checks/helpers.ts';

const credentials = { email: 'monitor@demo.blocktrust.test', password: 'demo-test-pw-7f3a' };

let db: TestDatabase;
let api: LocalServer;
let rpc: LocalServer;
let controls: DemoControls;
let listener: DemoListener;
let auth: ReturnType<typeof createAuthSession>;

before(async () => {
  db = await migratedDatabase('demo');
  const demo = createDemoApi({ credentials, users: [credentials] });
  controls = demo.controls;
  api = await serveApp(demo.app);
  // The chain head follows the demo listener, a few blocks ahead.
  rpc = await serveHttp((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: `0x${(listener.block + 4n).toString(16)}` }));
  });
  listener = createDemoListener({ db: db.pool, startBlock: 60_000_000n });
  auth = createAuthSession({
    apiBase: api.url,
    profiles: builtinLoginProfiles({ explorer: credentials, user: credentials }),
    fetch,
    clock: fakeClock(Date.now()),
    log: captureLog(),
  });
});
after(async () => {
  await Promise.all([api.close(), rpc.close()]);
  await listener.stop();
  await db.drop();
});

// A short deadline only for the checks a fault is meant to time out: the others keep a deadline load cannot miss.
const specs = (timeoutMs?: number, only: string[] = []): CheckSpec[] =>
  builtinChecks({ intervalSec: 60, timeoutMs: 10_000, polygonRpcUrl: `${rpc.url}/`, userLogin: true }).map((s) =>
    timeoutMs !== undefined && only.includes(s.name) ? { ...s, timeoutMs } : s);
const memories = new Map<string, Map<string, unknown>>();

async function runAll(timeoutMs?: number, only?: string[]): Promise<Record<string, CheckOutcome>> {
  const entries = await Promise.all(
    specs(timeoutMs, only).map(async (spec) => {
      if (!memories.has(spec.name)) memories.set(spec.name, new Map());
      const ctx = checkContext({
        db: db.pool,
        auth,
        clock: fakeClock(Date.now()),
        memory: memories.get(spec.name),
        startedAt: new Date(Date.now() - 3_600_000),
        timeoutMs: spec.timeoutMs,
        settings: { apiBase: api.url, polygonRpcUrl: `${rpc.url}/` },
      });
      return [spec.name, await runSpec(spec, ctx)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const failing = (results: Record<string, CheckOutcome>) =>
  Object.fromEntries(
    Object.entries(results)
      .filter(([, o]) => !o.ok)
      .map(([name, o]) => [name, o.details.error_class]),
  );

describe('built-in checks against the demo API and demo listener', () => {
  beforeEach(async () => {
    controls.reset();
    listener.resume();
    await db.pool.query('DELETE FROM monitor_metrics');
    for (let i = 0; i < 3; i += 1) await listener.tick();
  });

  test('all eleven checks pass on a healthy demo', async () => {
    const results = await runAll();
    assert.deepEqual(failing(results), {});
    assert.equal(Object.keys(results).length, 11);
    assert.equal(results['chain.head'].details.lag_blocks, 4);
    assert.equal(results['listener.lag'].details.block_number, listener.block.toString());
  });

  const faults: Array<{
    name: string;
    apply: () => Promise<void> | void;
    timeoutMs?: number;
    expect: Record<string, string>;
    says?: [string, RegExp];
  }> = [
    {
      name: 'error rate 1 on every path: every API check fails with http_status',
      apply: () => void controls.setFaults({ errorRate: 1 }),
      expect: {
        'api.health': 'http_status',
        'api.db': 'http_status',
        'api.events': 'http_status',
        'api.contracts': 'http_status',
        'api.stats': 'http_status',
        'synthetic.hash': 'http_status',
        'synthetic.wallet_info': 'http_status',
        'synthetic.nft_status': 'http_status',
      },
    },
    {
      name: 'error rate on one path fails that check only',
      apply: () => void controls.setFaults({ errorRateByPath: { '/api/explorer/stats': 1 } }),
      expect: { 'api.stats': 'http_status' },
      says: ['api.stats', /HTTP 503/],
    },
    {
      name: 'bad hash fails synthetic.hash as an assertion',
      apply: () => void controls.setFaults({ badHash: true }),
      expect: { 'synthetic.hash': 'assertion' },
      says: ['synthetic.hash', /file_hash is not the SHA-256 of file_content/],
    },
    {
      name: 'contracts not deployed fails api.contracts (404)',
      apply: () => void controls.setFaults({ contractsNotDeployed: true }),
      expect: { 'api.contracts': 'http_status' },
      says: ['api.contracts', /smart contracts are not deployed, or the API's host lacks their deployment file \(HTTP 404\): "Contracts not deployed"/],
    },
    {
      name: 'a hung path times out that check only',
      apply: () => void controls.setFaults({ hang: ['/api/explorer/events'] }),
      timeoutMs: 300,
      expect: { 'api.events': 'timeout' },
    },
    {
      name: 'latency beyond the timeout on one path',
      apply: () => void controls.setFaults({ latencyByPath: { '/api/health': 1000 } }),
      timeoutMs: 300,
      expect: { 'api.health': 'timeout' },
    },
    {
      name: 'expired tokens fail every authenticated check as auth',
      apply: () => void controls.setFaults({ expiredTokens: true }),
      expect: { 'api.events': 'auth', 'synthetic.hash': 'auth', 'synthetic.wallet_info': 'auth', 'synthetic.nft_status': 'auth' },
    },
    {
      name: "the API's database down fails api.db alone, with the driver's error; /api/health stays 200",
      apply: () => void controls.setFaults({ dbDown: true }),
      expect: { 'api.db': 'http_status' },
      says: ['api.db', /^the API cannot reach its database \(HTTP 500\): "connection to server at .* failed: Connection refused"$/],
    },
    {
      name: 'no wallet and no NFT (404) are normal answers',
      apply: () => void controls.setFaults({ noWallet: true, noNft: true }),
      expect: {},
    },
    {
      name: 'a stalled listener fails listener.lag',
      apply: async () => {
        listener.stall();
        await listener.tick();
        await db.pool.query(`UPDATE monitor_metrics SET ts = ts - interval '10 minutes'`);
      },
      expect: { 'listener.lag': 'listener_stalled', 'listener.progress': 'no_data' },
    },
    {
      name: 'a listener stuck on one block fails listener.progress while listener.lag passes',
      apply: async () => {
        await db.pool.query(`UPDATE monitor_metrics SET ts = ts - interval '15 minutes'`);
        listener.freezeBlock();
        for (let i = 0; i < 3; i += 1) await listener.tick();
      },
      expect: { 'listener.progress': 'no_progress' },
      says: ['listener.progress', /keeps writing heartbeats but its highest block/],
    },
  ];
  for (const f of faults) {
    test(`fault: ${f.name}`, async () => {
      await f.apply();
      const results = await runAll(f.timeoutMs, Object.keys(f.expect));
      assert.deepEqual(failing(results), f.expect);
      if (f.says) assert.match(String(results[f.says[0]].details.error), f.says[1]);
      controls.reset();
      listener.resume();
    });
  }

  test('one synchronous worker: a request hung on the database makes the checks of every route time out together', async () => {
    controls.setFaults({ singleWorker: true, hang: ['/api/db/health'] });
    // Someone's request is stuck on the database before the checks arrive.
    const holder = new AbortController();
    const stuck = fetch(`${api.url}/api/db/health`, { signal: holder.signal }).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (controls.hanging === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const api_ = ['api.health', 'api.db', 'api.events', 'api.contracts', 'api.stats', 'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status'];
    const results = await runAll(1000, api_);
    assert.deepEqual(failing(results), Object.fromEntries(api_.map((n) => [n, 'timeout'])), 'one root cause, every API check times out');
    assert.ok(results['listener.lag'].ok && results['listener.progress'].ok, 'checks that do not call the API are untouched');
    holder.abort();
    controls.reset();
    await stuck;
  });

  test('faults can be switched over HTTP and reset', async () => {
    const set = await fetch(`${api.url}/__demo/faults`, {
      method: 'POST',
      body: JSON.stringify({ badHash: true, latencyMs: 0 }),
    });
    assert.equal(set.status, 200);
    assert.equal((await set.json()).badHash, true);
    assert.deepEqual(failing(await runAll()), { 'synthetic.hash': 'assertion' });
    const bad = await fetch(`${api.url}/__demo/faults`, { method: 'POST', body: JSON.stringify({ errorRate: 2 }) });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /^errorRate: /);
    await fetch(`${api.url}/__demo/faults`, { method: 'POST', body: JSON.stringify({ reset: true }) });
    assert.equal(controls.faults.badHash, false);
  });
});

describe('demo API endpoints', () => {
  beforeEach(() => controls.reset());
  const login = (body: unknown, path = '/api/explorer/login') =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const userLogin = (body: unknown) => login(body, '/api/auth/login');

  test('login: success, bad credentials, missing fields', async () => {
    const ok = await login(credentials);
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.deepEqual(Object.keys(body).sort(), ['expires_in', 'status', 'token']);
    assert.equal(body.status, 'success');
    assert.equal(body.expires_in, 43200);
    assert.equal(body.token.split('.').length, 3);
    const bad = await login({ ...credentials, password: 'wrong' });
    assert.equal(bad.status, 401);
    assert.ok((await bad.json()).error);
    assert.equal((await login({ email: credentials.email })).status, 400);
  });

  test('user login: the real API\'s answer, no expires_in, a 7-day exp claim; wrong credentials in its words', async () => {
    const res = await userLogin(credentials);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ['message', 'token', 'user']);
    assert.deepEqual(Object.keys(body.user).sort(), ['email', 'id', 'role']);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
    assert.ok(claims.user_id && claims.email && claims.role);
    assert.ok(Math.abs(claims.exp - Date.now() / 1000 - 7 * 86_400) < 60);
    const bad = await userLogin({ ...credentials, password: 'wrong' });
    assert.equal(bad.status, 401);
    assert.deepEqual(await bad.json(), { error: 'Credenciais inválidas' });
  });

  test("an explorer token on a user route: 500 {\"details\":\"'user_id'\"}, as the real API answers", async () => {
    const { token } = await (await login(credentials)).json();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.ok(claims.email && !('user_id' in claims));
    const res = await fetch(`${api.url}/api/nft/status`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { details: "'user_id'" });
  });

  test('api.db: 200 DB connection OK, or 500 with the driver error when the fault is on', async () => {
    assert.deepEqual(await (await fetch(`${api.url}/api/db/health`)).json(), { success: true, message: 'DB connection OK' });
    controls.setFaults({ dbDown: true });
    const down = await fetch(`${api.url}/api/db/health`);
    assert.equal(down.status, 500);
    assert.equal((await down.json()).success, false);
    assert.equal((await fetch(`${api.url}/api/health`)).status, 200, '/api/health never touches the database');
  });

  test('authenticated endpoints refuse missing, forged and expired tokens', async () => {
    const { token } = await (await userLogin(credentials)).json();
    const get = (t?: string) => fetch(`${api.url}/api/wallet/info`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
    assert.equal((await get(token)).status, 200);
    assert.equal((await get()).status, 401);
    const [h, p, s] = token.split('.');
    assert.equal((await get(`${h}.${p}.${s.slice(0, -2)}xx`)).status, 401);
    controls.revokeTokens();
    const expired = await get(token);
    assert.equal(expired.status, 401);
    assert.equal((await expired.json()).error, 'Token expired');
  });

  test('tokens expire after tokenTtlSec', async () => {
    const clock = fakeClock(Date.now());
    const demo = createDemoApi({ credentials, tokenTtlSec: 60, now: () => clock.ms() });
    const res = await demo.app.request('/api/explorer/login', {
      method: 'POST',
      body: JSON.stringify(credentials),
      headers: { 'content-type': 'application/json' },
    });
    const { token, expires_in } = await res.json();
    assert.equal(expires_in, 60);
    const call = () => demo.app.request('/api/explorer/events', { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await call()).status, 200);
    clock.advance(61_000);
    assert.equal((await call()).status, 401);
  });

  test('payloads match the v1.2 guide', async () => {
    const { token } = await (await login(credentials)).json();
    const authz = { authorization: `Bearer ${token}` };
    const { token: userToken } = await (await userLogin(credentials)).json();
    const userAuthz = { authorization: `Bearer ${userToken}` };
    assert.deepEqual(await (await fetch(`${api.url}/api/health`)).json(), { service: 'blocktrust-api', status: 'ok' });
    const events = await (await fetch(`${api.url}/api/explorer/events?limit=5&offset=2`, { headers: authz })).json();
    assert.deepEqual(
      [events.status, events.events.length, events.limit, events.offset, typeof events.total],
      ['success', 5, 5, 2, 'number'],
    );
    const contracts = await (await fetch(`${api.url}/api/explorer/contracts`)).json();
    assert.deepEqual(Object.keys(contracts.contracts).sort(), ['FailSafe', 'IdentityNFT', 'ProofRegistry']);
    assert.ok(contracts.network && contracts.chainId);
    const stats = await (await fetch(`${api.url}/api/explorer/stats`)).json();
    assert.deepEqual(Object.keys(stats.stats).sort(), ['events_24h', 'events_by_type', 'last_event', 'total_events']);
    const text = 'contrato assinado ✓';
    const hash = await (
      await fetch(`${api.url}/api/signature/hash-file`, {
        method: 'POST',
        headers: { ...userAuthz, 'content-type': 'application/json' },
        body: JSON.stringify({ file_content: text }),
      })
    ).json();
    assert.deepEqual(hash, { file_hash: createHash('sha256').update(text).digest('hex') });
    assert.ok((await (await fetch(`${api.url}/api/wallet/info`, { headers: userAuthz })).json()).address);
    assert.deepEqual(Object.keys(await (await fetch(`${api.url}/api/nft/status`, { headers: userAuthz })).json()).sort(), [
      'has_nft',
      'nft_id',
    ]);
    assert.equal((await fetch(`${api.url}/api/nope`)).status, 404);
  });

  test('a hung request is released by reset()', async () => {
    controls.setFaults({ hang: ['*'] });
    const seen = controls.stats.requests['/api/health'] ?? 0;
    const pending = fetch(`${api.url}/api/health`);
    while ((controls.stats.requests['/api/health'] ?? 0) === seen) await new Promise((r) => setTimeout(r, 5));
    controls.reset();
    assert.equal((await pending).status, 503);
    assert.equal(controls.hanging, 0);
  });

  test('a hung request whose client gives up is released', async () => {
    controls.setFaults({ hang: ['/api/health'] });
    await fetch(`${api.url}/api/health`, { signal: AbortSignal.timeout(100) }).catch(() => undefined);
    for (let i = 0; i < 200 && controls.hanging > 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(controls.hanging, 0);
  });

  test('the demo needs credentials from the caller', () => {
    assert.throws(() => createDemoApi({ credentials: { email: '', password: '' } }), /needs credentials/);
  });
});

describe('demo listener', () => {
  test('writes advancing string block numbers on its interval, and stops cleanly', async () => {
    await db.pool.query('DELETE FROM monitor_metrics');
    const l = createDemoListener({ db: db.pool, intervalMs: 10, startBlock: 100, blocksPerTick: 2 });
    l.start();
    assert.equal(l.state, 'running');
    let n = 0;
    while (n < 4) {
      await new Promise((r) => setTimeout(r, 10));
      n = Number((await db.pool.query(`SELECT count(*) AS n FROM monitor_metrics WHERE check_name = 'listener.tick'`)).rows[0].n);
    }
    await l.stop();
    assert.equal(l.state, 'stopped');
    const { rows } = await db.pool.query(`SELECT details FROM monitor_metrics ORDER BY id`);
    const blocks = rows.map((r) => r.details.block_number);
    assert.ok(blocks.every((b) => typeof b === 'string'));
    assert.deepEqual(blocks.slice(0, 4), ['102', '104', '106', '108']);
    const count = rows.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(
      Number((await db.pool.query(`SELECT count(*) AS n FROM monitor_metrics`)).rows[0].n),
      count,
      'nothing written after stop',
    );
  });

  test('stall writes nothing; freezeBlock repeats the block; resume advances again', async () => {
    await db.pool.query('DELETE FROM monitor_metrics');
    const l = createDemoListener({ db: db.pool, startBlock: 10, blocksPerTick: 1 });
    await l.tick();
    l.stall();
    await l.tick();
    l.resume();
    l.freezeBlock();
    await l.tick();
    await l.tick();
    l.resume();
    await l.tick();
    const { rows } = await db.pool.query(`SELECT details->>'block_number' AS b FROM monitor_metrics ORDER BY id`);
    assert.deepEqual(
      rows.map((r) => r.b),
      ['11', '11', '11', '12'],
    );
  });
});
