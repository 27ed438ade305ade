import type { ErrorClass } from '../core/types.ts';

export interface ClassifiedError {
  error_class: ErrorClass;
  error: string;
}

/** An error a check throws on purpose: its class is known and its message is already readable. */
export class CheckError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CheckError';
  }
}

/**
 * The monitor's own database failed while a check read from it: says nothing about the target, so the
 * runner should not record the run as a failure of the check (`isDatabaseFailure`).
 */
export class DatabaseFailure extends CheckError {
  readonly databaseFailure = true;
  constructor(what: string, cause: unknown) {
    super(
      'internal',
      `could not ${what}: the monitor's database failed (${redactUrls(cause instanceof Error ? cause.message : String(cause))})`,
    );
    this.name = 'DatabaseFailure';
  }
}

export const isDatabaseFailure = (err: unknown): boolean =>
  err instanceof Error && (err as { databaseFailure?: unknown }).databaseFailure === true;

/** Runs a query of a check; any failure becomes a DatabaseFailure. */
export async function readDb<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    throw new DatabaseFailure(what, err);
  }
}

/** The default of `max_response_bytes`: an answer larger than this is cut and the run fails as `too_large`. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** The default of `max_redirects`. */
export const DEFAULT_MAX_REDIRECTS = 5;

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'EPROTO',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EADDRNOTAVAIL']);

/** Removes what may be a secret from any URL in a message: user:password@ and the query string (tokens live there). */
export function redactUrls(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#)]*)\?[^\s#)]*/gi, '$1?…')
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer …');
}

/** The URL as it may appear in details: no credentials, no query string. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const query = u.search ? '?…' : '';
    u.search = '';
    u.hash = '';
    return u.toString() + query;
  } catch {
    return redactUrls(url);
  }
}

function codeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  while (cur && typeof cur === 'object' && chain.length < 6 && !chain.includes(cur)) {
    chain.push(cur);
    if (cur instanceof AggregateError && cur.errors.length) chain.push(...cur.errors.slice(0, 3));
    cur = (cur as { cause?: unknown }).cause;
  }
  return chain;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}

/** Node (undici) puts a system error code in `cause.code`. */
function fromCode(code: string, detail: string): ClassifiedError | undefined {
  if (code === 'ECONNREFUSED') return { error_class: 'connect_refused', error: `connection refused (${detail})` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return { error_class: 'dns', error: `DNS lookup failed (${detail})` };
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.includes('CERT')) {
    return { error_class: 'tls', error: `TLS error: ${detail}` };
  }
  if (
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return { error_class: 'timeout', error: `timed out (${detail})` };
  }
  if (code.startsWith('UND_ERR_') || NETWORK_CODES.has(code)) {
    return { error_class: 'network', error: `network error: ${detail}` };
  }
  return undefined;
}

/** Deno reports fetch failures as TypeErrors whose message names the layer that failed. */
function fromMessage(text: string): ClassifiedError | undefined {
  // URLs are left out of the matching: a host or query string must not decide the class.
  const t = text.toLowerCase().replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*/g, ' ');
  const tail = text.replace(/^.*client error \([^)]*\):\s*/s, '');
  if (
    t.includes('dns error') ||
    t.includes('failed to lookup address') ||
    t.includes('name or service not known') ||
    t.includes('getaddrinfo')
  ) {
    return { error_class: 'dns', error: `DNS lookup failed (${tail})` };
  }
  if (t.includes('connection refused') || t.includes('econnrefused')) {
    return { error_class: 'connect_refused', error: `connection refused (${tail})` };
  }
  if (/certificate|\btls\b|\bssl\b|handshake/.test(t)) {
    return { error_class: 'tls', error: `TLS error: ${tail}` };
  }
  if (/requests to port \d+ are blocked/.test(t))
    return { error_class: 'network', error: `network error: ${tail} (by the runtime)` };
  if (/timed out|\btimeout\b/.test(t)) return { error_class: 'timeout', error: `timed out (${tail})` };
  if (
    t.includes('connection reset') ||
    t.includes('connection closed') ||
    t.includes('broken pipe') ||
    t.includes('error sending request') ||
    /\bsocket\b/.test(t) ||
    /\bnetwork\b/.test(t)
  ) {
    return { error_class: 'network', error: `network error: ${tail}` };
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/**
 * Names the class of anything a check threw (fetch/network errors on Node and Deno, aborts, our own
 * CheckError) with a readable sentence free of credentials and query strings.
 */
export function classifyError(err: unknown, signal?: AbortSignal): ClassifiedError {
  let result: ClassifiedError | undefined;
  if (err instanceof CheckError) {
    result = { error_class: err.errorClass, error: err.message };
  } else if (signal?.aborted || isAbort(err)) {
    const reason = signal?.aborted ? signal.reason : undefined;
    const why =
      reason instanceof Error && reason.name !== 'TimeoutError' && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
    result = { error_class: 'timeout', error: `timed out: no answer before the run's deadline${why}` };
  } else {
    for (const e of causeChain(err)) {
      const code = codeOf(e);
      if (code) result = fromCode(code, messageOf(e));
      if (result) break;
    }
    if (!result) {
      for (const e of causeChain(err)) {
        result = fromMessage(messageOf(e));
        if (result) break;
      }
    }
    if (!result && err instanceof SyntaxError) result = { error_class: 'invalid_json', error: `invalid JSON: ${err.message}` };
    if (!result) {
      const msg = messageOf(err);
      result = { error_class: 'internal', error: msg ? `unexpected error: ${msg}` : 'unexpected error' };
    }
  }
  return { error_class: result.error_class, error: redactUrls(result.error) };
}
