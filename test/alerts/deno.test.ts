import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { freshDatabase } from '../helpers/db.ts';

const deno = 'node_modules/.bin/deno';

test('under Deno, an outage opens, notifies and resolves through the same sources', { skip: !existsSync(deno) && 'deno is not installed' }, async () => {
  const db = await freshDatabase('deno_alerts');
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(deno, ['run', '--quiet', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', 'test/alerts/deno-smoke.ts', db.url],
        { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`deno failed: ${stderr}`)) : resolve(stdout)));
    });
    assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), [
      '🚨 [CRIT] api.health: indisponível',
      '✅ [RESOLVIDO] api.health: indisponível, resolvido após 4 min',
    ]);
  } finally {
    await db.drop();
  }
});
