import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CheckError, classifyError, redactUrls, safeUrl } from '../../agent/src/checks/errors.ts';
import { closedPort, serveDropper, serveHttp, serveHttps, type LocalServer } from './helpers.ts';

/** What fetch really throws against each kind of broken target. */
async function thrownBy(url: string, signal?: AbortSignal): Promise<unknown> {
  try {
    await (await fetch(url, { signal })).text();
  } catch (err) {
    return err;
  }
  throw new Error(`fetch ${url} did not fail`);
}

describe('classifyError on real fetch failures (Node)', () => {
  let tls: LocalServer;
  let dropper: LocalServer;
  let hanging: LocalServer;
  before(async () => {
    tls = await serveHttps((_q, r) => r.end('{}'));
    dropper = await serveDropper();
    hanging = await serveHttp(() => {});
  });
  after(async () => {
    await Promise.all([tls.close(), dropper.close(), hanging.close()]);
  });

  const scenarios: Array<{
    name: string;
    target: () => Promise<{ url: string; signal?: AbortSignal }>;
    cls: string;
    mentions: RegExp;
  }> = [
    {
      name: 'connection refused on a closed port',
      target: async () => ({ url: `http://127.0.0.1:${await closedPort()}/api/health` }),
      cls: 'connect_refused',
      mentions: /connection refused/,
    },
    {
      name: 'DNS failure on a .invalid host',
      target: async () => ({ url: 'http://blocktrust-monitor-test.invalid/api/health' }),
      cls: 'dns',
      mentions: /DNS lookup failed.*\.invalid/,
    },
    {
      name: 'TLS: self-signed certificate',
      target: async () => ({ url: `${tls.url}/api/health` }),
      cls: 'tls',
      mentions: /TLS error: self-signed certificate/,
    },
    {
      name: 'network: the server drops the connection',
      target: async () => ({ url: `${dropper.url}/api/health` }),
      cls: 'network',
      mentions: /network error/,
    },
    {
      name: 'timeout: a server that never answers',
      target: async () => ({ url: `${hanging.url}/api/health`, signal: AbortSignal.timeout(200) }),
      cls: 'timeout',
      mentions: /timed out/,
    },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      const { url, signal } = await s.target();
      const err = await thrownBy(url, signal);
      const c = classifyError(err, signal);
      assert.equal(c.error_class, s.cls, c.error);
      assert.match(c.error, s.mentions);
    });
  }
});

describe('classifyError on Deno fetch messages and other throws', () => {
  const denoError = (msg: string) => new TypeError('fetch failed', { cause: new Error(msg) });
  const scenarios: Array<{ name: string; err: unknown; signal?: AbortSignal; cls: string }> = [
    {
      name: 'Deno: connection refused',
      err: denoError(
        'error sending request for url (http://127.0.0.1:4/): client error (Connect): tcp connect error: Connection refused (os error 111)',
      ),
      cls: 'connect_refused',
    },
    {
      name: 'Deno: DNS',
      err: denoError(
        'error sending request for url (http://x.invalid/): client error (Connect): dns error: failed to lookup address information: Name or service not known',
      ),
      cls: 'dns',
    },
    {
      name: 'Deno: TLS',
      err: denoError(
        'error sending request for url (https://127.0.0.1:4/): client error (Connect): invalid peer certificate: UnknownIssuer',
      ),
      cls: 'tls',
    },
    {
      name: 'Deno: connection closed',
      err: denoError(
        'error sending request from 127.0.0.1:5 for http://127.0.0.1:4/ (127.0.0.1:4): client error (SendRequest): connection closed before message completed',
      ),
      cls: 'network',
    },
    {
      name: 'Deno: a port the runtime blocks',
      err: new TypeError('Fetch failed: Requests to port 9 are blocked'),
      cls: 'network',
    },
    {
      name: 'Deno: TypeError without a cause',
      err: new TypeError('error sending request for url (http://127.0.0.1:4/): connection reset by peer'),
      cls: 'network',
    },
    {
      name: 'Node: AggregateError of refusals',
      err: new TypeError('fetch failed', {
        cause: Object.assign(
          new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:4'), { code: 'ECONNREFUSED' })]),
          { code: 'ECONNREFUSED' },
        ),
      }),
      cls: 'connect_refused',
    },
    {
      name: 'Node: EAI_AGAIN',
      err: new TypeError('fetch failed', {
        cause: Object.assign(new Error('getaddrinfo EAI_AGAIN api.example'), { code: 'EAI_AGAIN' }),
      }),
      cls: 'dns',
    },
    {
      name: 'Node: ECONNRESET',
      err: new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }),
      cls: 'network',
    },
    {
      name: 'Node: certificate expired',
      err: new TypeError('fetch failed', {
        cause: Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }),
      }),
      cls: 'tls',
    },
    {
      name: 'an aborted run signal wins over the error',
      err: new Error('whatever'),
      signal: AbortSignal.abort(),
      cls: 'timeout',
    },
    { name: 'a CheckError keeps its class', err: new CheckError('auth', 'login rejected'), cls: 'auth' },
    { name: 'a JSON SyntaxError', err: new SyntaxError('Unexpected token < in JSON'), cls: 'invalid_json' },
    { name: 'anything else is internal', err: new Error('boom'), cls: 'internal' },
    { name: 'a thrown string is internal', err: 'boom', cls: 'internal' },
  ];
  for (const s of scenarios) {
    test(s.name, () => {
      assert.equal(classifyError(s.err, s.signal).error_class, s.cls);
    });
  }
});

describe('no secrets in error messages', () => {
  test('userinfo, query strings and bearer tokens are removed from messages', () => {
    const err = new TypeError('fetch failed', {
      cause: new Error(
        'error sending request for url (https://monitor:hunter2@api.example.com/api/x?token=abc123&key=zz): client error (Connect): tcp connect error: Connection refused',
      ),
    });
    const c = classifyError(err);
    assert.equal(c.error_class, 'connect_refused');
    assert.doesNotMatch(c.error, /hunter2|abc123|monitor:/);
    assert.equal(
      redactUrls('GET https://monitor:hunter2@api.example.com/api/x?token=abc123&key=zz failed'),
      'GET https://api.example.com/api/x?… failed',
    );
    const unknown = classifyError(new Error('cannot reach postgres://app:pw@db.example/x?sslpassword=zz'));
    assert.equal(unknown.error, 'unexpected error: cannot reach postgres://db.example/x?…');
    assert.equal(redactUrls('sent Authorization: Bearer eyJhbGciOi.abc.def'), 'sent Authorization: Bearer …');
  });
  test('safeUrl keeps scheme, host and path only', () => {
    assert.equal(safeUrl('https://u:p@rpc.example.com/v2/KEY?apikey=s3cret'), 'https://rpc.example.com/v2/KEY?…');
    assert.equal(safeUrl('http://127.0.0.1:10000/api/health'), 'http://127.0.0.1:10000/api/health');
  });
});
