// The checks' HTTP transport on Node: undici's dispatcher (the engine under Node's fetch) driven through its handler
// interface, without the Request, Response, Headers and web-stream objects fetch builds around every exchange, and
// without the stream and async resource undici's own `request()` builds: the answer's chunks go straight into one
// array. Only undici's Agent is loaded (its package entry point also loads fetch, caches, WebSocket and mocks: 3 MB
// of heap the agent never uses). One keep-alive pool per origin for the whole agent; redirects are not followed
// (the check does it); the body is read up to the limit.
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import type { HttpAnswer, HttpRequest, HttpTransport } from '../checks/transport.ts';
import { concatChunks, declaredTooLarge, readTooLarge } from '../checks/transport.ts';

type RawHeaders = (Buffer | Buffer[] | string)[];

const text = (v: Buffer | Buffer[] | string) => typeof v === 'string' ? v : Array.isArray(v) ? v.map((x) => x.toString('latin1')).join(', ') : v.toString('latin1');

/** A response header by lower-case name from undici's raw list (name, value, name, value…); repeats joined with ", ". */
function headerOf(raw: RawHeaders, name: string): string | null {
  let found: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (text(raw[i]).toLowerCase() !== name) continue;
    const v = text(raw[i + 1]);
    found = found === null ? v : `${found}, ${v}`;
  }
  return found;
}

class AbortedError extends Error {
  constructor() {
    super('This operation was aborted');
    this.name = 'AbortError';
  }
}

export function undiciTransport(): HttpTransport {
  // Loaded when the first transport is made: commands that run no check (slo, maintain, migrate) start without it.
  const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
  const dispatcher = new Agent({ keepAliveTimeout: 4000 });
  return (req: HttpRequest): Promise<HttpAnswer> => new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const { signal, maxBytes } = req;
    let abort: ((reason: Error) => void) | null = null;
    let reason: Error | null = null;
    let status = 0;
    let raw: RawHeaders = [];
    let chunks: Uint8Array[] = [];
    let size = 0;
    let settled = false;
    const onAbort = () => {
      reason = (signal.reason as Error | undefined) ?? new AbortedError();
      if (abort) abort(reason);
    };
    const settle = () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) {
      reject(signal.reason ?? new AbortedError());
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        if (reason) abortRequest(reason);
        else abort = abortRequest;
      },
      onHeaders(statusCode, rawHeaders) {
        if (statusCode < 200) return true;
        status = statusCode;
        raw = rawHeaders as unknown as RawHeaders;
        const length = headerOf(raw, 'content-length');
        const declared = length === null ? NaN : Number(length);
        // Not read at all: the connection is closed.
        if (Number.isFinite(declared) && declared > maxBytes) abort!(declaredTooLarge(status, declared, maxBytes));
        return true;
      },
      onData(chunk) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          abort!(readTooLarge(status, size, maxBytes));
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        if (settled) return;
        settle();
        const headers = raw;
        // A copy: a chunk is a view into the socket's read buffer.
        const body = chunks.length === 1 ? new Uint8Array(chunks[0]) : concatChunks(chunks, size);
        chunks = [];
        resolve({ status, header: (name) => headerOf(headers, name), body });
      },
      onError(err) {
        if (settled) return;
        settle();
        chunks = [];
        reject(err);
      },
    };
    try {
      dispatcher.dispatch({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
      }, handler);
    } catch (err) {
      handler.onError!(err as Error);
    }
  });
}
