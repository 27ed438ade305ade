// One HTTP exchange as the checks need it: the request sent as given, no redirect followed (the check follows
// them itself, to name a loop), and the answer's body read as a stream up to a limit. The runtime adapter may
// bring a faster one (Node: undici's dispatcher, without the WHATWG Request/Response and stream objects fetch
// builds for every request); everywhere else it is fetch.
import { CheckError } from './errors.ts';

export interface HttpRequest {
  url: string;
  method: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** A larger answer fails as `too_large` without being held in memory. */
  maxBytes: number;
}

export interface HttpAnswer {
  status: number;
  /** A response header by its lower-case name, or null. */
  header(name: string): string | null;
  body: Uint8Array;
}

export type HttpTransport = (req: HttpRequest) => Promise<HttpAnswer>;

/** The transport over any fetch (Deno's, a test's): `redirect: 'manual'`, the body read by `readBounded`. */
export function fetchTransport(fetchFn: typeof fetch): HttpTransport {
  return async (req) => {
    const res = await fetchFn(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      redirect: 'manual',
    });
    const body = await readBounded(res, req.maxBytes);
    return { status: res.status, header: (name) => res.headers.get(name), body };
  };
}

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/** The `too_large` failure for a declared Content-Length over the limit, before anything is read. */
export function declaredTooLarge(status: number, declared: number, maxBytes: number): CheckError {
  return new CheckError('too_large', `the answer is ${bytes(declared)} (Content-Length), over the limit of ${bytes(maxBytes)}`, {
    status, size_seen: declared, size_declared: declared, max_bytes: maxBytes,
  });
}

/** The `too_large` failure once the bytes read pass the limit. */
export function readTooLarge(status: number, size: number, maxBytes: number, declared?: number): CheckError {
  return new CheckError('too_large', `the answer is over the limit of ${bytes(maxBytes)}: cut after ${bytes(size)}`, {
    status, size_seen: size, max_bytes: maxBytes, ...(declared !== undefined ? { size_declared: declared } : {}),
  });
}

/** Joins the chunks read into one array. */
export function concatChunks(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The body of `res`, read as a stream and cut at `maxBytes`: a larger answer is never held in memory. A
 * declared Content-Length over the limit fails before reading; otherwise reading stops at the first chunk past it.
 */
export async function readBounded(res: Response, maxBytes: number): Promise<Uint8Array> {
  const header = res.headers.get('content-length');
  const declared = header === null ? undefined : Number(header);
  if (declared !== undefined && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw declaredTooLarge(res.status, declared, maxBytes);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw readTooLarge(res.status, size, maxBytes, Number.isFinite(declared) ? declared : undefined);
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  return concatChunks(chunks, size);
}
