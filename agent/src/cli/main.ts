import { Command, CommanderError } from 'commander';
import type { Runtime } from '../adapters/types.ts';
import type { CliContext, ContextOptions } from './context.ts';
import { DEMO_CONTRACTS } from '../demo/chain.ts';
import { VERSION } from './version.ts';

type Action = (ctx: CliContext, opts: Record<string, unknown>) => Promise<number>;

// Each command's code is loaded when it runs, so that `--help` and a command's start stay fast.
const runCommand: Action = async (ctx, opts) => (await import('./run.ts')).runCommand(ctx, opts);
const onceCommand: Action = async (ctx, opts) => (await import('./once.ts')).onceCommand(ctx, opts);
const migrateCommand: Action = async (ctx) => (await import('./migrate.ts')).migrateCommand(ctx);
const doctorCommand: Action = async (ctx, opts) => (await import('./doctor.ts')).doctorCommand(ctx, opts);
const sloCommand: Action = async (ctx, opts) => (await import('./slo.ts')).sloCommand(ctx, opts);
const maintainCommand: Action = async (ctx) => (await import('./maintain.ts')).maintainCommand(ctx);
const testAlertCommand: Action = async (ctx, opts) => (await import('./test-alert.ts')).testAlertCommand(ctx, opts);
const demoCommand: Action = async (ctx) => (await import('./demo.ts')).demoCommand(ctx);
const demoApiCommand: Action = async (ctx) => (await import('./demo.ts')).demoApiCommand(ctx);

/** Parses the command line and runs one command; returns the exit code (2 = bad configuration). */
export async function main(runtime: Runtime): Promise<number> {
  let exitCode = 0;
  const program = new Command('blocktrust-monitor')
    .description('Probe agent of Blocktrust Monitor: checks the Blocktrust API and listener, records results in Postgres, alerts on incidents.')
    .version(VERSION)
    .configureOutput({ writeOut: (s) => runtime.stdout.write(s), writeErr: (s) => runtime.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError();

  const wire = (
    cmd: Command,
    action: Action,
    overrides?: (opts: Record<string, unknown>, vars: Record<string, string | undefined>) => Record<string, string>,
    options: (opts: Record<string, unknown>) => ContextOptions = () => ({ useRunningDemo: true }),
  ) =>
    cmd.action(async (opts: Record<string, unknown>) => {
      const [{ createContext }, { describeDbError }] = await Promise.all([import('./context.ts'), import('../db/pool.ts')]);
      let ctx: CliContext;
      try {
        ctx = await createContext(runtime, (vars) => overrides?.(opts, vars) ?? {}, options(opts));
      } catch (err) {
        exitCode = reportError(runtime, err, (t) => t, describeDbError);
        return;
      }
      try {
        exitCode = await action(ctx, opts);
      } catch (err) {
        exitCode = reportError(runtime, err, ctx.redact, describeDbError);
      }
    });
  const reads = (cmd: Command, ...groups: string[][]) =>
    cmd.addHelpText('after', `\nEnvironment (also read from .env; see docs/configuration.md):\n${wrapList(groups.flat())}\n`);

  wire(reads(program.command('run').description('run every check on its schedule until stopped (the daemon)')
    .option('--embedded', 'without DATABASE_URL: use the embedded demo database (that of a running `npm start`, else .data/pg)'),
  ENV.database, ENV.checks, ENV.agent, ENV.maintenance, ENV.alerts), runCommand, undefined, (opts) => ({ useRunningDemo: Boolean(opts.embedded) }));
  wire(reads(program.command('once').description('run every check once, print a table, exit 1 if any failed')
    .option('--check <names...>', 'only these checks'), ENV.database, ENV.checks), onceCommand);
  wire(reads(program.command('migrate').description('create or upgrade the database schema (adopts a v1.2 database)'), ENV.database), migrateCommand);
  wire(reads(program.command('slo').description('the SLO report: uptime, p99, failures, error budget and burn rate per check; exit 1 when a check missed an objective')
    .option('--window <duration>', 'window to report on, e.g. 24h or 30d', '24h')
    .option('--format <format>', 'table or json (one object per check)', 'table'), ENV.database), sloCommand);
  wire(reads(program.command('maintain').description('create partitions ahead, bring rollups up to date, apply retention; prints what it did'),
    ENV.database, ENV.maintenance), maintainCommand);
  wire(reads(program.command('doctor').description('check the setup: database, schema, API and its database, both logins, listener heartbeat, alert channels')
    .option('--strict', 'exit 1 on advice (⚠) too, not only on problems (✗)'), ENV.database, ENV.checks, ENV.alerts), doctorCommand);
  wire(reads(program.command('test-alert').description('send a test message to each configured alert channel and report the outcome')
    .option('--channel <name>', 'only this channel'), ENV.database, ENV.alerts), testAlertCommand);
  wire(reads(program.command('demo').description('embedded Postgres (unless DATABASE_URL is set) + demo Blocktrust API + demo listener + the agent, with a live status')
    .option('--interval <seconds>', 'seconds between runs of each check (default: MONITOR_CHECK_INTERVAL, else 10)')
    .addHelpText('after', DEMO_SWITCHES), ENV.database, ENV.demo, ENV.checks.filter((v) => !DEMO_OWNS.includes(v)), ENV.agent, ENV.maintenance, ENV.alerts),
  demoCommand, (opts, vars) => demoOverrides(runtime, opts, vars), () => ({}));
  wire(reads(program.command('demo-api').description('serve only the demo Blocktrust API and its demo listener (for the compose stack)'),
    ENV.database, ENV.demo), demoApiCommand, undefined, () => ({}));

  try {
    await program.parseAsync(runtime.args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}

/**
 * One line per problem on stderr. Configuration errors and errors that carry a hint (the embedded Postgres
 * cannot start, no database chosen) exit 2; database errors are described with what to check; anything else
 * exits 1 with its message, never a bare `undefined`.
 */
function reportError(runtime: Runtime, err: unknown, redact: (text: string) => string, describeDbError: (err: unknown) => string): number {
  const problems = (err as { name?: unknown; problems?: unknown })?.name === 'ConfigError' ? (err as { problems: unknown }).problems : undefined;
  if (Array.isArray(problems)) {
    for (const problem of problems) runtime.stderr.write(`config error: ${redact(String(problem))}\n`);
    return 2;
  }
  const e = err as { message?: unknown; hint?: unknown; code?: unknown; severity?: unknown };
  if (typeof e?.hint === 'string' && typeof e.message === 'string' && !e.severity) {
    runtime.stderr.write(`error: ${redact(e.message)}; ${redact(e.hint)}\n`);
    return 2;
  }
  if (isDatabaseError(err)) {
    runtime.stderr.write(`error: ${redact(describeDbError(err))}${databaseHint(err)}\n`);
    return 1;
  }
  const message = typeof e?.message === 'string' && e.message ? e.message : err === undefined ? '' : String(err);
  runtime.stderr.write(`error: ${redact(message && message !== 'undefined' ? message : 'an unexpected failure with no message; run with MONITOR_LOG_LEVEL=debug for details')}\n`);
  return 1;
}

/** Errors from the driver or the server: a Postgres SQLSTATE (5 characters), a socket error, or a pg message. */
function isDatabaseError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown; errors?: unknown };
  if (typeof e?.severity === 'string') return true;
  if (typeof e?.code === 'string' && /^(E[A-Z]+|[0-9A-Z]{5})$/.test(e.code) && /connect|database|postgres|ECONN|EAI_AGAIN|ENOTFOUND/i.test(String(e.message ?? e.code))) return true;
  return /Connection terminated|timeout expired|password authentication/i.test(String(e?.message ?? ''));
}

function databaseHint(err: unknown): string {
  const e = err as { hint?: unknown; detail?: unknown };
  const extra = [e?.detail, e?.hint].filter((x): x is string => typeof x === 'string' && x.length > 0);
  return extra.length ? ` (${extra.join('; ')})` : '; check DATABASE_URL, or run `blocktrust-monitor doctor`';
}

/** The variables each command reads, for its --help. */
const ENV = {
  database: ['DATABASE_URL', 'MONITOR_DATA_DIR', 'MONITOR_EMBEDDED_PG_PORT', 'MONITOR_LOG_LEVEL', 'MONITOR_LOG_FORMAT'],
  checks: ['API_BASE', 'JWT_MONITOR_EMAIL', 'JWT_MONITOR_PASS', 'JWT_USER_EMAIL', 'JWT_USER_PASS', 'POLYGON_RPC_URL',
    'PROOF_REGISTRY_ADDRESS', 'IDENTITY_NFT_ADDRESS', 'MONITOR_CHECKS_FILE', 'MONITOR_CHECK_INTERVAL',
    'MONITOR_CHECK_TIMEOUT_MS', 'SLO_LATENCY_MS', 'MAX_LISTENER_LAG_SEC'],
  agent: ['SLO_UPTIME_TARGET', 'MONITOR_FAILURE_THRESHOLD', 'MONITOR_SUCCESS_THRESHOLD', 'MONITOR_AGENT_ID', 'MONITOR_SECRET_KEY',
    'MONITOR_FLUSH_INTERVAL_MS', 'MONITOR_BUFFER_MAX', 'MONITOR_METRICS_PORT', 'MONITOR_METRICS_HOST', 'MONITOR_MAINTENANCE_INTERVAL'],
  alerts: ['ALERT_SLACK_WEBHOOK', 'ALERT_TELEGRAM_BOT', 'ALERT_TELEGRAM_CHAT', 'ALERT_TELEGRAM_API_BASE', 'ALERT_LANGUAGE',
    'ALERT_MIN_SEVERITY', 'ALERT_REPEAT_INTERVAL', 'MONITOR_GRAFANA_URL', 'MONITOR_PLAYBOOK_BASE_URL'],
  maintenance: ['MONITOR_RETENTION_DAYS', 'MONITOR_ROLLUP_RETENTION_DAYS', 'MONITOR_ARCHIVE_DIR'],
  demo: ['MONITOR_DEMO_PORT', 'MONITOR_DEMO_EMAIL', 'MONITOR_DEMO_PASS', 'MONITOR_STATUS_INTERVAL'],
};

/** The demo probes its own API with its own login: these variables are set by it, and a value given for them is ignored. */
const DEMO_OWNS = ['API_BASE', 'JWT_MONITOR_EMAIL', 'JWT_MONITOR_PASS', 'JWT_USER_EMAIL', 'JWT_USER_PASS', 'POLYGON_RPC_URL',
  'PROOF_REGISTRY_ADDRESS', 'IDENTITY_NFT_ADDRESS'];

function wrapList(names: string[], width = 78): string {
  const lines: string[] = [];
  let line = ' ';
  for (const name of [...new Set(names)]) {
    if (line.length + name.length + 1 > width) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${name}`;
  }
  return [...lines, line].join('\n');
}

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

/** Every switch of the demo, for `demo --help` (the README lists the same). */
export const DEMO_SWITCHES = `
Break the demo while it runs: curl -X POST <api>/__demo/faults -d '<json>'
(switches not named keep their value; GET /__demo/faults shows them):
  {"latencyMs":900}                  every answer 900 ms late (objective: 800)
  {"latencyByPath":{"/api/health":900}}         one path late
  {"errorRate":1}                    every call answers 503 (0.3: 30 %)
  {"errorRateByPath":{"/api/explorer/stats":1}} one path failing
  {"badHash":true}                   synthetic.hash gets a wrong SHA-256
  {"hang":["/api/explorer/stats"]}   calls to a path (or "*") never answer
  {"contractsNotDeployed":true}      api.contracts answers 404
  {"expiredTokens":true}             every token is refused (401)
  {"revokeTokens":true}              the tokens issued so far expire
  {"noWallet":true} {"noNft":true}   404 answers that still pass
  {"dbDown":true}                    the API's database is down (api.db)
  {"dropEvents":true}                the listener loses events (listener.events)
  {"singleWorker":true}              one worker: a hung path holds up the rest
  {"reset":true}                     healthy again, the listener included
The listener: curl -X POST <api>/__demo/listener -d '{"action":"stall"}'
  stall    no more heartbeats (a crashed listener)
  freeze   heartbeats stuck on one block
  resume   normal heartbeats again
`;

function demoOverrides(runtime: Runtime, opts: Record<string, unknown>, vars: Record<string, string | undefined>): Record<string, string> {
  const ignored = DEMO_OWNS.filter((name) => vars[name]);
  if (ignored.length) {
    runtime.stderr.write(`note: the demo probes its own API with its own login; ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} ignored\n`);
  }
  // A bad MONITOR_DEMO_PORT is reported under its own name (the API_BASE built from it would only confuse).
  const port = /^\d+$/.test(vars.MONITOR_DEMO_PORT ?? '') ? vars.MONITOR_DEMO_PORT : '10000';
  const interval = opts.interval !== undefined ? String(opts.interval) : vars.MONITOR_CHECK_INTERVAL || '10';
  return {
    MONITOR_CHECK_INTERVAL: interval,
    API_BASE: `http://127.0.0.1:${port}`,
    POLYGON_RPC_URL: `http://127.0.0.1:${port}/__demo/rpc`,
    ...demoCredentials(vars),
  };
}
