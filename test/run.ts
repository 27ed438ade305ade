// The one test command (`npm test`): starts a Postgres when TEST_DATABASE_URL is not set, runs the
// plugin's jest suite when the plugin has one, then every test/**/*.test.ts with node's test runner,
// and closes with one summary line. Arguments narrow the node run to files or folders.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../agent/src/adapters/embedded-postgres.ts';

const root = path.resolve(import.meta.dirname, '..');

function collect(target: string, out: string[]): void {
  const st = statSync(target);
  if (st.isDirectory()) {
    for (const entry of readdirSync(target).sort()) {
      if (entry === 'node_modules' || entry.startsWith('.')) continue;
      collect(path.join(target, entry), out);
    }
  } else if (/\.test\.ts$/.test(target)) {
    out.push(target);
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit' });
    child.on('error', (err) => {
      process.stderr.write(`cannot run ${cmd}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const counts = { passed: 0, failed: 0, skipped: 0 };
let embedded: EmbeddedPostgresHandle | undefined;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const env = { ...process.env };
  if (!env.TEST_DATABASE_URL) {
    // TEST_DATA_DIR moves the cluster elsewhere (the runner's own test uses it).
    const dir = path.join(env.TEST_DATA_DIR ? path.resolve(env.TEST_DATA_DIR) : path.join(root, '.data'), 'test-pg');
    process.stdout.write(`starting embedded Postgres for the tests (${path.relative(root, dir)})\n`);
    try {
      embedded = await startEmbeddedPostgres({ dir });
    } catch (err) {
      const line = err instanceof EmbeddedPostgresError ? err.line : (err as Error).message;
      throw new Error(`cannot start the embedded Postgres for the tests: ${line} (or set TEST_DATABASE_URL)`);
    }
    env.TEST_DATABASE_URL = embedded.url;
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    const reports = await mkdtemp(path.join(tmpdir(), 'bt-test-'));
    const pluginPkg = JSON.parse(readFileSync(path.join(root, 'plugin/package.json'), 'utf8'));
    if (args.length === 0 && pluginPkg.scripts?.test) {
      const jestReport = path.join(reports, 'jest.json');
      const code = await run('npm', ['run', 'test', '-w', 'plugin', '--', '--ci', '--json', `--outputFile=${jestReport}`], env);
      const jest = existsSync(jestReport) ? JSON.parse(await readFile(jestReport, 'utf8')) : null;
      passed += jest?.numPassedTests ?? 0;
      failed += (jest?.numFailedTests ?? 0) + (jest?.numRuntimeErrorTestSuites ?? 0);
      skipped += (jest?.numPendingTests ?? 0) + (jest?.numTodoTests ?? 0);
      if (code !== 0 && failed === 0) failed += 1;
      process.stdout.write(`plugin (jest): ${jest?.numPassedTests ?? 0} passed, ${jest?.numFailedTests ?? 0} failed\n\n`);
    }
    const files: string[] = [];
    for (const target of args.length ? args : ['test']) collect(path.resolve(root, target), files);
    if (files.length === 0) throw new Error(`no test files under ${args.join(' ') || 'test'}`);
    const tap = path.join(reports, 'report.tap');
    const code = await run(
      process.execPath,
      [
        '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000',
        '--test-reporter=spec', '--test-reporter-destination=stdout',
        '--test-reporter=tap', `--test-reporter-destination=${tap}`,
        ...files,
      ],
      env,
    );
    const report = existsSync(tap) ? await readFile(tap, 'utf8') : '';
    const count = (key: string) => Number(report.match(new RegExp(`^# ${key} (\\d+)$`, 'm'))?.[1] ?? 0);
    passed += count('pass');
    failed += count('fail') + count('cancelled');
    skipped += count('skipped') + count('todo');
    if (code !== 0 && count('fail') === 0) failed += 1;
  } finally {
    Object.assign(counts, { passed, failed, skipped });
    await embedded?.stop();
  }
}

// The summary line closes every run, whatever happened before it.
function finish(error?: string): never {
  if (error) {
    process.stderr.write(`test run failed: ${error}\n`);
    counts.failed += 1;
  }
  process.stdout.write(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  process.exit(counts.failed === 0 && counts.passed > 0 ? 0 : 1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (embedded?.stop() ?? Promise.resolve()).finally(() => finish(`stopped by ${signal}`));
  });
}
process.on('uncaughtException', (err) => finish(String(err?.message ?? err)));
main().then(() => finish(), (err) => finish(String((err as Error)?.message ?? err)));
