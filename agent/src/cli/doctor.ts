import { latestVersion, schemaVersion } from '../db/migrate.ts';
import { describeDbError } from '../db/pool.ts';
import { classifyError } from '../checks/errors.ts';
import type { CliContext } from './context.ts';
import { wireChecks, type CheckWiring } from './wiring.ts';

/** ✓ fine, ✗ broken (something will fail: exit 1), ⚠ advice (works, but worth changing: exit 0 unless --strict). */
type Verdict = 'ok' | 'broken' | 'advice';
const MARK: Record<Verdict, string> = { ok: '✓', broken: '✗', advice: '⚠' };

interface Finding {
  verdict: Verdict;
  what: string;
  why: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The v1.2 guide's troubleshooting steps as one command: each line ✓, ✗ (broken) or ⚠ (advice) with the reason.
 * Exits 1 when something is broken, or with `--strict` when there is advice too.
 */
export async function doctorCommand(ctx: CliContext, opts: { strict?: boolean } = {}): Promise<number> {
  const findings: Finding[] = [];
  const report = (verdict: Verdict, what: string, why: string) => {
    findings.push({ verdict, what, why });
    ctx.out(`${MARK[verdict]} ${what}: ${ctx.redact(why)}\n`);
  };
  const add = (ok: boolean, what: string, why: string) => report(ok ? 'ok' : 'broken', what, why);
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
      // The agent migrates when it starts, so an old or missing schema is advice, not a failure.
      const v = await schemaVersion(client);
      report(v === latestVersion() ? 'ok' : 'advice', 'schema current',
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

  try {
    const res = await fetch(`${env.API_BASE}/api/db/health`, { signal: AbortSignal.timeout(5000) });
    const body = await res.json().catch(() => null) as { success?: unknown; error?: unknown } | null;
    add(res.status === 200 && body?.success === true, 'API database',
      res.status === 200 && body?.success === true ? 'GET /api/db/health → 200 success'
        : `GET /api/db/health → HTTP ${res.status}${typeof body?.error === 'string' ? `: ${body.error.slice(0, 200)}` : ''}`);
  } catch (err) {
    add(false, 'API database', `GET ${env.API_BASE}/api/db/health: ${classifyError(err).error}`);
  }

  let auth: CheckWiring['auth'] | undefined;
  try {
    auth = (await wireChecks(ctx.runtime, env, ctx.log)).auth;
  } catch (err) {
    add(false, 'checks', (err as Error).message);
  }
  let explorerToken: string | undefined;
  if (env.JWT_MONITOR_EMAIL && auth) {
    try {
      explorerToken = await auth.login('explorer').token(AbortSignal.timeout(10_000));
      add(true, 'monitoring login', `${env.JWT_MONITOR_EMAIL} gets a token`);
    } catch (err) {
      add(false, 'monitoring login', classifyError(err).error);
    }
  } else if (!env.JWT_MONITOR_EMAIL) {
    add(false, 'monitoring login', 'JWT_MONITOR_EMAIL / JWT_MONITOR_PASS not set: api.events and the synthetic checks cannot authenticate');
  }

  if (env.JWT_USER_EMAIL && auth) {
    try {
      await auth.login('user').token(AbortSignal.timeout(10_000));
      add(true, 'user login', `${env.JWT_USER_EMAIL} gets a token (POST /api/auth/login): the synthetic checks use it`);
    } catch (err) {
      add(false, 'user login', classifyError(err).error);
    }
  } else if (!env.JWT_USER_EMAIL) {
    // Without a user login the synthetic checks send the explorer token; ask the API whether it takes it.
    const why = 'JWT_USER_EMAIL / JWT_USER_PASS not set: synthetic.hash, synthetic.wallet_info and synthetic.nft_status ' +
      'send the explorer token, which the real Blocktrust API refuses on their routes (500 {"details":"\'user_id\'"}, ' +
      'or 401 when its two logins use different secrets). Register a platform user (POST /api/auth/register) and set both';
    let refused: string | undefined;
    if (explorerToken) {
      const probe = await fetch(`${env.API_BASE}/api/wallet/info`, {
        headers: { authorization: `Bearer ${explorerToken}` },
        signal: AbortSignal.timeout(5000),
      }).then(async (res) => ({ status: res.status, text: (await res.text()).slice(0, 120) }), () => undefined);
      if (probe && probe.status !== 200 && probe.status !== 404) {
        refused = `GET /api/wallet/info with the explorer token → HTTP ${probe.status} ${probe.text}`;
      }
    }
    if (refused) add(false, 'user login', `${why}. This API does: ${refused}`);
    else report('advice', 'user login', why);
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
    report(names.length > 0 ? 'ok' : 'advice', 'alert channels', names.length ? names.join(', ')
      : 'none: incidents are recorded but nobody is told; set ALERT_SLACK_WEBHOOK or ALERT_TELEGRAM_BOT + ALERT_TELEGRAM_CHAT, or add one in Grafana');
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
  if (env.POLYGON_RPC_URL && !env.PROOF_REGISTRY_ADDRESS && !env.IDENTITY_NFT_ADDRESS) {
    report('advice', 'listener events', 'PROOF_REGISTRY_ADDRESS / IDENTITY_NFT_ADDRESS not set: nothing compares the events the listener ' +
      'stored with the chain, and a listener that heartbeats while its get_logs calls fail looks healthy');
  }
  await db.close();
  const broken = findings.filter((f) => f.verdict === 'broken').length;
  const advice = findings.filter((f) => f.verdict === 'advice').length;
  const parts = [broken && `${plural(broken, 'problem')} found`, advice && plural(advice, 'piece of advice', 'pieces of advice')].filter(Boolean);
  ctx.out(parts.length ? `${parts.join(', ')}${advice && opts.strict ? ' (--strict: advice fails too)' : ''}\n` : 'all good\n');
  return broken || (opts.strict && advice) ? 1 : 0;
}
