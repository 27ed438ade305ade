// Logins caused by a route that answers 401 forever, checked every second for 30 s of real time (the runner's
// deadline and timing as in the agent), counted on the local server:
//   ours:     a 401 to a fresh token is recorded as auth without another login; new logins only as the token ages
//   baseline: a new login and a retry on every 401 (the same session with its fresh-token wait set to 0), which is
//             what the agent did before, and what the real API showed as 19 logins in 32 s at a 5 s interval
// Repeated three times each; no database needed. Usage: npm run bench -- logins
import { undiciTransport } from '../agent/src/adapters/node-http.ts';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { createAuthSession } from '../agent/src/checks/auth.ts';
import { classifyError } from '../agent/src/checks/errors.ts';
import { parseCheckSpec, checkKinds, type CheckSpec } from '../agent/src/checks/registry.ts';
import type { CheckContext } from '../agent/src/checks/types.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { runCheck } from '../agent/src/core/runner.ts';
import { systemClock } from '../agent/src/core/types.ts';
import { loadavg } from 'node:os';

const CREDENTIALS = { email: 'bench@blocktrust.test', password: 'bench-password-1' };
const WINDOW_MS = 30_000;

async function refusingApi(): Promise<{ url: string; logins: () => number; close(): void }> {
  let logins = 0;
  const app = new Hono();
  app.post('/api/explorer/login', (c) => {
    logins += 1;
    return c.json({ status: 'success', token: `t${logins}.${crypto.randomUUID()}`, expires_in: 43_200 });
  });
  app.get('/api/explorer/refuses', (c) => c.json({ error: 'Token expired' }, 401));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logins: () => logins, close: () => server.close() };
}

async function loginsIn(freshTokenMs: number | undefined, windowMs = WINDOW_MS): Promise<number> {
  const api = await refusingApi();
  const log = memoryLogger();
  const auth = createAuthSession({ apiBase: api.url, ...CREDENTIALS, fetch, clock: systemClock, log, freshTokenMs });
  const spec = parseCheckSpec({ name: 'refuses', kind: 'http', path: '/api/explorer/refuses', auth: true }, 'bench', { intervalSec: 1 }) as CheckSpec;
  const run = (s: CheckSpec, ctx: CheckContext) => (checkKinds.http.run as (s: CheckSpec, c: CheckContext) => Promise<never>)(s, ctx);
  const ctx = {
    clock: systemClock, log, db: { query: () => Promise.reject(new Error('no database')) }, fetch, http: undiciTransport(), auth, memory: new Map(),
    settings: { apiBase: api.url, sloLatencyMs: 800, maxListenerLagSec: 180 },
  };
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    const started = Date.now();
    await runCheck(spec, run, ctx, classifyError);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
  }
  api.close();
  return api.logins();
}

// A short warm-up (module loading, first connections), then three runs of each, side by side.
await loginsIn(undefined, 2000);
const ours: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < 3; i += 1) {
  const [o, b] = await Promise.all([loginsIn(undefined), loginsIn(0)]);
  ours.push(o);
  baseline.push(b);
}
const max = (xs: number[]) => Math.max(...xs);
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('\n| measure | ours | baseline | ratio |\n|---|---|---|---|');
console.log(`| logins in 30 s, a route answering 401 forever, checked every second (3 runs) | ${ours.join(', ')} | ${baseline.join(', ')} (a login per 401) | ${(max(baseline) / Math.max(1, max(ours))).toFixed(0)}× fewer |`);
