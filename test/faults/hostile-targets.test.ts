// Targets that misbehave on purpose, each run through the real runner (deadline, classification): one result
// per run, failing with the class that names what happened and the values seen.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseCheckSpec, type CheckSpec } from '../../agent/src/checks/registry.ts';
import { classifyError } from '../../agent/src/checks/errors.ts';
import { runHttpCheck } from '../../agent/src/checks/http.ts';
import type { AnyCheckFn } from '../../agent/src/checks/types.ts';
import { runCheck } from '../../agent/src/core/runner.ts';
import type { CheckResult } from '../../agent/src/core/types.ts';
import { checkContext, serveHttp, serveHttps, type LocalServer } from '../checks/helpers.ts';
import { systemClock } from '../../agent/src/core/types.ts';

const MIB = 1024 * 1024;
let hostile: LocalServer;
let tls: LocalServer;
let hits: Record<string, number> = {};

before(async () => {
  hostile = await serveHttp((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits[url.pathname] = (hits[url.pathname] ?? 0) + 1;
    switch (url.pathname) {
      case '/hang':
        return; // never answers
      case '/trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"status":');
        const t = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/big-declared': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * MIB) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 50 * MIB && res.write(chunk)) sent += chunk.length;
          if (sent < 50 * MIB) res.once('drain', () => { sent += chunk.length; pump(); });
          else res.end();
        };
        res.on('error', () => {});
        return pump();
      }
      case '/big-chunked': {
        // No Content-Length: only reading tells the size.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (!res.destroyed && sent < 50 * MIB && res.write(chunk)) sent += chunk.length;
          if (res.destroyed) return;
          if (sent < 50 * MIB) res.once('drain', () => { sent += chunk.length; pump(); });
          else res.end();
        };
        res.on('error', () => {});
        return pump();
      }
      case '/loop-a':
        return res.writeHead(302, { location: '/loop-b' }).end();
      case '/loop-b':
        return res.writeHead(301, { location: `http://127.0.0.1:${hostile.port}/loop-a` }).end();
      case '/chain': {
        const n = Number(url.searchParams.get('n') ?? 0);
        return res.writeHead(307, { location: `/chain?n=${n + 1}` }).end();
      }
      case '/moved':
        return res.writeHead(303, { location: '/ok' }).end();
      case '/ok':
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', method: req.method }));
      case '/bad-json':
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status": "ok",,, <html>');
      default:
        return res.writeHead(404).end();
    }
  });
  tls = await serveHttps((_q, r) => r.end('{"status":"ok"}'));
});
after(async () => {
  await Promise.all([hostile.close(), tls.close()]);
});

function spec(name: string, url: string, extra: Record<string, unknown> = {}): CheckSpec {
  return parseCheckSpec({ name, kind: 'http', url, timeoutMs: 2000, intervalSec: 60, expect: { status: [200], json: [{ path: 'status', equals: 'ok' }] }, ...extra },
    name, { intervalSec: 60 });
}

async function run(s: CheckSpec): Promise<CheckResult> {
  const { signal: _signal, ...ctx } = checkContext({ clock: systemClock });
  return runCheck(s, runHttpCheck as AnyCheckFn, ctx, classifyError);
}

describe('hostile targets', () => {
  test('a target that never answers: timeout', async () => {
    const r = await run(spec('t.hang', `${hostile.url}/hang`));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'timeout']);
  });

  test('a target that trickles one byte at a time: timeout, not a pass', async () => {
    const r = await run(spec('t.trickle', `${hostile.url}/trickle`));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'timeout']);
  });

  test('50 MB declared: too_large before reading, with the declared size', async () => {
    const r = await run(spec('t.big', `${hostile.url}/big-declared`));
    assert.deepEqual([r.ok, r.details.error_class, r.details.size_seen, r.details.max_bytes], [false, 'too_large', 50 * MIB, MIB]);
    assert.match(String(r.details.error), /52,428,800 bytes \(Content-Length\), over the limit of 1,048,576 bytes/);
  });

  test('50 MB without a length: read as a stream and cut just past the limit', async () => {
    const r = await run(spec('t.chunked', `${hostile.url}/big-chunked`));
    assert.deepEqual([r.ok, r.details.error_class, r.details.max_bytes], [false, 'too_large', MIB]);
    const seen = Number(r.details.size_seen);
    assert.ok(seen > MIB && seen <= MIB + 256 * 1024, `cut at ${seen} bytes`);
  });

  test('the limit is per check: max_response_bytes 20 fails a 30-byte answer that 1 MiB passes', async () => {
    const small = await run(spec('t.small', `${hostile.url}/ok`, { maxResponseBytes: 20 }));
    assert.deepEqual([small.ok, small.details.error_class], [false, 'too_large']);
    const fine = await run(spec('t.fine', `${hostile.url}/ok`));
    assert.equal(fine.ok, true, JSON.stringify(fine.details));
  });

  test('a redirect loop: redirect_loop, naming the URLs of the loop', async () => {
    hits = {};
    const r = await run(spec('t.loop', `${hostile.url}/loop-a`));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'redirect_loop']);
    assert.equal(r.details.error, `redirect loop: ${hostile.url}/loop-a → ${hostile.url}/loop-b → ${hostile.url}/loop-a`);
    assert.deepEqual(hits, { '/loop-a': 1, '/loop-b': 1 });
  });

  test('an endless chain of redirects: redirect_loop after max_redirects (default 5), each URL requested once', async () => {
    hits = {};
    const r = await run(spec('t.chain', `${hostile.url}/chain?n=0`));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'redirect_loop']);
    assert.match(String(r.details.error), /^more than 5 redirects: /);
    assert.equal(hits['/chain'], 6);
    const two = await run(spec('t.chain2', `${hostile.url}/chain?n=0`, { maxRedirects: 2 }));
    assert.match(String(two.details.error), /^more than 2 redirects: /);
  });

  test('a 303 after a POST is followed with a GET, and passes', async () => {
    const r = await run(spec('t.moved', `${hostile.url}/moved`, { method: 'POST', body: { x: 1 }, expect: { status: [200], json: [{ path: 'method', equals: 'GET' }] } }));
    assert.equal(r.ok, true, JSON.stringify(r.details));
  });

  test('a self-signed certificate: tls', async () => {
    const r = await run(spec('t.tls', `${tls.url}/`));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'tls']);
  });

  test('broken JSON: invalid_json with an excerpt', async () => {
    const r = await run(spec('t.json', `${hostile.url}/bad-json`));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'invalid_json']);
    assert.match(String(r.details.body_excerpt), /<html>/);
  });

  test('a host that does not resolve: dns', async () => {
    const r = await run(spec('t.dns', 'http://blocktrust-monitor-faults.invalid/health'));
    assert.deepEqual([r.ok, r.details.error_class], [false, 'dns']);
  });
});
