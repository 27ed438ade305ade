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

/**
 * Enough of a VT100 to know what a terminal shows: printable text with wrapping and scrolling, CR/LF, cursor
 * position (CSI H), erase in display (CSI J) and in line (CSI K); other sequences (colours, cursor visibility)
 * change nothing on the screen.
 */
export class Screen {
  private grid: string[][];
  private row = 0;
  private col = 0;
  private pending = '';

  constructor(readonly rows: number, readonly columns: number) {
    this.grid = Array.from({ length: rows }, () => Array<string>(columns).fill(' '));
  }

  write(data: string): void {
    const text = this.pending + data;
    this.pending = '';
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === '\x1b') {
        if (i + 1 >= chars.length) {
          this.pending = chars.slice(i).join('');
          return;
        }
        if (chars[i + 1] !== '[') {
          i += 1;
          continue;
        }
        let j = i + 2;
        while (j < chars.length && !/[@-~]/.test(chars[j])) j++;
        if (j >= chars.length) {
          this.pending = chars.slice(i).join('');
          return;
        }
        this.csi(chars.slice(i + 2, j).join(''), chars[j]);
        i = j;
      } else if (ch === '\r') {
        this.col = 0;
      } else if (ch === '\n') {
        this.lineFeed();
      } else if (ch === '\b') {
        this.col = Math.max(0, this.col - 1);
      } else if (ch >= ' ') {
        if (this.col >= this.columns) {
          this.col = 0;
          this.lineFeed();
        }
        this.grid[this.row][this.col] = ch;
        this.col += 1;
      }
    }
  }

  /** The screen, one string per row, trailing blanks removed. */
  lines(): string[] {
    return this.grid.map((r) => r.join('').trimEnd());
  }

  text(): string {
    return this.lines().join('\n');
  }

  private lineFeed(): void {
    if (this.row === this.rows - 1) {
      this.grid.shift();
      this.grid.push(Array<string>(this.columns).fill(' '));
    } else {
      this.row += 1;
    }
  }

  private csi(params: string, final: string): void {
    if (params.startsWith('?')) return;
    const n = params.split(';').map((p) => (p === '' ? undefined : Number(p)));
    const blank = (r: number, from: number, to: number) => {
      for (let c = from; c < to; c++) this.grid[r][c] = ' ';
    };
    switch (final) {
      case 'H':
      case 'f':
        this.row = Math.min(this.rows - 1, Math.max(0, (n[0] ?? 1) - 1));
        this.col = Math.min(this.columns - 1, Math.max(0, (n[1] ?? 1) - 1));
        break;
      case 'J':
        if ((n[0] ?? 0) === 2) for (let r = 0; r < this.rows; r++) blank(r, 0, this.columns);
        else if ((n[0] ?? 0) === 0) {
          blank(this.row, this.col, this.columns);
          for (let r = this.row + 1; r < this.rows; r++) blank(r, 0, this.columns);
        }
        break;
      case 'K':
        if ((n[0] ?? 0) === 0) blank(this.row, this.col, this.columns);
        else if (n[0] === 2) blank(this.row, 0, this.columns);
        break;
    }
  }
}
