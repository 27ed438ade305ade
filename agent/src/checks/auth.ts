import { rememberSecret } from '../core/secrets.ts';
import type { Clock, Logger } from '../core/types.ts';
import { CheckError, classifyError, DEFAULT_MAX_RESPONSE_BYTES, readBounded, safeUrl } from './errors.ts';
import type { AuthSession } from './types.ts';

export interface AuthSessionOptions {
  apiBase: string;
  email?: string;
  password?: string;
  fetch: typeof fetch;
  clock: Clock;
  log: Logger;
  loginPath?: string;
  /** A login that takes longer than this fails, whoever is waiting for it. */
  loginTimeoutMs?: number;
  /** After the API rejects the credentials, calls fail at once for this long instead of logging in again. */
  rejectedRetryMs?: number;
}

interface CachedToken {
  token: string;
  /** Clock time after which the token is not used any more (its expiry minus a margin). */
  renewAt: number;
}

// Renew before the server's expiry so that a token never expires between fetching it and using it.
const renewMarginMs = (ttlMs: number): number => Math.min(300_000, ttlMs * 0.1);

/** Seconds until expiry from a JWT's `exp`, when the login answer does not say `expires_in`. */
function ttlFromJwt(token: string, nowMs: number): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.exp === 'number' ? json.exp - nowMs / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves with the promise, or rejects as soon as the caller's own signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * The monitoring login: POST {apiBase}/api/explorer/login once, then the same token for every
 * check until shortly before it expires or a call answers 401. Concurrent callers share one login.
 * The token and the password are never logged.
 */
export function createAuthSession(opts: AuthSessionOptions): AuthSession {
  const loginUrl = new URL(
    opts.loginPath ?? '/api/explorer/login',
    opts.apiBase.endsWith('/') ? opts.apiBase : opts.apiBase + '/',
  ).toString();
  rememberSecret(opts.password);
  const timeoutMs = opts.loginTimeoutMs ?? 10_000;
  const rejectedRetryMs = opts.rejectedRetryMs ?? 30_000;
  let cached: CachedToken | undefined;
  let inFlight: Promise<string> | undefined;
  // Rejected credentials are not retried by every check of every cycle (an account lockout waiting to happen).
  let rejected: { error: CheckError; until: number } | undefined;

  async function login(): Promise<string> {
    if (!opts.email || !opts.password) {
      throw new CheckError(
        'auth',
        'no monitoring login configured: set JWT_MONITOR_EMAIL and JWT_MONITOR_PASS (checks with auth need them)',
      );
    }
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await opts.fetch(loginUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: opts.email, password: opts.password }),
        signal,
      });
    } catch (err) {
      const c = classifyError(err, signal);
      throw new CheckError(c.error_class, `login failed: ${c.error}`, { login_url: safeUrl(loginUrl) });
    }
    let text: string;
    try {
      text = new TextDecoder().decode(await readBounded(res, DEFAULT_MAX_RESPONSE_BYTES));
    } catch (err) {
      const c = classifyError(err, signal);
      throw new CheckError(c.error_class, `login failed: ${c.error}`, { login_url: safeUrl(loginUrl) });
    }
    if (res.status === 401 || res.status === 403) {
      throw new CheckError('auth', `login rejected (HTTP ${res.status}): check JWT_MONITOR_EMAIL and JWT_MONITOR_PASS`, {
        status: res.status,
        login_url: safeUrl(loginUrl),
      });
    }
    if (!res.ok) {
      throw new CheckError('http_status', `login failed: HTTP ${res.status}`, {
        status: res.status,
        login_url: safeUrl(loginUrl),
      });
    }
    let body: { token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new CheckError('invalid_json', 'login answer is not JSON', { status: res.status, login_url: safeUrl(loginUrl) });
    }
    if (typeof body?.token !== 'string' || body.token === '') {
      throw new CheckError('auth', 'login answer has no token', { status: res.status, login_url: safeUrl(loginUrl) });
    }
    rememberSecret(body.token, { rotating: true });
    const now = opts.clock.now().getTime();
    const ttlSec =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : (ttlFromJwt(body.token, now) ?? 900);
    const ttlMs = ttlSec * 1000;
    cached = { token: body.token, renewAt: now + ttlMs - renewMarginMs(ttlMs) };
    opts.log.info('logged in to the Blocktrust API', { login_url: safeUrl(loginUrl), expires_in_sec: Math.round(ttlSec) });
    return body.token;
  }

  function shared(): Promise<string> {
    inFlight ??= login()
      .then(
        (token) => {
          rejected = undefined;
          return token;
        },
        (err: unknown) => {
          if (err instanceof CheckError && err.errorClass === 'auth' && err.details.status !== undefined) {
            rejected = { error: err, until: opts.clock.now().getTime() + rejectedRetryMs };
          }
          throw err;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    async token(signal, o = {}) {
      if (inFlight) return untilAborted(inFlight, signal);
      if (rejected && opts.clock.now().getTime() < rejected.until) throw rejected.error;
      const fresh = cached && opts.clock.now().getTime() < cached.renewAt ? cached.token : undefined;
      if (fresh && !o.force) return fresh;
      if (fresh && o.force && o.rejected !== undefined && o.rejected !== fresh) return fresh;
      if (o.force) cached = undefined;
      return untilAborted(shared(), signal);
    },
  };
}
