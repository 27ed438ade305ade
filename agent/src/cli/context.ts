import { parse as parseDotenv } from 'dotenv';
import type pg from 'pg';
import type { Runtime } from '../adapters/types.ts';
import { ConfigError, loadEnv, SECRET_VARIABLES, type Env } from '../config/env.ts';
import { createPool } from '../db/pool.ts';
import { createLogger, createRedactor } from '../core/logger.ts';
import type { Logger } from '../core/types.ts';

export const VERSION = '0.1.0';

export interface CliContext {
  runtime: Runtime;
  env: Env;
  log: Logger;
  redact: (text: string) => string;
  /** Opens the database (embedded when DATABASE_URL is unset and the runtime can run one). */
  database(): Promise<Database>;
  out(text: string): void;
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
): Promise<CliContext> {
  const found = await readEnvironment(runtime);
  const vars = { ...found, ...overrides(found) };
  const env = loadEnv(vars);
  const redact = createRedactor(SECRET_VARIABLES.map((name) => vars[name]));
  const log = createLogger({
    level: env.MONITOR_LOG_LEVEL,
    format: env.MONITOR_LOG_FORMAT ?? (runtime.stdout.isTTY ? 'text' : 'json'),
    sink: runtime.stderr,
    redact,
  });
  let opened: Promise<Database> | null = null;
  return {
    runtime,
    env,
    log,
    redact,
    out: (text) => runtime.stdout.write(text),
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
  log.info('DATABASE_URL is not set: using the embedded Postgres', { dir, port: env.MONITOR_EMBEDDED_PG_PORT });
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
