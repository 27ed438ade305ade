// The two HTTP transports of the checks, side by side on the same local server: Node's (undici's dispatcher, what
// the agent uses on Node) and the one over fetch (what Deno uses). They must give the same status, headers, body
// and failures, so a check means the same on both runtimes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';
import { CheckError, classifyError } from '../../agent/src/checks/errors.ts';
import { fetchTransport, type HttpAnswer, type HttpRequest, type HttpTransport } from '../../agent/src/checks/transport.ts';
import { serveDropper, serveHttp, type LocalServer } from './helpers.ts';

const transports: Record<string, HttpTransport> = { node: undiciTransport(), fetch: fetchTransport(globalThis.fetch) };
let server: LocalServer;
let dropper: LocalServer;
/** A port nothing listens on (a server's, closed again). */
let closedPort: number;
const seen: { method: string; headers: Record<string, unknown>; body: string }[] = [];

before(async () => {
  server = await serveHttp((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body });
      if (req.url === '/json') res.writeHead(201, { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end('{"ok":true}');
      else if (req.url === '/moved') res.writeHead(302, { location: '/json' }).end('moved');
      else if (req.url === '/declared') res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
      else if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
        res.end();
      } else if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    });
  });
  dropper = await serveDropper();
  const gone = await serveHttp(() => {});
  closedPort = gone.port;
  await gone.close();
});
after(async () => {
  await server.close();
  await dropper.close();
});

const request = (path: string, o: Partial<HttpRequest> = {}): HttpRequest => ({
  url: `${server.url}${path}`, method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000),
  maxBytes: 4096, ...o,
});

/** What a check reads of an answer, or the class and details of the failure. */
async function outcome(t: HttpTransport, req: HttpRequest): Promise<unknown> {
  let a: HttpAnswer;
  try {
    a = await t(req);
  } catch (err) {
    const c = classifyError(err, req.signal);
    if (!(err instanceof CheckError)) return { error_class: c.error_class };
    // Where a stream is cut depends on how its chunks arrived: past the limit, never past the whole answer.
    const seenSize = err.details.size_seen as number;
    if (err.details.size_declared === undefined && seenSize > req.maxBytes && seenSize <= 10_000) {
      return { error_class: c.error_class, details: { ...err.details, size_seen: 'past the limit' }, error: c.error.replace(/[\d,]+ bytes$/, 'N bytes') };
    }
    return { error_class: c.error_class, details: err.details, error: c.error };
  }
  return {
    status: a.status, type: a.header('content-type'), location: a.header('location'), two: a.header('x-two'),
    body: new TextDecoder().decode(a.body),
  };
}

test('both transports give the same answers and failures for the same requests', async () => {
  const cases: [string, HttpRequest, unknown][] = [
    ['JSON, a repeated header', request('/json'), { status: 201, type: 'application/json', location: null, two: 'a, b', body: '{"ok":true}' }],
    ['a redirect is returned, not followed', request('/moved'), { status: 302, type: null, location: '/json', two: null, body: 'moved' }],
    ['404 with its body', request('/nothing'), { status: 404, type: 'text/plain', location: null, two: null, body: 'not here' }],
    ['no content', request('/empty'), { status: 204, type: null, location: null, two: null, body: '' }],
    ['Content-Length over the limit', request('/declared'), {
      error_class: 'too_large', error: 'the answer is 5,000 bytes (Content-Length), over the limit of 4,096 bytes',
      details: { status: 200, size_seen: 5000, size_declared: 5000, max_bytes: 4096 },
    }],
    ['a chunked answer over the limit', request('/chunked'), {
      error_class: 'too_large', error: 'the answer is over the limit of 4,096 bytes: cut after N bytes',
      details: { status: 200, size_seen: 'past the limit', max_bytes: 4096 },
    }],
    ['a chunked answer within the limit', request('/chunked', { maxBytes: 20_000 }), {
      status: 200, type: 'text/plain', location: null, two: null, body: 'y'.repeat(10_000),
    }],
    ['connection refused', request('/', { url: `http://127.0.0.1:${closedPort}/` }), { error_class: 'connect_refused' }],
    ['connection dropped', request('/', { url: dropper.url }), { error_class: 'network' }],
    ['aborted', request('/json', { signal: AbortSignal.abort() }), { error_class: 'timeout' }],
  ];
  for (const [what, req, expected] of cases) {
    for (const [name, t] of Object.entries(transports)) {
      assert.deepEqual(await outcome(t, req), expected, `${what}, ${name} transport`);
    }
  }
});

test('both transports send the method, headers and body as given', async () => {
  for (const t of Object.values(transports)) {
    seen.length = 0;
    const a = await t(request('/json', { method: 'POST', headers: { 'content-type': 'application/json', 'x-id': '7' }, body: '{"a":1}' }));
    assert.equal(a.status, 201);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, 'POST');
    assert.equal(seen[0].body, '{"a":1}');
    assert.equal(seen[0].headers['x-id'], '7');
    assert.equal(seen[0].headers['content-type'], 'application/json');
    assert.equal(seen[0].headers['content-length'], '7');
  }
});
