// Shared by the fault-injection suite: the agent as a real process (stopped, or killed with SIGKILL), waiting
// for conditions with generous deadlines, and counting secrets wherever they could end up.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { repoRoot } from '../helpers/cli.ts';

export interface AgentProcess {
  child: ChildProcess;
  /** Everything the agent printed (stdout and stderr). */
  logs(): string;
  exited(): Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs. */
  kill9(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** SIGKILL to every agent a test started and did not stop (a failed assertion skips its cleanup). */
export async function killLeftoverAgents(): Promise<void> {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

export function startAgentProcess(args: string[], env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', MONITOR_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  running.add(child);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return {
    child,
    logs: () => logs,
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

/** Polls `cond` until it holds; fails with `what` after a deadline generous enough for a loaded machine. */
export async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export async function count(db: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query(sql, params)).rows[0].n);
}

/** Where each secret was found: "<place>: <secret label>" per occurrence. */
export function findSecrets(text: string, secrets: Record<string, string>, place: string): string[] {
  const found: string[] = [];
  for (const [label, value] of Object.entries(secrets)) {
    let at = text.indexOf(value);
    while (at !== -1) {
      found.push(`${place}: ${label}`);
      at = text.indexOf(value, at + value.length);
    }
  }
  return found;
}

/**
 * Every row of every monitor_* table and view as text (the sealed secrets column of monitor_channels
 * aside, the one column the Grafana role may not read), searched for each secret.
 */
export async function secretsInTables(db: pg.Pool, secrets: Record<string, string>): Promise<string[]> {
  const { rows: rels } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
       AND c.relname LIKE 'monitor\\_%' AND NOT c.relispartition ORDER BY 1`);
  const found: string[] = [];
  for (const { name } of rels) {
    const sql = name === 'monitor_channels'
      ? `SELECT (to_jsonb(t) - 'secret_sealed')::text AS row FROM monitor_channels t`
      : `SELECT to_jsonb(t)::text AS row FROM ${name} t`;
    for (const { row } of (await db.query<{ row: string }>(sql)).rows) found.push(...findSecrets(row, secrets, name));
  }
  return found;
}

export const BUILTIN_CHECKS = ['api.health', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress',
  'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status'];

/** A checks file with only the given entries (built-ins not listed are disabled); returns its path. */
export async function checksFileWith(entries: Array<Record<string, unknown>>): Promise<string> {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'bt-faults-')), 'checks.json');
  const named = new Set(entries.map((e) => e.name));
  await writeFile(file, JSON.stringify({
    checks: [...BUILTIN_CHECKS.filter((n) => !named.has(n)).map((name) => ({ name, enabled: false })), ...entries],
  }));
  return file;
}
