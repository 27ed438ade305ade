import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { builtinLoginProfiles, createAuthSession } from '../../agent/src/checks/auth.ts';
import { parseCheckSpec, type CheckSpec } from '../../agent/src/checks/registry.ts';
import { createDemoApi, type DemoControls } from '../../agent/src/demo/api.ts';
import {
  captureLog,
  checkContext,
  closedPort,
  fakeClock,
  runSpec,
  serveApp,
  serveDropper,
  serveHttp,
  serveHttps,
  type LocalServer,
} from './helpers.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A small target whose answers the scenarios choose by path. */
function target(req: http.IncomingMessage, res: http.ServerResponse): void {
  const send = (status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    switch (req.url) {
      case '/ok':
        return send(
          200,
          JSON.stringify({ status: 'ok', service: 'x', stats: { total: 3, by_type: { a: 1 } }, items: [{ id: 7 }], last: null }),
        );
      case '/plain':
        return send(200, 'hello', 'text/plain');
      case '/html':
        return send(200, '<html>maintenance</html>', 'text/html');
      case '/broken-json':
        return send(200, '{"status": "ok",', 'application/json');
      case '/missing':
        return send(404, JSON.stringify({ error: 'not here' }));
      case '/unavailable':
        return send(503, JSON.stringify({ error: 'Service Unavailable' }));
      case '/echo-hash': {
        const text = JSON.parse(body).file_content as string;
        return send(200, JSON.stringify({ file_hash: sha(text) }));
      }
      case '/echo-headers':
        return send(
          200,
          JSON.stringify({
            method: req.method,
            xprobe: req.headers['x-probe'] ?? null,
            type: req.headers['content-type'] ?? null,
          }),
        );
      case '/leaky':
        return send(500, 'upstream said: Authorization: Bearer sekrit-token-123 for https://x.test/cb?token=sekrit-q');
      case '/big':
        return send(200, JSON.stringify({ list: Array.from({ length: 500 }, (_, i) => i) }));
      case '/hang':
        return;
      default:
        return send(404, '{}');
    }
  });
}

describe('http check: answers and assertions', () => {
  let server: LocalServer;
  before(async () => {
    server = await serveHttp(target);
  });
  after(() => server.close());

  const spec = (raw: Record<string, unknown>) =>
    parseCheckSpec({ name: 't.http', kind: 'http', ...raw }, 'test', { intervalSec: 60 });
  const scenarios: Array<{
    name: string;
    raw: Record<string, unknown>;
    ok: boolean;
    cls?: string;
    expected?: unknown;
    actual?: unknown;
    timeoutMs?: number;
  }> = [
    { name: 'passes on 200 with default expectations', raw: { path: '/ok' }, ok: true },
    { name: 'passes on a status of the set', raw: { path: '/missing', expect: { status: [200, 404] } }, ok: true },
    {
      name: 'body assertions are not applied to a passing 404',
      raw: { path: '/missing', expect: { status: [200, 404], json: [{ path: 'address', exists: true }] } },
      ok: true,
    },
    {
      name: 'fails on a status outside the set',
      raw: { path: '/unavailable' },
      ok: false,
      cls: 'http_status',
      expected: [200],
      actual: 503,
    },
    {
      name: 'JSON path equals passes',
      raw: {
        path: '/ok',
        expect: {
          json: [
            { path: 'status', equals: 'ok' },
            { path: 'stats.by_type', equals: { a: 1 } },
            { path: 'items.0.id', equals: 7 },
          ],
        },
      },
      ok: true,
    },
    {
      name: 'JSON path equals fails with the value seen',
      raw: { path: '/ok', expect: { json: [{ path: 'stats.total', equals: 4 }] } },
      ok: false,
      cls: 'assertion',
      expected: 4,
      actual: 3,
    },
    {
      name: 'JSON path exists fails on a missing key',
      raw: { path: '/ok', expect: { json: [{ path: 'stats.events_24h', exists: true }] } },
      ok: false,
      cls: 'assertion',
      expected: 'present',
      actual: 'missing',
    },
    {
      name: 'JSON path type fails with the type seen',
      raw: { path: '/ok', expect: { json: [{ path: 'items', type: 'object' }] } },
      ok: false,
      cls: 'assertion',
      expected: 'object',
      actual: 'array',
    },
    {
      name: 'null counts as present',
      raw: { path: '/ok', expect: { json: [{ path: 'last', exists: true, type: 'null' }] } },
      ok: true,
    },
    {
      name: 'JSON shape passes',
      raw: {
        path: '/ok',
        expect: { shape: { status: 'string', stats: { total: 'number', by_type: 'object' }, items: 'array', last: 'any' } },
      },
      ok: true,
    },
    {
      name: 'JSON shape fails naming the path',
      raw: { path: '/ok', expect: { shape: { stats: { total: 'string' } } } },
      ok: false,
      cls: 'assertion',
      expected: 'string',
      actual: 'number',
    },
    { name: 'body SHA-256 passes', raw: { path: '/plain', expect: { bodySha256: sha('hello') } }, ok: true },
    {
      name: 'body SHA-256 fails with the hash seen',
      raw: { path: '/plain', expect: { bodySha256: sha('bye') } },
      ok: false,
      cls: 'assertion',
      expected: sha('bye'),
      actual: sha('hello'),
    },
    {
      name: 'invalid JSON when JSON is asserted',
      raw: { path: '/broken-json', expect: { json: [{ path: 'status', equals: 'ok' }] } },
      ok: false,
      cls: 'invalid_json',
    },
    {
      name: 'an HTML page where JSON is expected',
      raw: { path: '/html', expect: { shape: { status: 'string' } } },
      ok: false,
      cls: 'invalid_json',
    },
    {
      name: 'sha256Of: the API hashes a fresh text correctly',
      raw: {
        method: 'POST',
        path: '/echo-hash',
        body: { file_content: 'probe {{uuid}} {{now}}' },
        expect: { sha256Of: { response: 'file_hash', request: 'file_content' } },
      },
      ok: true,
    },
    {
      name: 'method and headers are sent',
      raw: {
        method: 'put',
        path: '/echo-headers',
        headers: { 'x-probe': 'yes' },
        expect: {
          json: [
            { path: 'method', equals: 'PUT' },
            { path: 'xprobe', equals: 'yes' },
          ],
        },
      },
      ok: true,
    },
    {
      name: 'a Content-Type written by the user is sent once, as written',
      raw: {
        method: 'POST',
        path: '/echo-headers',
        headers: { 'Content-Type': 'application/vnd.blocktrust+json' },
        body: { a: 1 },
        expect: { json: [{ path: 'type', equals: 'application/vnd.blocktrust+json' }] },
      },
      ok: true,
    },
    { name: 'timeout on a server that never answers', raw: { path: '/hang' }, ok: false, cls: 'timeout', timeoutMs: 300 },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      const outcome = await runSpec(spec(s.raw), checkContext({ settings: { apiBase: server.url }, timeoutMs: s.timeoutMs }));
      assert.equal(outcome.ok, s.ok, JSON.stringify(outcome.details));
      if (s.cls) {
        assert.equal(outcome.details.error_class, s.cls);
        assert.equal(typeof outcome.details.error, 'string');
        assert.ok((outcome.details.error as string).length > 10, 'a readable sentence');
      }
      if ('expected' in s) assert.deepEqual(outcome.details.expected, s.expected);
      if ('actual' in s) assert.deepEqual(outcome.details.actual, s.actual);
      if (!s.ok) assert.match(String(outcome.details.url), /^http:\/\/127\.0\.0\.1:\d+\//);
    });
  }

  test('a 404 with a known meaning says it in words', async () => {
    const outcome = await runSpec(
      spec({ path: '/missing', expect: { statusMeaning: { '404': 'the smart contracts are not deployed' } } }),
      checkContext({ settings: { apiBase: server.url } }),
    );
    assert.equal(outcome.details.error_class, 'http_status');
    assert.equal(outcome.details.error, 'the smart contracts are not deployed (HTTP 404): "not here"', "with the answer's own error text");
  });

  test('body excerpts leave out bearer tokens and query strings; large values are shortened', async () => {
    const leaky = await runSpec(spec({ path: '/leaky' }), checkContext({ settings: { apiBase: server.url } }));
    assert.equal(leaky.details.error_class, 'http_status');
    assert.match(String(leaky.details.body_excerpt), /Bearer …/);
    assert.doesNotMatch(JSON.stringify(leaky.details), /sekrit/);
    const big = await runSpec(
      spec({ path: '/big', expect: { json: [{ path: 'list', equals: [] }] } }),
      checkContext({ settings: { apiBase: server.url } }),
    );
    assert.equal(big.details.error_class, 'assertion');
    assert.ok(String(big.details.actual).length <= 501);
  });

  test('an absolute url wins over API_BASE and its query string stays out of details', async () => {
    const outcome = await runSpec(spec({ url: `${server.url}/unavailable?api_key=s3cret` }), checkContext());
    assert.equal(outcome.details.error_class, 'http_status');
    assert.ok(!JSON.stringify(outcome.details).includes('s3cret'));
  });
});

describe('http check: unreachable targets', () => {
  let tls: LocalServer;
  let dropper: LocalServer;
  before(async () => {
    tls = await serveHttps((_q, r) => r.end('{}'));
    dropper = await serveDropper();
  });
  after(async () => {
    await Promise.all([tls.close(), dropper.close()]);
  });
  const scenarios: Array<{ name: string; url: () => Promise<string>; cls: string }> = [
    { name: 'connection refused', url: async () => `http://127.0.0.1:${await closedPort()}/api/health`, cls: 'connect_refused' },
    { name: 'DNS (.invalid host)', url: async () => 'http://api.blocktrust-monitor-test.invalid/api/health', cls: 'dns' },
    { name: 'TLS (self-signed certificate)', url: async () => `${tls.url}/api/health`, cls: 'tls' },
    { name: 'network (connection dropped)', url: async () => `${dropper.url}/api/health`, cls: 'network' },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      const url = await s.url();
      const outcome = await runSpec(
        parseCheckSpec({ name: 't', kind: 'http', url }, 'test', { intervalSec: 60 }),
        checkContext(),
      );
      assert.equal(outcome.ok, false);
      assert.equal(outcome.details.error_class, s.cls, String(outcome.details.error));
      assert.equal(outcome.details.url, url);
    });
  }
});

describe('flow check: steps sharing captured values', () => {
  let server: LocalServer;
  let controls: DemoControls;
  const credentials = { email: 'flow@blocktrust.test', password: 'flow-test-pw-91c2' };
  before(async () => {
    const demo = createDemoApi({ credentials, users: [credentials] });
    controls = demo.controls;
    server = await serveApp(demo.app);
  });
  after(() => server.close());

  const flow = (): CheckSpec =>
    parseCheckSpec(
      {
        name: 'synthetic.sign_flow',
        kind: 'flow',
        steps: [
          { name: 'login', method: 'POST', path: '/api/auth/login', body: credentials, capture: { jwt: 'token' } },
          {
            name: 'hash',
            method: 'POST',
            path: '/api/signature/hash-file',
            headers: { authorization: 'Bearer {{jwt}}' },
            body: { file_content: 'flow {{uuid}}' },
            expect: { sha256Of: { response: 'file_hash', request: 'file_content' } },
            capture: { hash: 'file_hash' },
          },
          {
            name: 'events',
            path: '/api/explorer/events?limit=5',
            headers: { authorization: 'Bearer {{jwt}}' },
            expect: { json: [{ path: 'limit', equals: 5 }] },
          },
        ],
      },
      'test',
      { intervalSec: 60 },
    );

  test('passes when every step passes', async () => {
    controls.reset();
    const outcome = await runSpec(flow(), checkContext({ settings: { apiBase: server.url } }));
    assert.ok(outcome.ok, JSON.stringify(outcome.details));
    assert.deepEqual(
      (outcome.details.steps as Array<{ step: string }>).map((s) => s.step),
      ['login', 'hash', 'events'],
    );
  });

  test('names the failing step and keeps its class', async () => {
    controls.reset();
    controls.setFaults({ badHash: true });
    const outcome = await runSpec(flow(), checkContext({ settings: { apiBase: server.url } }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.details.step, 'hash');
    assert.equal(outcome.details.error_class, 'assertion');
    assert.match(String(outcome.details.error), /^hash: file_hash is not the SHA-256 of file_content/);
    controls.reset();
  });

  test('a step can use a login profile of the auth session', async () => {
    controls.reset();
    const auth = createAuthSession({
      apiBase: server.url,
      profiles: builtinLoginProfiles({ explorer: credentials, user: credentials }),
      fetch,
      clock: fakeClock(Date.now()),
      log: captureLog(),
    });
    const spec = parseCheckSpec(
      {
        name: 'f',
        kind: 'flow',
        steps: [{ path: '/api/nft/status', auth: 'user', expect: { json: [{ path: 'has_nft', equals: true }] } }],
      },
      'test',
      { intervalSec: 60 },
    );
    const outcome = await runSpec(spec, checkContext({ auth, settings: { apiBase: server.url } }));
    assert.ok(outcome.ok, JSON.stringify(outcome.details));
  });
});
