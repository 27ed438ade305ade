import { parse as parseDotenv } from 'dotenv';
import type pg from 'pg';
import type { Runtime } from '../adapters/types.ts';
import { ConfigError, loadEnv, SECRET_VARIABLES, type Env } from '../config/env.ts';
import { createPool } from '../db/pool.ts';
import { createLogger, createRedactor } from '../core/logger.ts';
import { rememberSecret } from '../core/secrets.ts';
import type { Logger } from '../core/types.ts';

export { VERSION } from './version.ts';

/** A failure the user fixes by choosing differently; printed as `error: <message>; <hint>`, exit code 2. */
export class CliError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** What a running `npm start` leaves in MONITOR_DATA_DIR so that the CLI in another shell finds its database. */
export interface DemoConnection {
  databaseUrl: string;
  apiBase: string;
  email: string;
  password: string;
  startedAt: string;
  /** Further variables the demo set for its agent (the RPC endpoint, contract addresses, the platform user). */
  env?: Record<string, string>;
}

export const demoConnectionFile = (dataDir: string) => `${dataDir}/demo.json`;

/** The running demo's connection, or null when there is no file or its demo API does not answer (a stale file). */
export async function runningDemo(runtime: Runtime, dataDir: string): Promise<DemoConnection | null> {
  const file = demoConnectionFile(dataDir);
  if (!(await runtime.fileExists(file))) return null;
  let conn: DemoConnection;
  try {
    conn = JSON.parse(await runtime.readTextFile(file)) as DemoConnection;
    if (typeof conn.databaseUrl !== 'string' || typeof conn.apiBase !== 'string') return null;
  } catch {
    return null;
  }
  try {
    const res = await fetch(`${conn.apiBase}/api/health`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok ? conn : null;
  } catch {
    return null;
  }
}

export interface ContextOptions {
  /** With DATABASE_URL unset, use the database (and API and login) of a running `npm start`. */
  useRunningDemo?: boolean;
}

export interface CliContext {
  runtime: Runtime;
  env: Env;
  log: Logger;
  redact: (text: string) => string;
  /** Opens the database (embedded when DATABASE_URL is unset and the runtime can run one). */
  database(): Promise<Database>;
  out(text: string): void;
  /** Set when DATABASE_URL came from a running demo. */
  demo?: DemoConnection;
}

export interface Database {
  pool: pg.Pool;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** `.env` in the working directory fills variables the environment does not set. */
export async function readEnvironment(runtime: Runtime): Promise<Record<string, string | undefined>> {
  const vars: Record<string, string | undefined> = { ...runtime.env };
  const file = `${runtime.cwd()}/.env`;
  if (await runtime.fileExists(file)) {
    const fromFile = parseDotenv(await runtime.readTextFile(file));
    for (const [k, v] of Object.entries(fromFile)) if (vars[k] === undefined) vars[k] = v;
  }
  return vars;
}

export async function createContext(
  runtime: Runtime,
  overrides: (vars: Record<string, string | undefined>) => Record<string, string> = () => ({}),
  options: ContextOptions = {},
): Promise<CliContext> {
  const found = await readEnvironment(runtime);
  let demo: DemoConnection | undefined;
  if (options.useRunningDemo && !found.DATABASE_URL) {
    demo = (await runningDemo(runtime, found.MONITOR_DATA_DIR || '.data')) ?? undefined;
    if (demo) {
      // Against the demo, the CLI uses the demo's database, API and login unless told otherwise.
      found.DATABASE_URL = demo.databaseUrl;
      found.API_BASE ??= demo.apiBase;
      if (!found.JWT_MONITOR_EMAIL && !found.JWT_MONITOR_PASS) {
        found.JWT_MONITOR_EMAIL = demo.email;
        found.JWT_MONITOR_PASS = demo.password;
      }
      for (const [name, value] of Object.entries(demo.env ?? {})) found[name] ??= value;
    }
  }
  const vars = { ...found, ...overrides(found) };
  const env = loadEnv(vars);
  for (const secret of [...SECRET_VARIABLES.map((name) => vars[name]), demo?.password]) rememberSecret(secret);
  const redact = createRedactor([...SECRET_VARIABLES.map((name) => vars[name]), demo?.password]);
  const log = createLogger({
    level: env.MONITOR_LOG_LEVEL,
    format: env.MONITOR_LOG_FORMAT ?? (runtime.stdout.isTTY ? 'text' : 'json'),
    sink: runtime.stderr,
    redact,
  });
  if (demo) log.info('DATABASE_URL is not set: using the database of the running demo', { since: demo.startedAt, api: demo.apiBase });
  let opened: Promise<Database> | null = null;
  return {
    runtime,
    env,
    log,
    redact,
    out: (text) => runtime.stdout.write(text),
    demo,
    database() {
      opened ??= openDatabase(runtime, env, log);
      return opened;
    },
  };
}

async function openDatabase(runtime: Runtime, env: Env, log: Logger): Promise<Database> {
  if (env.DATABASE_URL) {
    const pool = createPool(env.DATABASE_URL);
    return { pool, url: env.DATABASE_URL, embedded: false, close: () => pool.end() };
  }
  if (!runtime.startEmbeddedPostgres) {
    throw new ConfigError([`DATABASE_URL: required on ${runtime.name} (the embedded Postgres runs only under Node)`]);
  }
  const dir = `${env.MONITOR_DATA_DIR}/pg`;
  log.info('DATABASE_URL is not set: starting the embedded Postgres', { dir, port: env.MONITOR_EMBEDDED_PG_PORT });
  const embedded = await runtime.startEmbeddedPostgres(dir, env.MONITOR_EMBEDDED_PG_PORT, (line) => log.debug(line));
  const pool = createPool(embedded.url);
  return {
    pool,
    url: embedded.url,
    embedded: true,
    async close() {
      await pool.end();
      await embedded.stop();
    },
  };
}
