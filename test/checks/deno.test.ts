import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { selfSignedCert } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const deno = path.join(root, 'node_modules/.bin/deno');

function runDeno(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(deno, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test(
  'under Deno, real fetch failures get the same classes as under Node',
  { skip: !existsSync(deno) && 'deno is not installed' },
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bt-deno-tls-'));
    try {
      const { cert, key } = selfSignedCert();
      await writeFile(path.join(dir, 'cert.pem'), cert);
      await writeFile(path.join(dir, 'key.pem'), key);
      const r = await runDeno([
        'run',
        '--config',
        'deno.json',
        '--allow-net',
        '--allow-read',
        '--allow-env',
        'test/checks/deno/classify-smoke.ts',
        path.join(dir, 'cert.pem'),
        path.join(dir, 'key.pem'),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      for (const cls of ['connect_refused', 'dns', 'tls', 'network', 'timeout']) {
        assert.equal(out[cls].error_class, cls, `${cls}: ${JSON.stringify(out[cls])}`);
        assert.ok(String(out[cls].error).length > 10);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
