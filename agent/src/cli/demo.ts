import { createPgIncidentStore } from '../incidents/store.ts';
import { createDemoApi, type DemoControls } from '../demo/api.ts';
import { createDemoChain, type DemoChain } from '../demo/chain.ts';
import { createDemoListener, lastRecordedBlock, type DemoListener } from '../demo/listener.ts';
import { ConfigError } from '../config/env.ts';
import { systemClock } from '../core/types.ts';
import type { ServeHandle } from '../adapters/types.ts';
import { CliError, demoConnectionFile, runningDemo, type CliContext, type DemoConnection } from './context.ts';
import { setupAgent, untilShutdown } from './agent-setup.ts';
import { stopWithin } from './run.ts';
import { ensureSchema } from './schema.ts';
import { sloSummary } from './slo.ts';
import { createStatusView } from './status-view.ts';
import { wireChecks } from './wiring.ts';

/** A chain a few blocks ahead of the demo listener that keeps moving (a block every 2 s) when the listener stops. */
function demoChainFor(listener: DemoListener): DemoChain {
  let seen = listener.block;
  let since = Date.now();
  return createDemoChain({
    head: () => {
      if (listener.block !== seen) {
        seen = listener.block;
        since = Date.now();
      }
      return seen + 4n + BigInt(Math.floor((Date.now() - since) / 2000));
    },
  });
}

/** What another shell's CLI takes from the running demo, beside the database, API and login. */
const DEMO_SHARED = ['POLYGON_RPC_URL', 'PROOF_REGISTRY_ADDRESS', 'IDENTITY_NFT_ADDRESS', 'JWT_USER_EMAIL', 'JWT_USER_PASS'];

async function serveDemo(ctx: CliContext, hostname: string, listener: DemoListener): Promise<{ handle: ServeHandle; controls: DemoControls }> {
  const email = ctx.env.MONITOR_DEMO_EMAIL;
  const password = ctx.env.MONITOR_DEMO_PASS;
  if (!email || !password) {
    throw new ConfigError(['MONITOR_DEMO_EMAIL and MONITOR_DEMO_PASS: required by demo-api (the only login the demo API accepts)']);
  }
  // The demo account is both the explorer login and a registered platform user, so every check can pass.
  const { app, controls } = createDemoApi({
    credentials: { email, password },
    users: [{ email, password }],
    chain: demoChainFor(listener),
    listenerBlock: () => listener.block,
  });
  // The demo listener's switches, beside the API's own /__demo/faults.
  app.post('/__demo/listener', async (c) => {
    const body = await c.req.json().catch(() => null) as { action?: string } | null;
    const actions: Record<string, () => void> = { stall: listener.stall, freeze: listener.freezeBlock, resume: listener.resume };
    const act = body?.action ? actions[body.action] : undefined;
    if (!act) return c.json({ error: 'expected {"action": "stall" | "freeze" | "resume"}' }, 400);
    act();
    return c.json({ ok: true, action: body!.action });
  });
  // `{"reset":true}` means everything healthy again, the listener included.
  const fetch = async (req: Request): Promise<Response> => {
    if (req.method === 'POST' && new URL(req.url).pathname === '/__demo/faults') {
      const body = await req.clone().json().catch(() => null) as { reset?: unknown } | null;
      const res = await app.fetch(req);
      if (body?.reset === true && res.ok) listener.resume();
      return res;
    }
    return app.fetch(req);
  };
  try {
    const handle = await ctx.runtime.serve(fetch, { port: ctx.env.MONITOR_DEMO_PORT, hostname });
    return { handle, controls };
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ConfigError([`MONITOR_DEMO_PORT: cannot listen on ${hostname}:${ctx.env.MONITOR_DEMO_PORT}${code === 'EADDRINUSE' ? ' (already in use)' : ''}; choose another port`]);
  }
}

/** `npm start`: Postgres (embedded unless DATABASE_URL is set), the demo API and listener, the agent, a live status. */
export async function demoCommand(ctx: CliContext): Promise<number> {
  const connectionFile = demoConnectionFile(ctx.env.MONITOR_DATA_DIR);
  const already = await runningDemo(ctx.runtime, ctx.env.MONITOR_DATA_DIR);
  if (already) {
    throw new CliError(`the demo is already running (since ${already.startedAt}, API ${already.apiBase})`,
      `use it from this shell (the CLI finds its database: npm run agent -- once), or stop it with Ctrl-C in its terminal`);
  }
  const db = await ctx.database();
  await ensureSchema(db.pool);
  const listener = createDemoListener({ db: db.pool, intervalMs: 5000, log: ctx.log, startBlock: await lastRecordedBlock(db.pool) });
  const { handle } = await serveDemo(ctx, '127.0.0.1', listener);
  listener.start();
  await listener.tick();
  const wiring = await wireChecks(ctx.runtime, ctx.env, ctx.log);
  const base = `http://127.0.0.1:${handle.port}`;
  const connection: DemoConnection = {
    databaseUrl: db.url,
    apiBase: base,
    email: ctx.env.MONITOR_DEMO_EMAIL!,
    password: ctx.env.MONITOR_DEMO_PASS!,
    startedAt: new Date().toISOString(),
    env: Object.fromEntries(DEMO_SHARED.flatMap((name) => {
      const value = (ctx.env as unknown as Record<string, unknown>)[name];
      return value === undefined || value === null || value === '' ? [] : [[name, String(value)]];
    })),
  };
  await ctx.runtime.writeTextFile(connectionFile, JSON.stringify(connection, null, 2) + '\n', 0o600);
  let slo = '';
  let sloLine = '';
  let incidents = '';
  let incidentLines: string[] = [];
  const view = createStatusView({
    specs: wiring.specs,
    clock: systemClock,
    write: (t) => ctx.out(t),
    isTTY: ctx.runtime.stdout.isTTY,
    columns: () => ctx.runtime.stdout.columns(),
    rows: () => ctx.runtime.stdout.rows(),
    header: [
      `Blocktrust Monitor demo: probing ${base} every ${ctx.env.MONITOR_CHECK_INTERVAL}s. Ctrl-C stops.`,
      // On a terminal only: a pipe usually ends in a log file, which must not keep passwords.
      ...(ctx.runtime.stdout.isTTY
        ? [db.embedded ? `DATABASE_URL=${db.url}` : 'DATABASE_URL: the one set in the environment',
          `Demo login: ${connection.email} / ${connection.password}`,
          `(another shell finds both: npm run agent -- once | doctor | slo)`]
        : [`DATABASE_URL and the demo login: in ${connectionFile} (mode 0600); the CLI in another shell finds them`]),
      `Break: curl -X POST ${base}/__demo/faults -d '{"errorRate":1}'`,
      `Heal: the same with '{"reset":true}'. Every switch: npm start -- --help`,
    ],
    footer: () => ({ incidents: incidentLines, slo, sloLine }),
  });
  if (ctx.runtime.stdout.isTTY) {
    // A log line written over the screen is wiped by a full redraw.
    const sink = ctx.runtime.stderr;
    const write = sink.write.bind(sink);
    sink.write = (text) => {
      write(text);
      view.invalidate();
    };
  }
  const agent = await setupAgent(ctx, db, wiring, (r) => view.onResult(r));
  const stop = new AbortController();
  const incidentStore = createPgIncidentStore(db.pool, { clock: systemClock, links: {} });
  const refreshIncidents = async () => {
    const rows = await incidentStore.openIncidents();
    rows.sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
    const openMin = (at: Date) => Math.round((Date.now() - at.getTime()) / 60_000);
    incidentLines = rows.length
      ? [`Open incidents (${rows.length}):`, ...rows.map((r) =>
        `  #${r.id} [${r.severity.toUpperCase()}] ${r.check} ${r.condition}, open ${openMin(r.openedAt)} min${r.acknowledgedBy ? `, acknowledged by ${r.acknowledgedBy}` : ''}`)]
      : ['No open incident.'];
    const keys = rows.map((r) => `#${r.id} [${r.severity.toUpperCase()}] ${r.check} ${r.condition}`).join('\n');
    if (!ctx.runtime.stdout.isTTY && keys !== incidents) {
      const before = new Set(incidents ? incidents.split('\n') : []);
      const now = new Set(keys ? keys.split('\n') : []);
      const ts = new Date().toISOString();
      for (const k of now) if (!before.has(k)) ctx.out(`${ts} incident opened ${k}\n`);
      for (const k of before) if (!now.has(k)) ctx.out(`${ts} incident resolved ${k}\n`);
    }
    incidents = keys;
  };
  const report = (async () => {
    let nextSlo = Date.now() + Math.min(60_000, ctx.env.MONITOR_STATUS_INTERVAL * 1000);
    while (!stop.signal.aborted) {
      await systemClock.sleep(ctx.runtime.stdout.isTTY ? 2000 : 5000, stop.signal);
      if (stop.signal.aborted) break;
      try {
        await refreshIncidents();
        if (Date.now() >= nextSlo) {
          nextSlo = Date.now() + ctx.env.MONITOR_STATUS_INTERVAL * 1000;
          const summary = await sloSummary(db.pool, '24h');
          slo = summary.text;
          sloLine = summary.missed ? `SLO 24h: ${summary.missed} check${summary.missed > 1 ? 's' : ''} missed an objective (npm run agent -- slo)` : 'SLO 24h: all objectives met';
          if (!ctx.runtime.stdout.isTTY) ctx.out(`${new Date().toISOString()} ${sloLine}\n`);
        }
      } catch {
        incidentLines = ['Database unreachable: results are held until it is back.'];
      }
    }
  })();
  await refreshIncidents().catch(() => undefined);
  const drawing = view.start(stop.signal);
  const signal = await untilShutdown(ctx);
  ctx.log.info('stopping the demo', { signal });
  stop.abort();
  // The agent's last flush first, while the database still runs; the embedded Postgres stops last.
  await stopWithin(ctx, agent.stop(), 20_000);
  await listener.stop();
  await handle.close();
  await Promise.all([report, drawing]);
  await ctx.runtime.removeFile(connectionFile);
  await db.close();
  ctx.log.info('demo stopped');
  return 0;
}

/** The demo API and listener alone, for the compose stack (listens on all interfaces). */
export async function demoApiCommand(ctx: CliContext): Promise<number> {
  const db = await ctx.database();
  await ensureSchema(db.pool);
  const listener = createDemoListener({ db: db.pool, intervalMs: 10_000, log: ctx.log, startBlock: await lastRecordedBlock(db.pool) });
  const { handle } = await serveDemo(ctx, '0.0.0.0', listener);
  listener.start();
  ctx.log.info('demo Blocktrust API listening', { port: handle.port });
  const signal = await untilShutdown(ctx);
  ctx.log.info('stopping', { signal });
  await listener.stop();
  await handle.close();
  await db.close();
  return 0;
}
