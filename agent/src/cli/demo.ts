import { createDemoApi, type DemoControls } from '../demo/api.ts';
import { createDemoChain, DEMO_CONTRACTS, type DemoChain } from '../demo/chain.ts';
import { createDemoListener, type DemoListener } from '../demo/listener.ts';
import { ConfigError } from '../config/env.ts';
import { systemClock } from '../core/types.ts';
import type { ServeHandle } from '../adapters/types.ts';
import type { CliContext } from './context.ts';
import { setupAgent, untilShutdown } from './agent-setup.ts';
import { stopWithin } from './run.ts';
import { ensureSchema } from './schema.ts';
import { sloSummary } from './slo.ts';
import { createStatusView } from './status-view.ts';
import { wireChecks } from './wiring.ts';

/** A random password for the demo login, generated per run unless MONITOR_DEMO_PASS is set. */
export function demoCredentials(vars: Record<string, string | undefined>): Record<string, string> {
  const email = vars.MONITOR_DEMO_EMAIL || 'monitor@demo.blocktrust.local';
  const password = vars.MONITOR_DEMO_PASS || Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    PROOF_REGISTRY_ADDRESS: DEMO_CONTRACTS.ProofRegistry, IDENTITY_NFT_ADDRESS: DEMO_CONTRACTS.IdentityNFT,
    MONITOR_DEMO_EMAIL: email, MONITOR_DEMO_PASS: password,
    JWT_MONITOR_EMAIL: email, JWT_MONITOR_PASS: password,
    JWT_USER_EMAIL: email, JWT_USER_PASS: password,
  };
}

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
  try {
    const handle = await ctx.runtime.serve(app.fetch, { port: ctx.env.MONITOR_DEMO_PORT, hostname });
    return { handle, controls };
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ConfigError([`MONITOR_DEMO_PORT: cannot listen on ${hostname}:${ctx.env.MONITOR_DEMO_PORT}${code === 'EADDRINUSE' ? ' (already in use)' : ''}; choose another port`]);
  }
}

/** `npm start`: Postgres (embedded unless DATABASE_URL is set), the demo API and listener, the agent, a live status. */
export async function demoCommand(ctx: CliContext): Promise<number> {
  const db = await ctx.database();
  await ensureSchema(db.pool);
  const listener = createDemoListener({ db: db.pool, intervalMs: 5000, log: ctx.log });
  const { handle } = await serveDemo(ctx, '127.0.0.1', listener);
  listener.start();
  await listener.tick();
  const wiring = await wireChecks(ctx.runtime, ctx.env, ctx.log);
  const base = `http://127.0.0.1:${handle.port}`;
  let slo = '';
  let incidents = '';
  const view = createStatusView({
    specs: wiring.specs,
    clock: systemClock,
    write: (t) => ctx.out(t),
    isTTY: ctx.runtime.stdout.isTTY,
    columns: () => ctx.runtime.stdout.columns(),
    header: `Blocktrust Monitor demo: agent probing the demo API at ${base} every ${ctx.env.MONITOR_CHECK_INTERVAL}s` +
      ` (Postgres: ${db.embedded ? `embedded, ${ctx.env.MONITOR_DATA_DIR}/pg` : 'DATABASE_URL'}). Ctrl-C stops.\n` +
      `Break it: curl -X POST ${base}/__demo/faults -d '{"latencyMs":900}'  |  '{"errorRate":1}'  |  '{"badHash":true}'  |  ` +
      `'{"dbDown":true}'  |  '{"dropEvents":true}'  |  ` +
      `curl -X POST ${base}/__demo/listener -d '{"action":"stall"}'; heal: curl -X POST ${base}/__demo/faults -d '{"reset":true}'`,
    footer: () => incidents + slo,
  });
  const agent = await setupAgent(ctx, db, wiring, (r) => view.onResult(r));
  const stop = new AbortController();
  const refreshIncidents = async () => {
    const { rows } = await db.pool.query<{ id: number; check_name: string; condition: string; severity: string; open_sec: number; acknowledged_by: string | null }>(
      `SELECT id, check_name, condition, severity, EXTRACT(EPOCH FROM now() - opened_at)::int AS open_sec, acknowledged_by
       FROM monitor_incidents WHERE resolved_at IS NULL ORDER BY opened_at`);
    incidents = rows.length
      ? `Open incidents (${rows.length}):\n` + rows.map((r) =>
        `  #${r.id} [${r.severity.toUpperCase()}] ${r.check_name} ${r.condition}, open ${Math.round(r.open_sec / 60)} min${r.acknowledged_by ? `, acknowledged by ${r.acknowledged_by}` : ''}`).join('\n') + '\n\n'
      : 'No open incident.\n\n';
  };
  const report = (async () => {
    let nextSlo = Date.now() + Math.min(60_000, ctx.env.MONITOR_STATUS_INTERVAL * 1000);
    while (!stop.signal.aborted) {
      await systemClock.sleep(5000, stop.signal);
      if (stop.signal.aborted) break;
      try {
        await refreshIncidents();
        if (Date.now() >= nextSlo) {
          nextSlo = Date.now() + ctx.env.MONITOR_STATUS_INTERVAL * 1000;
          slo = (await sloSummary(db.pool, '24h')).text;
          if (!ctx.runtime.stdout.isTTY) ctx.out('\n' + incidents + slo + '\n');
        }
      } catch {
        incidents = 'Database unreachable: results are held until it is back.\n\n';
      }
    }
  })();
  const drawing = view.start(stop.signal);
  const signal = await untilShutdown(ctx);
  ctx.log.info('stopping the demo', { signal });
  stop.abort();
  await stopWithin(ctx, agent.stop(), 20_000);
  await listener.stop();
  await handle.close();
  await Promise.all([report, drawing]);
  await db.close();
  return 0;
}

/** The demo API and listener alone, for the compose stack (listens on all interfaces). */
export async function demoApiCommand(ctx: CliContext): Promise<number> {
  const db = await ctx.database();
  await ensureSchema(db.pool);
  const listener = createDemoListener({ db: db.pool, intervalMs: 10_000, log: ctx.log });
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
