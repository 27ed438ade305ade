import ky from 'ky';
import { z } from 'zod';
import type { Clock, Logger } from '../core/types.ts';
import { rememberSecret } from '../core/secrets.ts';
import { CheckError, classifyError, DEFAULT_MAX_RESPONSE_BYTES, safeUrl } from './errors.ts';
import { readBounded, type HttpAnswer, type HttpRequest, type HttpTransport } from './transport.ts';
import { excerpt, fillTemplate, getPath } from './json.ts';
import type { AuthSession, Login } from './types.ts';

/** A named way to log in to the API: where, with which credentials, where the token is and how long it lives. */
export interface LoginProfile {
  name: string;
  /** Login route, relative to API_BASE. */
  path: string;
  email?: string;
  password?: string;
  /** The variables holding the credentials, named in messages (never their values). */
  credentialVars: readonly [string, string];
  /** JSON body of the login request; `{{email}}` and `{{password}}` are filled in. Default `{email, password}`. */
  body?: Record<string, unknown>;
  /** Dotted path of the token in the login answer. */
  tokenField: string;
  /** Lifetime when the answer has no `expires_in` and the token no JWT `exp` claim. */
  fallbackTtlSec: number;
}

/** The two logins of the Blocktrust API: the explorer's, and a platform user's (the signature, wallet and NFT routes). */
export const LOGIN_PROFILE_NAMES = ['explorer', 'user'] as const;

const variableName = z
  .string({ error: 'expected the name of an environment variable' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected the name of an environment variable, e.g. PARTNER_EMAIL' });

/** A login profile as a checks file declares it under `logins.<name>`: credentials by variable name, never by value. */
export const loginProfileFileSchema = z.strictObject(
  {
    path: z.string({ error: 'expected the login path, e.g. /api/partner/login' }).startsWith('/', { error: 'expected a path starting with /' }),
    emailFrom: variableName,
    passwordFrom: variableName,
    body: z.record(z.string(), z.unknown(), { error: 'expected a JSON object ({{email}} and {{password}} are filled in)' }).optional(),
    tokenField: z.string({ error: 'expected a dotted path such as data.token' }).min(1).default('token'),
    ttlSec: z.number({ error: 'expected seconds' }).int({ error: 'expected whole seconds' }).min(60, { error: 'expected at least 60 seconds' }).optional(),
  },
  { error: 'expected a mapping with path, email_from and password_from' },
);
export type LoginProfileFile = z.infer<typeof loginProfileFileSchema>;
export const LOGIN_NAME = /^[a-z][a-z0-9_-]*$/;

/** A checks file's login, with its credentials read from the named variables. */
export function fileLoginProfile(
  name: string,
  spec: LoginProfileFile,
  vars: Record<string, string | undefined>,
  fallbackTtlSec: number,
): LoginProfile {
  return {
    name,
    path: spec.path,
    email: vars[spec.emailFrom]?.trim() || undefined,
    password: vars[spec.passwordFrom] || undefined,
    credentialVars: [spec.emailFrom, spec.passwordFrom],
    body: spec.body,
    tokenField: spec.tokenField,
    fallbackTtlSec: spec.ttlSec ?? fallbackTtlSec,
  };
}

export function builtinLoginProfiles(o: {
  explorer: { email?: string; password?: string };
  user: { email?: string; password?: string };
  fallbackTtlSec?: number;
}): LoginProfile[] {
  const fallbackTtlSec = o.fallbackTtlSec ?? 900;
  return [
    {
      name: 'explorer',
      path: '/api/explorer/login',
      ...o.explorer,
      credentialVars: ['JWT_MONITOR_EMAIL', 'JWT_MONITOR_PASS'],
      tokenField: 'token',
      fallbackTtlSec,
    },
    {
      name: 'user',
      path: '/api/auth/login',
      ...o.user,
      credentialVars: ['JWT_USER_EMAIL', 'JWT_USER_PASS'],
      tokenField: 'token',
      fallbackTtlSec,
    },
  ];
}

export interface AuthSessionOptions {
  apiBase: string;
  /** The login profiles; without them, one `explorer` profile from `email` and `password`. */
  profiles?: LoginProfile[];
  email?: string;
  password?: string;
  fetch: typeof fetch;
  clock: Clock;
  log: Logger;
  /** A login that takes longer than this fails, whoever is waiting for it. */
  loginTimeoutMs?: number;
  /** First pause after the API rejects the credentials; doubles while they stay rejected (at most 15 min). */
  rejectedRetryMs?: number;
  /** First pause after a login fails otherwise (unreachable, 5xx); doubles while it keeps failing (at most 1 min). */
  failedRetryMs?: number;
  /** A 401 to a token younger than this is the route refusing the token, not an expiry: no new login. */
  freshTokenMs?: number;
}

interface CachedToken {
  token: string;
  issuedAt: number;
  /** Clock time after which the token is not used any more (its expiry minus a margin). */
  renewAt: number;
}

// Renew before the server's expiry so that a token never expires between fetching it and using it.
const renewMarginMs = (ttlMs: number): number => Math.min(300_000, ttlMs * 0.1);
const MAX_FRESH_MS = 30 * 60_000;

/** Seconds until expiry from a JWT's `exp`, when the login answer does not say `expires_in`. */
export function ttlFromJwt(token: string, nowMs: number): number | undefined {
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

const joinUrl = (base: string, path: string) => new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : base + '/').toString();

/**
 * One profile's login: logs in once, then the same token for every check until shortly before it expires.
 * A 401 causes a new login only when the token has been in use for a while (it may have expired or been
 * revoked); a 401 to a token issued moments ago is the route refusing this kind of token, and logging in
 * again would only hand it another one. Failed logins back off. Concurrent callers share one login.
 * The token and the password are never logged.
 */
function createLogin(profile: LoginProfile, opts: AuthSessionOptions): Login {
  const loginUrl = joinUrl(opts.apiBase, profile.path);
  const shownUrl = safeUrl(loginUrl);
  const timeoutMs = opts.loginTimeoutMs ?? 10_000;
  const rejectedRetryMs = opts.rejectedRetryMs ?? 30_000;
  const failedRetryMs = opts.failedRetryMs ?? 1_000;
  const freshBaseMs = opts.freshTokenMs ?? 60_000;
  const now = () => opts.clock.now().getTime();
  const [emailVar, passVar] = profile.credentialVars;
  let cached: CachedToken | undefined;
  let inFlight: Promise<string> | undefined;
  // The last login failure and how long it stands before the next attempt (no lockout, no login storm).
  let failure: { error: CheckError; until: number; pauseMs: number } | undefined;
  // Grows while new logins do not help (the route keeps answering 401), back to the base once one is accepted.
  let freshMs = freshBaseMs;
  let logins = 0;

  rememberSecret(profile.password);

  async function login(): Promise<string> {
    if (!profile.email || !profile.password) {
      throw new CheckError(
        'auth',
        `no ${profile.name} login configured: set ${emailVar} and ${passVar} (checks with auth: ${profile.name} need them)`,
        { login: profile.name },
      );
    }
    const signal = AbortSignal.timeout(timeoutMs);
    const where = { login: profile.name, login_url: shownUrl };
    let res: Response;
    try {
      res = await ky.post(loginUrl, {
        json: fillTemplate(profile.body ?? { email: '{{email}}', password: '{{password}}' }, {
          email: profile.email,
          password: profile.password,
        }),
        headers: { accept: 'application/json' },
        fetch: opts.fetch,
        signal,
        retry: 0,
        timeout: false,
        throwHttpErrors: false,
      });
    } catch (err) {
      const c = classifyError(err, signal);
      throw new CheckError(c.error_class, `${profile.name} login failed: ${c.error}`, where);
    }
    let text: string;
    try {
      text = new TextDecoder().decode(await readBounded(res, DEFAULT_MAX_RESPONSE_BYTES));
    } catch (err) {
      const c = classifyError(err, signal);
      throw new CheckError(c.error_class, `${profile.name} login failed: ${c.error}`, where);
    }
    if (res.status === 401 || res.status === 403) {
      throw new CheckError('auth', `${profile.name} login rejected (HTTP ${res.status}): check ${emailVar} and ${passVar}`, {
        ...where,
        status: res.status,
        body_excerpt: excerpt(text),
      });
    }
    if (!res.ok) {
      throw new CheckError('http_status', `${profile.name} login failed: HTTP ${res.status}`, {
        ...where,
        status: res.status,
        body_excerpt: excerpt(text),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CheckError('invalid_json', `${profile.name} login answer is not JSON`, { ...where, status: res.status });
    }
    const token = getPath(body, profile.tokenField).value;
    if (typeof token !== 'string' || token === '') {
      throw new CheckError('auth', `${profile.name} login answer has no token at ${profile.tokenField}`, {
        ...where,
        status: res.status,
      });
    }
    rememberSecret(token, { rotating: true });
    const at = now();
    const expiresIn = getPath(body, 'expires_in').value;
    const jwtTtl = ttlFromJwt(token, at);
    const [ttlSec, ttlFrom] =
      typeof expiresIn === 'number' && expiresIn > 0
        ? [expiresIn, 'expires_in']
        : jwtTtl !== undefined && jwtTtl > 0
          ? [jwtTtl, 'exp claim']
          : [profile.fallbackTtlSec, 'MONITOR_LOGIN_TTL'];
    const ttlMs = ttlSec * 1000;
    cached = { token, issuedAt: at, renewAt: at + ttlMs - renewMarginMs(ttlMs) };
    logins += 1;
    opts.log.info('logged in to the Blocktrust API', {
      login: profile.name,
      login_url: shownUrl,
      expires_in_sec: Math.round(ttlSec),
      expiry_from: ttlFrom,
    });
    return token;
  }

  function shared(): Promise<string> {
    inFlight ??= login()
      .then(
        (token) => {
          failure = undefined;
          return token;
        },
        (err: unknown) => {
          const error = err instanceof CheckError ? err : new CheckError('internal', `${profile.name} login failed: ${String(err)}`);
          const credentials = error.errorClass === 'auth' && error.details.status !== undefined;
          const first = credentials ? rejectedRetryMs : failedRetryMs;
          const cap = credentials ? 15 * 60_000 : 60_000;
          const pauseMs = failure ? Math.min(cap, Math.max(first, failure.pauseMs * 2)) : first;
          failure = { error, until: now() + pauseMs, pauseMs };
          if (logins > 0 || credentials) {
            opts.log.warn('login failed; next attempt after a pause', {
              login: profile.name,
              error: error.message,
              retry_in_sec: Math.round(pauseMs / 1000),
            });
          }
          throw error;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    profile: profile.name,
    get logins() {
      return logins;
    },
    async token(signal, o = {}) {
      if (inFlight) return untilAborted(inFlight, signal);
      if (failure && now() < failure.until) throw failure.error;
      const fresh = cached && now() < cached.renewAt ? cached.token : undefined;
      if (fresh && !o.force) return fresh;
      if (fresh && o.force && o.rejected !== undefined && o.rejected !== fresh) return fresh;
      if (o.force) cached = undefined;
      return untilAborted(shared(), signal);
    },
    unauthorized(token) {
      if (!cached || cached.token !== token) return { relogin: true };
      const ageMs = now() - cached.issuedAt;
      return ageMs < freshMs ? { relogin: false, ageMs } : { relogin: true };
    },
    accepted(token) {
      if (cached?.token === token) freshMs = freshBaseMs;
    },
    rejectedAfterRelogin() {
      freshMs = Math.min(MAX_FRESH_MS, freshMs * 2);
    },
  };
}

/** The agent's logins to the API, one per profile, each created on first use. */
export function createAuthSession(opts: AuthSessionOptions): AuthSession {
  const profiles = opts.profiles ?? [
    {
      name: 'explorer',
      path: '/api/explorer/login',
      email: opts.email,
      password: opts.password,
      credentialVars: ['JWT_MONITOR_EMAIL', 'JWT_MONITOR_PASS'],
      tokenField: 'token',
      fallbackTtlSec: 900,
    },
  ];
  const byName = new Map(profiles.map((p) => [p.name, p]));
  const logins = new Map<string, Login>();
  const login = (name: string): Login => {
    let l = logins.get(name);
    if (!l) {
      const profile = byName.get(name);
      if (!profile) {
        throw new CheckError('internal', `no login profile "${name}": expected one of ${[...byName.keys()].join(', ')}`);
      }
      l = createLogin(profile, opts);
      logins.set(name, l);
    }
    return l;
  };
  return {
    profiles: [...byName.keys()],
    configured: (name) => Boolean(byName.get(name)?.email && byName.get(name)?.password),
    login,
    token: (signal, o) => login(profiles[0]?.name ?? 'explorer').token(signal, o),
  };
}

/**
 * Sends `req` with the login's token: a 401 to a token that has been in use a while causes one new login (shared
 * with other callers) and one more attempt. A 401 to a fresh token is an `auth` failure at once. No other retry:
 * timing stays with the runner.
 */
export async function sendWithLogin(login: Login, send: HttpTransport, req: HttpRequest): Promise<HttpAnswer> {
  const sent = await login.token(req.signal);
  const answer = await send({ ...req, headers: { ...req.headers, authorization: `Bearer ${sent}` } });
  if (answer.status !== 401) {
    login.accepted(sent);
    return answer;
  }
  const what = `${req.method} ${safeUrl(req.url)}`;
  const text = (a: HttpAnswer) => excerpt(new TextDecoder().decode(a.body));
  const verdict = login.unauthorized(sent);
  if (!verdict.relogin) {
    throw new CheckError(
      'auth',
      `${what} rejected a fresh ${login.profile} token (HTTP 401, issued ${Math.round((verdict.ageMs ?? 0) / 1000)} s ago): ` +
        `this route does not accept it; no new login until it has aged`,
      { status: 401, login: login.profile, body_excerpt: text(answer) },
    );
  }
  const next = await login.token(req.signal, { force: true, rejected: sent });
  const retried = await send({ ...req, headers: { ...req.headers, authorization: `Bearer ${next}` } });
  if (retried.status === 401) {
    login.rejectedAfterRelogin();
    throw new CheckError('auth', `${what} answered 401 even with a fresh ${login.profile} login token`, {
      status: 401,
      login: login.profile,
      body_excerpt: text(retried),
    });
  }
  login.accepted(next);
  return retried;
}
