// A stand-in for the Blocktrust API (the endpoints of the v1.2 guide), with faults switchable at runtime.
// Web standards only: the runtime adapters serve `app.fetch` (@hono/node-server on Node, Deno.serve on Deno).
import { Hono, type Context } from 'hono';
import { z } from 'zod';

export interface DemoFaults {
  /** Extra latency for every path, in ms. */
  latencyMs: number;
  /** Extra latency for one path ("/api/health": 1200), added to the global one. */
  latencyByPath: Record<string, number>;
  /** Share of requests (0..1) answered 503. */
  errorRate: number;
  errorRateByPath: Record<string, number>;
  /** hash-file returns a wrong hash. */
  badHash: boolean;
  /** explorer/contracts answers 404 "not deployed". */
  contractsNotDeployed: boolean;
  /** Paths that never answer ("*" = all of them). */
  hang: string[];
  /** Every token counts as expired: authenticated calls answer 401, even after a new login. */
  expiredTokens: boolean;
  /** wallet/info answers 404 (no wallet) and nft/status 404 (no NFT): both normal answers. */
  noWallet: boolean;
  noNft: boolean;
}

export const NO_FAULTS: Readonly<DemoFaults> = Object.freeze({
  latencyMs: 0,
  latencyByPath: {},
  errorRate: 0,
  errorRateByPath: {},
  badHash: false,
  contractsNotDeployed: false,
  hang: [],
  expiredTokens: false,
  noWallet: false,
  noNft: false,
});

const ms = z.number().min(0).max(600_000);
const rate = z.number().min(0).max(1);
const path = z.string().startsWith('/');
export const demoFaultsSchema = z
  .strictObject({
    latencyMs: ms,
    latencyByPath: z.record(path, ms),
    errorRate: rate,
    errorRateByPath: z.record(path, rate),
    badHash: z.boolean(),
    contractsNotDeployed: z.boolean(),
    hang: z.array(z.union([path, z.literal('*')])),
    expiredTokens: z.boolean(),
    noWallet: z.boolean(),
    noNft: z.boolean(),
  })
  .partial();

export interface DemoStats {
  /** Successful logins. */
  logins: number;
  loginAttempts: number;
  requests: Record<string, number>;
}

export interface DemoControls {
  readonly faults: Readonly<DemoFaults>;
  /** Changes the given switches, keeps the others. */
  setFaults(change: Partial<DemoFaults>): Readonly<DemoFaults>;
  /** Back to a healthy API; hung requests are released. */
  reset(): void;
  /** Every token issued so far expires now (a fresh login works). */
  revokeTokens(): void;
  readonly stats: DemoStats;
  /** Requests held open by `hang` right now. */
  readonly hanging: number;
}

export interface DemoApiOptions {
  /** The one account that can log in; no default is baked in. */
  credentials: { email: string; password: string };
  /** Token lifetime; the real API gives 43200 s. */
  tokenTtlSec?: number;
  /** Milliseconds since the epoch; tests move time forward with it. */
  now?: () => number;
  random?: () => number;
}

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const b64urlJson = (v: unknown): string => b64url(new TextEncoder().encode(JSON.stringify(v)));
const fromB64url = (s: string): Uint8Array =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

const EVENT_TYPES = ['DocumentRegistered', 'DocumentSigned', 'IdentityMinted', 'FailSafeTriggered'];

function demoEvents(nowMs: number) {
  return Array.from({ length: 42 }, (_, i) => {
    const n = 42 - i;
    return {
      id: n,
      event_type: EVENT_TYPES[n % EVENT_TYPES.length],
      block_number: 50_000_000 + n * 7,
      tx_hash: `0x${n.toString(16).padStart(64, '0')}`,
      timestamp: new Date(nowMs - i * 3_600_000).toISOString(),
    };
  });
}

/** The demo API: a Hono app and the switches that break it on purpose. */
export function createDemoApi(opts: DemoApiOptions): { app: Hono; controls: DemoControls } {
  if (!opts.credentials?.email || !opts.credentials?.password)
    throw new Error('the demo API needs credentials (email and password)');
  const ttlSec = opts.tokenTtlSec ?? 43_200;
  const now = opts.now ?? (() => Date.now());
  const random = opts.random ?? Math.random;
  const key = crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) as Promise<CryptoKey>;
  let faults: DemoFaults = structuredClone(NO_FAULTS) as DemoFaults;
  let generation = 0;
  const hung = new Set<() => void>();
  const stats: DemoStats = { logins: 0, loginAttempts: 0, requests: {} };

  async function issueToken(email: string): Promise<string> {
    const iat = now() / 1000;
    const head = `${b64urlJson({ alg: 'HS256', typ: 'JWT' })}.${b64urlJson({ sub: email, iat, exp: iat + ttlSec, gen: generation, jti: crypto.randomUUID() })}`;
    const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await key, new TextEncoder().encode(head)));
    return `${head}.${b64url(sig)}`;
  }

  /** Why a bearer token is refused, or undefined when it is good. */
  async function refusal(header: string | undefined): Promise<string | undefined> {
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) return 'Missing token';
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return 'Invalid token';
    let valid = false;
    try {
      valid = await crypto.subtle.verify('HMAC', await key, fromB64url(s) as BufferSource, new TextEncoder().encode(`${h}.${p}`));
    } catch {
      valid = false;
    }
    if (!valid) return 'Invalid token';
    const claims = JSON.parse(new TextDecoder().decode(fromB64url(p))) as { exp: number; gen: number };
    if (faults.expiredTokens || claims.exp * 1000 <= now() || claims.gen !== generation) return 'Token expired';
    return undefined;
  }

  const app = new Hono();

  app.use('/api/*', async (c, next) => {
    const p = c.req.path;
    stats.requests[p] = (stats.requests[p] ?? 0) + 1;
    if (faults.hang.includes('*') || faults.hang.includes(p)) {
      await new Promise<void>((resolve) => {
        const release = () => {
          hung.delete(release);
          resolve();
        };
        hung.add(release);
        c.req.raw.signal?.addEventListener('abort', release, { once: true });
      });
      return c.json({ error: 'Service Unavailable' }, 503);
    }
    const delay = faults.latencyMs + (faults.latencyByPath[p] ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const errorRate = Math.max(faults.errorRate, faults.errorRateByPath[p] ?? 0);
    if (errorRate > 0 && random() < errorRate) return c.json({ error: 'Service Unavailable' }, 503);
    await next();
  });

  const authed = async (c: Context, next: () => Promise<void>) => {
    const why = await refusal(c.req.header('authorization'));
    if (why) return c.json({ error: why }, 401);
    await next();
  };

  app.post('/api/explorer/login', async (c) => {
    stats.loginAttempts += 1;
    let body: { email?: unknown; password?: unknown };
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'Invalid JSON body' }, 400);
    }
    if (typeof body?.email !== 'string' || typeof body?.password !== 'string') {
      return c.json({ error: 'email and password are required' }, 400);
    }
    if (body.email !== opts.credentials.email || body.password !== opts.credentials.password) {
      return c.json({ error: 'Invalid credentials' }, 401);
    }
    stats.logins += 1;
    return c.json({ status: 'success', token: await issueToken(body.email), expires_in: ttlSec });
  });

  app.get('/api/health', (c) => c.json({ service: 'blocktrust-api', status: 'ok' }));

  app.get('/api/explorer/events', authed, (c) => {
    const all = demoEvents(now());
    const type = c.req.query('event_type');
    const filtered = type ? all.filter((e) => e.event_type === type) : all;
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit')) || 20));
    const offset = Math.max(0, Number(c.req.query('offset')) || 0);
    return c.json({ status: 'success', events: filtered.slice(offset, offset + limit), total: filtered.length, limit, offset });
  });

  app.get('/api/explorer/contracts', (c) => {
    if (faults.contractsNotDeployed) return c.json({ status: 'error', error: 'Contracts not deployed' }, 404);
    return c.json({
      status: 'success',
      contracts: {
        IdentityNFT: '0x1d3b0f6a8e2c4b5d7f9a0c1e3b5d7f9a1c3e5b7d',
        ProofRegistry: '0x2e4c1a7b9d3f5e8a0b2c4d6e8f0a2b4c6d8e0f1a',
        FailSafe: '0x3f5d2b8c0e4a6f9b1c3d5e7f9a1b3c5d7e9f1a2b',
      },
      network: 'polygon-amoy',
      chainId: 80002,
    });
  });

  app.get('/api/explorer/stats', (c) => {
    const all = demoEvents(now());
    const byType: Record<string, number> = {};
    for (const e of all) byType[e.event_type] = (byType[e.event_type] ?? 0) + 1;
    return c.json({
      status: 'success',
      stats: { total_events: all.length, events_24h: Math.min(24, all.length), events_by_type: byType, last_event: all[0] },
    });
  });

  app.post('/api/signature/hash-file', authed, async (c) => {
    let body: { file_content?: unknown };
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'Invalid JSON body' }, 400);
    }
    if (typeof body?.file_content !== 'string') return c.json({ error: 'file_content is required' }, 400);
    const hash = await sha256Hex(faults.badHash ? `${body.file_content}\u0000tampered` : body.file_content);
    return c.json({ file_hash: hash });
  });

  app.get('/api/wallet/info', authed, (c) => {
    if (faults.noWallet) return c.json({ error: 'No wallet for this user' }, 404);
    return c.json({ address: '0x9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b' });
  });

  app.get('/api/nft/status', authed, (c) => {
    if (faults.noNft) return c.json({ error: 'No NFT for this user' }, 404);
    return c.json({ has_nft: true, nft_id: 7 });
  });

  app.get('/__demo/faults', (c) => c.json(faults));
  app.post('/__demo/faults', async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: 'Invalid JSON body' }, 400);
    }
    const { revokeTokens, reset, ...rest } = (raw ?? {}) as { revokeTokens?: unknown; reset?: unknown };
    const parsed = demoFaultsSchema.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return c.json({ error: `${issue.path.join('.') || 'body'}: ${issue.message}` }, 400);
    }
    if (reset === true) controls.reset();
    if (revokeTokens === true) controls.revokeTokens();
    return c.json(controls.setFaults(parsed.data as Partial<DemoFaults>));
  });

  app.notFound((c) => c.json({ error: 'Not found' }, 404));

  const controls: DemoControls = {
    get faults() {
      return faults;
    },
    setFaults(change) {
      faults = { ...faults, ...structuredClone(change) };
      if (!faults.hang.length) for (const release of [...hung]) release();
      return faults;
    },
    reset() {
      faults = structuredClone(NO_FAULTS) as DemoFaults;
      for (const release of [...hung]) release();
    },
    revokeTokens() {
      generation += 1;
    },
    stats,
    get hanging() {
      return hung.size;
    },
  };
  return { app, controls };
}
