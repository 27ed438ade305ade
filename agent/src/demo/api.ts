// A stand-in for the Blocktrust API, modelled on the real one (two login schemes, /api/db/health), with faults
// switchable at runtime.
// Web standards only: the runtime adapters serve `app.fetch` (@hono/node-server on Node, Deno.serve on Deno).
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { DEMO_CONTRACTS, type DemoChain } from './chain.ts';

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
  /** The API's database is unreachable: /api/db/health answers 500 (/api/health stays 200, as on the real API). */
  dbDown: boolean;
  /** The listener keeps its heartbeat but stores none of the events of the blocks it processes (with a chain). */
  dropEvents: boolean;
  /** One request at a time, as the real API's one synchronous worker: a hung request delays every route. */
  singleWorker: boolean;
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
  dbDown: false,
  dropEvents: false,
  singleWorker: false,
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
    dbDown: z.boolean(),
    dropEvents: z.boolean(),
    singleWorker: z.boolean(),
  })
  .partial();

export interface DemoStats {
  /** Successful logins, both schemes. */
  logins: number;
  loginAttempts: number;
  /** Successful logins on /api/auth/login (the user scheme). */
  userLogins: number;
  userLoginAttempts: number;
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
  /** The one account the explorer login accepts; no default is baked in. */
  credentials: { email: string; password: string };
  /** Platform users registered from the start (more come through POST /api/auth/register). */
  users?: Array<{ email: string; password: string }>;
  /** Explorer token lifetime; the real API gives 43200 s and says so in `expires_in`. */
  tokenTtlSec?: number;
  /** User token lifetime, only in the token's `exp` claim as on the real API (7 days). */
  userTokenTtlSec?: number;
  /** The two schemes sign with different secrets: an explorer token on a user route gets 401 instead of 500. */
  separateSecrets?: boolean;
  /**
   * A chain whose contract logs the (modelled) listener indexes: /api/explorer/events then serves what it stored,
   * /__demo/rpc answers JSON-RPC for the chain, and `dropEvents` loses events. Without it, fixed sample events.
   */
  chain?: DemoChain;
  /** The next block the listener will read (its heartbeat's block); default the chain head + 1. */
  listenerBlock?: () => bigint;
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
  const userTtlSec = opts.userTokenTtlSec ?? 7 * 86_400;
  const now = opts.now ?? (() => Date.now());
  const random = opts.random ?? Math.random;
  const newKey = () => crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) as Promise<CryptoKey>;
  const keys = { explorer: newKey(), user: undefined as Promise<CryptoKey> | undefined };
  keys.user = opts.separateSecrets ? newKey() : keys.explorer;
  const users = new Map<string, { id: number; password: string; role: string }>();
  for (const u of opts.users ?? []) users.set(u.email, { id: users.size + 1, password: u.password, role: 'user' });
  let faults: DemoFaults = structuredClone(NO_FAULTS) as DemoFaults;
  let generation = 0;
  const hung = new Set<() => void>();
  const stats: DemoStats = { logins: 0, loginAttempts: 0, userLogins: 0, userLoginAttempts: 0, requests: {} };

  // Explorer tokens carry `email` and `exp`; user tokens `user_id`, `email`, `role` and `exp` (plus the demo's revocation generation).
  async function issueToken(scheme: 'explorer' | 'user', claims: Record<string, unknown>, lifetimeSec: number): Promise<string> {
    const iat = Math.floor(now() / 1000);
    const payload = { ...claims, iat, exp: iat + lifetimeSec, gen: generation, jti: crypto.randomUUID() };
    const head = `${b64urlJson({ alg: 'HS256', typ: 'JWT' })}.${b64urlJson(payload)}`;
    const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await keys[scheme]!, new TextEncoder().encode(head)));
    return `${head}.${b64url(sig)}`;
  }

  /** The claims of a good bearer token for this scheme's routes, or why it is refused. */
  async function verify(
    header: string | undefined,
    scheme: 'explorer' | 'user',
  ): Promise<{ claims: Record<string, unknown> } | { refused: string }> {
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!token) return { refused: 'Missing token' };
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return { refused: 'Invalid token' };
    let valid = false;
    try {
      valid = await crypto.subtle.verify('HMAC', await keys[scheme]!, fromB64url(s) as BufferSource, new TextEncoder().encode(`${h}.${p}`));
    } catch {
      valid = false;
    }
    if (!valid) return { refused: 'Invalid token' };
    const claims = JSON.parse(new TextDecoder().decode(fromB64url(p))) as Record<string, unknown> & { exp: number; gen: number };
    if (faults.expiredTokens || claims.exp * 1000 <= now() || claims.gen !== generation) return { refused: 'Token expired' };
    return { claims };
  }

  // The listener's event store, modelled: blocks before `indexed` are processed; events of blocks processed while
  // dropEvents was on are lost, as when the real listener's get_logs calls fail and it moves on anyway.
  let indexed: bigint | undefined;
  const dropped = new Set<string>();
  function syncIndex(): void {
    if (!opts.chain) return;
    const next = opts.listenerBlock?.() ?? opts.chain.head() + 1n;
    if (indexed === undefined) indexed = next;
    if (next > indexed && faults.dropEvents) {
      for (const log of opts.chain.logs(indexed, next - 1n)) dropped.add(log.transactionHash);
    }
    if (next > indexed) indexed = next;
  }
  function storedEvents() {
    if (!opts.chain) return demoEvents(now());
    syncIndex();
    const last = indexed! - 1n;
    const first = last > 5000n ? last - 5000n : 0n;
    return opts.chain
      .logs(first, last)
      .filter((l) => !dropped.has(l.transactionHash))
      .reverse()
      .map((l) => ({
        id: Number(l.blockNumber),
        event_type: l.eventType,
        block_number: Number(l.blockNumber),
        tx_hash: l.transactionHash,
        contract_address: l.address,
        timestamp: new Date(now() - Number(last - l.blockNumber) * 2000).toISOString(),
      }));
  }

  const app = new Hono();

  // The real API's gunicorn default: one synchronous worker, so requests queue behind the one in progress.
  let worker: Promise<void> = Promise.resolve();
  app.use('/api/*', async (_c, next) => {
    if (!faults.singleWorker) return next();
    const before = worker;
    let done!: () => void;
    worker = new Promise<void>((resolve) => (done = resolve));
    await before;
    try {
      await next();
    } finally {
      done();
    }
  });

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
    const v = await verify(c.req.header('authorization'), 'explorer');
    if ('refused' in v) return c.json({ error: v.refused }, 401);
    await next();
  };
  // The real user routes read claims['user_id']: an explorer token signed with the same secret ends in a KeyError.
  const userAuthed = async (c: Context, next: () => Promise<void>) => {
    const v = await verify(c.req.header('authorization'), 'user');
    if ('refused' in v) return c.json({ error: v.refused }, 401);
    if (!('user_id' in v.claims)) return c.json({ details: "'user_id'" }, 500);
    await next();
  };

  const readJson = async (c: Context): Promise<Record<string, unknown> | undefined> => {
    try {
      const body = await c.req.json();
      return body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };

  app.post('/api/explorer/login', async (c) => {
    stats.loginAttempts += 1;
    const body = await readJson(c);
    if (!body) return c.json({ error: 'Invalid JSON body' }, 400);
    if (typeof body.email !== 'string' || typeof body.password !== 'string') {
      return c.json({ error: 'email and password are required' }, 400);
    }
    if (body.email !== opts.credentials.email || body.password !== opts.credentials.password) {
      return c.json({ error: 'Invalid credentials' }, 401);
    }
    stats.logins += 1;
    return c.json({ status: 'success', token: await issueToken('explorer', { email: body.email }, ttlSec), expires_in: ttlSec });
  });

  app.post('/api/auth/register', async (c) => {
    const body = await readJson(c);
    const { email, password, coercion_password: coercion } = body ?? {};
    if (typeof email !== 'string' || typeof password !== 'string' || typeof coercion !== 'string' || !email || !password) {
      return c.json({ error: 'email, password and coercion_password are required' }, 400);
    }
    if (coercion === password) return c.json({ error: 'coercion_password must differ from password' }, 400);
    if (users.has(email)) return c.json({ error: 'User already exists' }, 409);
    const user = { id: users.size + 1, password, role: 'user' };
    users.set(email, user);
    return c.json({ message: 'User registered', user: { id: user.id, email, role: user.role } }, 201);
  });

  app.post('/api/auth/login', async (c) => {
    stats.loginAttempts += 1;
    stats.userLoginAttempts += 1;
    const body = await readJson(c);
    const user = typeof body?.email === 'string' ? users.get(body.email) : undefined;
    if (!user || body?.password !== user.password) return c.json({ error: 'Credenciais inválidas' }, 401);
    const email = body!.email as string;
    stats.logins += 1;
    stats.userLogins += 1;
    const token = await issueToken('user', { user_id: user.id, email, role: user.role }, userTtlSec);
    return c.json({ message: 'Login successful', token, user: { id: user.id, email, role: user.role } });
  });

  app.get('/api/health', (c) => c.json({ service: 'blocktrust-api', status: 'ok' }));

  app.get('/api/db/health', (c) =>
    faults.dbDown
      ? c.json({ success: false, error: 'connection to server at "db" (10.0.0.5), port 5432 failed: Connection refused' }, 500)
      : c.json({ success: true, message: 'DB connection OK' }),
  );

  app.get('/api/explorer/events', authed, (c) => {
    const all = storedEvents();
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
        IdentityNFT: DEMO_CONTRACTS.IdentityNFT,
        ProofRegistry: DEMO_CONTRACTS.ProofRegistry,
        FailSafe: '0x3f5d2b8c0e4a6f9b1c3d5e7f9a1b3c5d7e9f1a2b',
      },
      network: 'polygon-amoy',
      chainId: 80002,
    });
  });

  app.get('/api/explorer/stats', (c) => {
    const all = storedEvents();
    const byType: Record<string, number> = {};
    for (const e of all) byType[e.event_type] = (byType[e.event_type] ?? 0) + 1;
    return c.json({
      status: 'success',
      stats: { total_events: all.length, events_24h: Math.min(24, all.length), events_by_type: byType, last_event: all[0] },
    });
  });

  app.post('/api/signature/hash-file', userAuthed, async (c) => {
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

  app.get('/api/wallet/info', userAuthed, (c) => {
    if (faults.noWallet) return c.json({ error: 'No wallet for this user' }, 404);
    return c.json({ address: '0x9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b' });
  });

  app.get('/api/nft/status', userAuthed, (c) => {
    if (faults.noNft) return c.json({ error: 'No NFT for this user' }, 404);
    return c.json({ has_nft: true, nft_id: 7 });
  });

  if (opts.chain) {
    const chain = opts.chain;
    app.post('/__demo/rpc', async (c) => c.json(chain.answer(await c.req.json().catch(() => null))));
  }

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
      syncIndex();
      faults = { ...faults, ...structuredClone(change) };
      if (!faults.hang.length) for (const release of [...hung]) release();
      return faults;
    },
    reset() {
      // Healthy again includes a backfill: the events lost while dropEvents was on are stored after all.
      syncIndex();
      dropped.clear();
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
