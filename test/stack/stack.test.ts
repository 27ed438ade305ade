// The compose stack without Docker: the same CLI commands, environments and healthchecks as docker-compose.yml,
// started in the same order as processes on this machine, against a real Postgres. It ends with live data.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../agent/src/adapters/embedded-postgres.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { composeLiteral, parseDockerfile, readCompose, root, startCommand } from './files.ts';

const compose = readCompose();
const BLOCKTRUST_CHECKS = [
  'api.health', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress',
  'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status',
];

/** The image's start command with the compiled entry point replaced by the source it is compiled from. */
function cliFromDockerfile(): string[] {
  const [node, entry] = startCommand(parseDockerfile('agent/Dockerfile'));
  assert.equal(node, 'node');
  assert.match(entry, /^agent\/dist\/(.+)\.js$/);
  return [process.execPath, '--import', 'tsx', entry.replace(/^agent\/dist\/(.+)\.js$/, 'agent/src/$1.ts')];
}

/** The Deno binary the `deno` npm package installed (not its Node wrapper, which would not pass signals on). */
function denoBinary(): string {
  const dir = path.join(root, 'node_modules/@deno');
  const found = readdirSync(dir).map((d) => path.join(dir, d, 'deno')).find((f) => existsSync(f));
  assert.ok(found, 'node_modules/@deno/<platform>/deno');
  return found;
}

/** A service's environment as compose would pass it with no .env: every `${VAR:-default}` takes its default. */
function serviceEnvironment(service: string, overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(compose.services[service].environment ?? {})) {
    env[key] = String(value ?? '').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1').replace(/\$\$/g, '$');
  }
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, ...overrides };
}

interface Running {
  child: ChildProcess;
  log: string[];
}

function start(service: string, env: Record<string, string>, cli = cliFromDockerfile()): Running {
  const command = compose.services[service].command as string[];
  const [bin, ...args] = cli;
  const child = spawn(bin, [...args, ...command], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (log.length > 200) log.splice(0, log.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, log };
}

function healthcheck(service: string, env: Record<string, string>): number | null {
  const test = compose.services[service].healthcheck!.test as string[];
  const [cmd, ...args] = test.slice(1).map(composeLiteral);
  const bin = cmd === 'deno' ? denoBinary() : process.execPath;
  assert.ok(cmd === 'node' || cmd === 'deno', cmd);
  return spawnSync(bin, args, { cwd: root, env, encoding: 'utf8', timeout: 30_000 }).status;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, limitMs: number, logs: () => string): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${limitMs / 1000} s\n${logs()}`);
    await sleep(500);
  }
}

async function stop(running: Running | undefined): Promise<number | null> {
  if (!running || running.child.exitCode !== null) return running?.child.exitCode ?? null;
  const exited = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const killer = setTimeout(() => running.child.kill('SIGKILL'), 30_000);
  const [code] = (await exited) as [number | null];
  clearTimeout(killer);
  return code;
}

describe('the compose stack, as processes', () => {
  let db: TestDatabase;
  let demo: Running | undefined;
  let agent: Running | undefined;
  let denoAgent: Running | undefined;
  let demoPort = 0;
  const redact = (text: string) => (db ? text.split(db.url).join('<DATABASE_URL>') : text).replace(/:\/\/([^:/@\s]+):[^@\s]+@/g, '://$1:***@');
  const logs = () => redact([
    '--- demo', ...(demo?.log.slice(-15) ?? []), '--- agent', ...(agent?.log.slice(-15) ?? []),
    '--- agent-deno', ...(denoAgent?.log.slice(-15) ?? []),
  ].join('\n'));

  before(async () => {
    db = await freshDatabase('stack_up');
    demoPort = await freePort();
  });

  after(async () => {
    await stop(denoAgent);
    await stop(agent);
    await stop(demo);
    await db?.drop();
  });

  test('migrate (the one-shot service) exits 0 and leaves the schema in place', async () => {
    const res = spawnSync(cliFromDockerfile()[0], [...cliFromDockerfile().slice(1), ...(compose.services.migrate.command as string[])], {
      cwd: root, encoding: 'utf8', timeout: 120_000,
      env: serviceEnvironment('migrate', { DATABASE_URL: db.url }),
    });
    assert.equal(res.status, 0, redact(`${res.stdout}${res.stderr}`));
    const { rows } = await db.pool.query("SELECT to_regclass('monitor_metrics') IS NOT NULL AS ok");
    assert.equal(rows[0].ok, true);
  });

  test('demo (demo-api) becomes healthy by its own healthcheck and writes listener heartbeats', async () => {
    const env = serviceEnvironment('demo', { DATABASE_URL: db.url, MONITOR_DEMO_PORT: String(demoPort) });
    demo = start('demo', env);
    await until('demo healthcheck passes', () => (healthcheck('demo', env) === 0 ? true : undefined), 60_000, logs);
    await until('a listener.tick row', async () => {
      const { rowCount } = await db.pool.query("SELECT 1 FROM monitor_metrics WHERE check_name = 'listener.tick' LIMIT 1");
      return rowCount ? true : undefined;
    }, 60_000, logs);
  });

  test('agent (run) becomes healthy by its own healthcheck, and every Blocktrust check reports, passing', async () => {
    assert.ok(demo, 'the demo API runs');
    const env = serviceEnvironment('agent', {
      DATABASE_URL: db.url,
      API_BASE: `http://127.0.0.1:${demoPort}`,
      // The stack's 30 s interval, shortened so that the test does not wait for it.
      MONITOR_CHECK_INTERVAL: '5',
    });
    assert.equal(env.JWT_MONITOR_EMAIL, serviceEnvironment('demo', {}).MONITOR_DEMO_EMAIL, 'the agent logs in with the demo login');
    agent = start('agent', env);
    await until('agent healthcheck passes', () => (healthcheck('agent', env) === 0 ? true : undefined), 90_000, logs);
    const passing = await until('a passing result for each of the nine checks', async () => {
      const { rows } = await db.pool.query(
        'SELECT check_name FROM monitor_metrics WHERE ok AND check_name = ANY($1) GROUP BY check_name', [BLOCKTRUST_CHECKS]);
      return rows.length === BLOCKTRUST_CHECKS.length ? rows.map((r) => r.check_name as string) : undefined;
    }, 90_000, logs);
    assert.deepEqual(passing.sort(), [...BLOCKTRUST_CHECKS].sort());
  });

  test('agent-deno (the deno profile) runs with the Deno image\'s permissions and becomes healthy', async () => {
    const [deno, ...args] = startCommand(parseDockerfile('agent/Dockerfile.deno'));
    assert.equal(deno, 'deno');
    assert.equal(args.at(-1), 'run');
    const env = serviceEnvironment('agent-deno', {
      DATABASE_URL: db.url,
      API_BASE: `http://127.0.0.1:${demoPort}`,
      MONITOR_CHECK_INTERVAL: '5',
      NO_COLOR: '1',
    });
    denoAgent = start('agent-deno', env, [denoBinary(), ...args.slice(0, -1)]);
    await until('agent-deno healthcheck passes', () => (healthcheck('agent-deno', env) === 0 ? true : undefined), 90_000, logs);
    const { rows } = await db.pool.query(
      "SELECT DISTINCT details->>'runtime' AS runtime FROM monitor_metrics WHERE check_name = 'agent.tick' AND details->>'agent_id' = 'compose-deno'");
    assert.equal(rows.length, 1);
    assert.match(rows[0].runtime, /^deno \d/, 'the heartbeat says it runs on Deno');
  });

  test('SIGTERM stops both agents and the demo API cleanly', async () => {
    assert.equal(await stop(denoAgent), 0, logs());
    assert.equal(await stop(agent), 0, logs());
    assert.equal(await stop(demo), 0, logs());
  });
});
