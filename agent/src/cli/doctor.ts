import { latestVersion, schemaVersion } from '../db/migrate.ts';
import { describeDbError } from '../db/pool.ts';
import { classifyError } from '../checks/errors.ts';
import type { CliContext } from './context.ts';
import { wireChecks } from './wiring.ts';

interface Finding {
  ok: boolean;
  what: string;
  why: string;
}

/** The v1.2 guide's troubleshooting steps as one command: each line ✓ or ✗ with the reason. */
export async function doctorCommand(ctx: CliContext): Promise<number> {
  const findings: Finding[] = [];
  const add = (ok: boolean, what: string, why: string) => {
    findings.push({ ok, what, why });
    ctx.out(`${ok ? '✓' : '✗'} ${what}: ${ctx.redact(why)}\n`);
  };
  const note = (what: string, why: string) => ctx.out(`· ${what}: ${ctx.redact(why)}\n`);
  const env = ctx.env;
  add(true, 'configuration', `API_BASE=${env.API_BASE}, interval ${env.MONITOR_CHECK_INTERVAL}s, SLO ${env.SLO_UPTIME_TARGET}% / ${env.SLO_LATENCY_MS} ms`);

  const db = await ctx.database();
  let dbOk = false;
  try {
    await db.pool.query('SELECT 1');
    dbOk = true;
    add(true, 'database reachable', db.embedded ? 'embedded Postgres' : 'DATABASE_URL answers');
  } catch (err) {
    add(false, 'database reachable', describeDbError(err));
  }

  if (dbOk) {
    const client = await db.pool.connect();
    try {
      const v = await schemaVersion(client);
      add(v === latestVersion(), 'schema current',
        v === null ? 'no schema yet: run `blocktrust-monitor migrate` (or start the agent, which migrates)'
          : v === latestVersion() ? `version ${v}` : `version ${v}, latest is ${latestVersion()}: run \`blocktrust-monitor migrate\``);
    } finally {
      client.release();
    }
  }

  try {
    const res = await fetch(`${env.API_BASE}/api/health`, { signal: AbortSignal.timeout(5000) });
    const body = await res.json().catch(() => null) as { status?: string } | null;
    add(res.status === 200 && body?.status === 'ok', 'API reachable',
      res.status === 200 ? (body?.status === 'ok' ? 'GET /api/health → 200 status ok' : 'GET /api/health → 200 but status is not "ok"')
        : `GET /api/health → HTTP ${res.status}`);
  } catch (err) {
    add(false, 'API reachable', `GET ${env.API_BASE}/api/health: ${classifyError(err).error}`);
  }

  if (env.JWT_MONITOR_EMAIL) {
    try {
      const wiring = await wireChecks(ctx.runtime, env, ctx.log);
      await wiring.auth.token(AbortSignal.timeout(10_000));
      add(true, 'monitoring login', `${env.JWT_MONITOR_EMAIL} gets a token`);
    } catch (err) {
      add(false, 'monitoring login', classifyError(err).error);
    }
  } else {
    add(false, 'monitoring login', 'JWT_MONITOR_EMAIL / JWT_MONITOR_PASS not set: api.events and the synthetic checks cannot authenticate');
  }

  if (dbOk) {
    const hb = await db.pool.query(`SELECT EXTRACT(EPOCH FROM now() - MAX(ts))::int AS age, COUNT(*) > 0 AS any
      FROM monitor_metrics WHERE check_name = 'listener.tick' AND ts > now() - interval '7 days'`).catch(() => null);
    const age = hb?.rows[0]?.age as number | null | undefined;
    add(age !== null && age !== undefined && age < env.MAX_LISTENER_LAG_SEC, 'listener heartbeat fresh',
      age === null || age === undefined ? 'no listener.tick row in the last 7 days: is the listener writing heartbeats?'
        : `newest listener.tick is ${age}s old (limit ${env.MAX_LISTENER_LAG_SEC}s)`);
    const channels = await db.pool.query(`SELECT name, kind FROM monitor_channels WHERE enabled`).catch(() => ({ rows: [] as { name: string; kind: string }[] }));
    const names = [
      ...(env.ALERT_SLACK_WEBHOOK ? ['slack (ALERT_SLACK_WEBHOOK)'] : []),
      ...(env.ALERT_TELEGRAM_BOT ? ['telegram (ALERT_TELEGRAM_BOT)'] : []),
      ...channels.rows.map((r) => `${r.kind} "${r.name}" (Grafana)`),
    ];
    add(names.length > 0, 'alert channels', names.length ? names.join(', ') : 'none: set ALERT_SLACK_WEBHOOK or ALERT_TELEGRAM_BOT + ALERT_TELEGRAM_CHAT, or add one in Grafana');
  }
  note('secret key', env.MONITOR_SECRET_KEY
    ? 'MONITOR_SECRET_KEY set: channel secrets can be saved from Grafana'
    : 'MONITOR_SECRET_KEY not set: secrets can come only from the environment');
  if (env.POLYGON_RPC_URL) {
    try {
      const res = await fetch(env.POLYGON_RPC_URL, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
        signal: AbortSignal.timeout(5000),
      });
      const body = await res.json() as { result?: string };
      add(typeof body.result === 'string', 'chain RPC', typeof body.result === 'string' ? `head block ${parseInt(body.result, 16)}` : `no result (HTTP ${res.status})`);
    } catch (err) {
      add(false, 'chain RPC', classifyError(err).error);
    }
  }
  await db.close();
  const bad = findings.filter((f) => !f.ok).length;
  ctx.out(bad ? `${bad} problem${bad > 1 ? 's' : ''} found\n` : 'all good\n');
  return bad ? 1 : 0;
}
