// The checks' HTTP transport on Node: undici's dispatcher API (the engine under Node's fetch, without the
// Request, Response, Headers and web-stream objects fetch builds around every exchange). One keep-alive pool per
// origin for the whole agent; redirects are not followed (the check does it); the body is read up to the limit.
import { createRequire } from 'node:module';
import type { Agent } from 'undici';
import type { HttpAnswer, HttpRequest, HttpTransport } from '../checks/transport.ts';
import { concatChunks, declaredTooLarge, readTooLarge } from '../checks/transport.ts';

type BodyStream = Awaited<ReturnType<Agent['request']>>['body'];

/** Reads `body` as it arrives and stops (destroying the stream) at the first chunk past `maxBytes`. */
function readLimited(body: BodyStream, status: number, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    body.on('data', (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        body.on('error', () => {});
        body.destroy();
        reject(readTooLarge(status, size, maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(concatChunks(chunks, size)));
    body.once('error', reject);
  });
}

export function undiciTransport(): HttpTransport {
  // Loaded when the first transport is made: commands that run no check (slo, maintain, migrate) start without it.
  const undici = createRequire(import.meta.url)('undici') as typeof import('undici');
  const dispatcher = new undici.Agent({ keepAliveTimeout: 4000 });
  return async (req: HttpRequest): Promise<HttpAnswer> => {
    const url = new URL(req.url);
    const res = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: req.method as 'GET',
      headers: req.headers,
      body: req.body,
      signal: req.signal,
    });
    const header = (name: string): string | null => {
      const v = res.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    };
    const length = header('content-length');
    const declared = length === null ? NaN : Number(length);
    let body: Uint8Array;
    if (Number.isFinite(declared) && declared > req.maxBytes) {
      // Not read at all: the connection is closed (undici reports that on the stream as an error, expected here).
      res.body.on('error', () => {});
      res.body.destroy();
      throw declaredTooLarge(res.statusCode, declared, req.maxBytes);
    } else if (Number.isFinite(declared)) {
      // undici fails an answer longer than its Content-Length, so the declared size bounds what is read.
      body = new Uint8Array(await res.body.arrayBuffer());
    } else {
      body = await readLimited(res.body, res.statusCode, req.maxBytes);
    }
    return { status: res.statusCode, header, body };
  };
}
