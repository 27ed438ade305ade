import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the agent's CLI as a user would, under Node (tsx) or Deno, with only the given environment. */
export function runCli(args: string[], env: Record<string, string>, opts: { runtime?: 'node' | 'deno'; timeoutMs?: number } = {}): Promise<CliRun> {
  const runtime = opts.runtime ?? 'node';
  const [cmd, cmdArgs] = runtime === 'node'
    ? [process.execPath, ['--import', 'tsx', path.join(repoRoot, 'agent/src/main.node.ts'), ...args]]
    : [path.join(repoRoot, 'node_modules/.bin/deno'), ['task', '--quiet', 'agent', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1',
        // Never the checkout's .data: a demo running there would otherwise be found and used.
        MONITOR_DATA_DIR: path.join(tmpdir(), 'bt-cli-tests-data'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
