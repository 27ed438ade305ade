import { Command, CommanderError } from 'commander';
import type { Runtime } from '../adapters/types.ts';
import { ConfigError } from '../config/env.ts';
import { createContext, type CliContext } from './context.ts';
import { describeDbError } from '../db/pool.ts';
import { runCommand } from './run.ts';
import { onceCommand } from './once.ts';
import { migrateCommand } from './migrate.ts';
import { doctorCommand } from './doctor.ts';
import { sloCommand } from './slo.ts';
import { maintainCommand } from './maintain.ts';
import { testAlertCommand } from './test-alert.ts';
import { demoCommand, demoApiCommand, demoCredentials } from './demo.ts';
import { VERSION } from './context.ts';

type Action = (ctx: CliContext, opts: Record<string, unknown>) => Promise<number>;

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
  ) =>
    cmd.action(async (opts: Record<string, unknown>) => {
      let ctx: CliContext;
      try {
        ctx = await createContext(runtime, (vars) => overrides?.(opts, vars) ?? {});
      } catch (err) {
        exitCode = reportError(runtime, err, (t) => t);
        return;
      }
      try {
        exitCode = await action(ctx, opts);
      } catch (err) {
        exitCode = reportError(runtime, err, ctx.redact);
      }
    });

  wire(program.command('run').description('run every check on its schedule until stopped (the daemon)'), runCommand);
  wire(program.command('once').description('run every check once, print a table, exit 1 if any failed')
    .option('--check <names...>', 'only these checks'), onceCommand);
  wire(program.command('migrate').description('create or upgrade the database schema (adopts a v1.2 database)'), migrateCommand);
  wire(program.command('slo').description('the SLO report: uptime, p99, failures, error budget and burn rate per check')
    .option('--window <duration>', 'window to report on, e.g. 24h or 30d', '24h')
    .option('--format <format>', 'table or json (one object per check)', 'table'), sloCommand);
  wire(program.command('maintain').description('create partitions ahead, bring rollups up to date, apply retention; prints what it did'), maintainCommand);
  wire(program.command('doctor').description('check the setup: database, schema, API and its database, both logins, listener heartbeat, alert channels')
    .option('--strict', 'exit 1 on advice (⚠) too, not only on problems (✗)'), doctorCommand);
  wire(program.command('test-alert').description('send a test message to each configured alert channel and report the outcome')
    .option('--channel <name>', 'only this channel'), testAlertCommand);
  wire(program.command('demo').description('embedded Postgres (unless DATABASE_URL is set) + demo Blocktrust API + demo listener + the agent, with a live status')
    .option('--interval <seconds>', 'seconds between runs of each check in the demo', '10'), demoCommand,
    (opts, vars) => ({
      MONITOR_CHECK_INTERVAL: String(opts.interval),
      API_BASE: `http://127.0.0.1:${vars.MONITOR_DEMO_PORT || 10000}`,
      POLYGON_RPC_URL: `http://127.0.0.1:${vars.MONITOR_DEMO_PORT || 10000}/__demo/rpc`,
      ...demoCredentials(vars),
    }));
  wire(program.command('demo-api').description('serve only the demo Blocktrust API and its demo listener (for the compose stack)'), demoApiCommand);

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
function reportError(runtime: Runtime, err: unknown, redact: (text: string) => string): number {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) runtime.stderr.write(`config error: ${redact(problem)}\n`);
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
