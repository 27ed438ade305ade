// A newcomer's first hour, end to end: `npm start` (the demo command, embedded Postgres) in an 80×24 pseudo-terminal,
// the CLI from another process with no DATABASE_URL, a fault and its incident, reset, Ctrl-C, a second start.
// The pseudo-terminal is util-linux `script`; what the terminal shows is rendered by a small VT100 (Screen).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { freePort } from '../../agent/src/adapters/embedded-postgres.ts';
import { repoRoot, runCli, Screen } from '../helpers/cli.ts';

const CHECKS = ['api.health', 'api.db', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress',
  'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status', 'chain.head', 'listener.events'];
const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;
const cleanup: string[] = [];
after(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

interface Terminal {
  screen: Screen;
  /** Everything the program wrote, escape sequences included. */
  raw(): string;
  /** Types on the keyboard (\x03 is Ctrl-C). */
  type(keys: string): void;
  exited: Promise<number | null>;
  child: ChildProcessWithoutNullStreams;
}

function startInTerminal(args: string[], env: Record<string, string>): Terminal {
  const screen = new Screen(24, 80);
  const command = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', `stty cols 80 rows 24; exec ${command}`, '/dev/null'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    raw += d;
    screen.write(d);
  });
  child.stderr.on('data', (d) => (raw += d));
  return {
    screen,
    raw: () => raw,
    type: (keys) => child.stdin.write(keys),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    child,
  };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, show: () => string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; the screen:\n${show()}`);
}

const tableVisible = (screen: Screen) => {
  const text = screen.text();
  return /^CHECK\s+STATUS\s+LATENCY/m.test(text) && CHECKS.every((name) => new RegExp(`^${name.replace('.', '\\.')}\\s`, 'm').test(text));
};

test('the newcomer path in an 80×24 terminal: start, the CLI beside it, a fault and its incident, reset, Ctrl-C, a second start', {
  skip: hasScript ? false : 'util-linux `script` is not installed (it provides the pseudo-terminal)',
  timeout: 600_000,
}, async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bt-newcomer-'));
  cleanup.push(dataDir);
  await chmod(dataDir, 0o755); // as root, the embedded Postgres then keeps its data in this folder
  const apiPort = await freePort();
  const env = {
    MONITOR_DATA_DIR: dataDir,
    MONITOR_EMBEDDED_PG_PORT: String(await freePort()),
    MONITOR_DEMO_PORT: String(apiPort),
    MONITOR_LOG_LEVEL: 'warn', // a clean run writes no log line over the screen
    SLO_LATENCY_MS: '600000', // only a failure may fail a check, however loaded the machine
  };
  const base = `http://127.0.0.1:${apiPort}`;
  const post = (route: string, body: unknown) => fetch(`${base}${route}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());

  const first = startInTerminal(['demo', '--interval', '1'], env);
  let firstCount = 0;
  let lastBlock = 0n;
  let databaseUrl = '';
  let stoppedAt = 0;
  try {
    const show = () => first.screen.text();
    await waitFor('every check passing on the screen', () =>
      tableVisible(first.screen) && /^No open incident\.$/m.test(first.screen.text()) &&
      CHECKS.every((name) => new RegExp(`^${name.replace('.', '\\.')}\\s+✓ ok`, 'm').test(first.screen.text())), show);
    const screen = first.screen.text();
    assert.match(screen, /^DATABASE_URL=postgres:\/\/postgres:/m, 'the database to use from another shell');
    assert.match(screen, /^Demo login: monitor@demo\.blocktrust\.local \/ [0-9a-f]{24}$/m);
    assert.match(screen, /^No open incident\.$/m);

    // Another shell: no DATABASE_URL, no API address, no login; the CLI finds the running demo.
    const once = await runCli(['once'], { MONITOR_DATA_DIR: dataDir, SLO_LATENCY_MS: '600000' });
    assert.equal(once.code, 0, once.stdout + once.stderr);
    assert.match(once.stdout, /^12 passed, 0 failed$/m);
    databaseUrl = (JSON.parse(await readFile(path.join(dataDir, 'demo.json'), 'utf8')) as { databaseUrl: string }).databaseUrl;

    // A fault: the incident shows under the check table, which stays on the screen.
    await post('/__demo/faults', { errorRateByPath: { '/api/health': 1 } });
    await waitFor('the incident on the screen', () => /^\s+#\d+ \[CRIT\] api\.health down/m.test(first.screen.text()), show);
    assert.ok(tableVisible(first.screen), `the check table stays visible:\n${first.screen.text()}`);
    assert.match(first.screen.text(), /^api\.health\s+✗ FAIL/m);

    await post('/__demo/faults', { reset: true });
    await waitFor('the incident resolved', () => /^No open incident\.$/m.test(first.screen.text()) && /^api\.health\s+✓ ok/m.test(first.screen.text()), show);
    assert.ok(tableVisible(first.screen));
    assert.match(first.screen.lines()[0], /^Blocktrust Monitor demo: probing/, 'nothing scrolled off the top: the screen fits 80×24');

    const db = new pg.Client(databaseUrl);
    await db.connect();
    try {
      firstCount = (await db.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name NOT LIKE '%.tick'`)).rows[0].n;
      lastBlock = BigInt((await db.query(`SELECT max((details->>'block_number')::numeric)::text AS b FROM monitor_metrics WHERE check_name = 'listener.tick'`)).rows[0].b);
    } finally {
      await db.end();
    }
  } finally {
    stoppedAt = first.raw().length;
    first.type('\x03'); // Ctrl-C on the terminal: the agent gets SIGINT, the embedded Postgres does not
  }
  assert.equal(await first.exited, 0, first.raw().slice(-2000));
  // What the stop wrote (a loaded machine may log a skipped run before; that is not the stop's doing).
  assert.doesNotMatch(first.raw().slice(stoppedAt), /WARN|ERROR|lost=/, 'a clean stop: no warning, no error, nothing lost');

  // The second start: the same data, every result of the first run kept, the listener carrying on.
  const second = startInTerminal(['demo', '--interval', '1'], env);
  try {
    await waitFor('the second start running', () => tableVisible(second.screen) && /✓ ok/.test(second.screen.text()), () => second.screen.text());
    const db = new pg.Client((JSON.parse(await readFile(path.join(dataDir, 'demo.json'), 'utf8')) as { databaseUrl: string }).databaseUrl);
    await db.connect();
    try {
      const kept = (await db.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name NOT LIKE '%.tick'`)).rows[0].n;
      assert.ok(kept >= firstCount, `the first run's ${firstCount} results are kept (found ${kept})`);
      await waitFor('a heartbeat of the second run', async () =>
        (await db.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name = 'listener.tick' AND (details->>'block_number')::numeric > $1`,
          [String(lastBlock)])).rows[0].n > 0, () => second.screen.text());
    } finally {
      await db.end();
    }
  } finally {
    second.type('\x03');
  }
  assert.equal(await second.exited, 0, second.raw().slice(-2000));
});
