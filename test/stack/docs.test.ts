// The deploy and troubleshooting guides tell the truth: their SQL runs on a migrated database, the commands and
// options they name exist in the CLI, and the doctor lines and error classes they explain are the agent's own.
import { ERROR_CLASSES } from '@blocktrust-monitor/contract';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { readRepoFile, root } from './files.ts';

const GUIDES = ['docs/troubleshooting.md', 'docs/deploy.md'];

/** Fenced blocks of one language, with the indentation of list items removed. */
function codeBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const re = new RegExp('^([ \\t]*)```' + language + '\\n([\\s\\S]*?)^\\1```', 'gm');
  for (const m of markdown.matchAll(re)) {
    const indent = m[1].length;
    blocks.push(m[2].split('\n').map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n').trim());
  }
  return blocks;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', 'agent/src/main.node.ts', ...args], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
}

describe('docs: deploy and troubleshooting', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('stack_docs');
    // A little of everything the queries look at, so that they run over rows, not only over empty tables.
    await db.pool.query(`
      INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES
        (now() - interval '40 days', 'api.health', true, 120, '{}'),
        (now() - interval '1 hour', 'api.health', false, 10000, '{"error_class":"timeout","error":"no answer within 10 s"}'),
        (now() - interval '2 minutes', 'api.events', true, 950, '{"slow":true}'),
        (now() - interval '1 minute', 'listener.tick', true, 0, '{"note":"heartbeat","block_number":"123"}'),
        (now(), 'agent.tick', true, 0, '{"agent_id":"docs","held_results":0}')`);
    await db.pool.query(`INSERT INTO monitor_metrics_hourly (check_name, bucket, total, ok_count, latency_count, hist_buckets, hist_counts)
      VALUES ('api.health', monitor_hour_of(now() - interval '40 days'), 1, 1, 1, '{109}', '{1}')`);
    await db.pool.query(`INSERT INTO monitor_incidents (severity, title, detail, check_name, condition)
      VALUES ('crit', 'API /health down', 'no answer within 10 s', 'api.health', 'down')`);
  });
  after(async () => db?.drop());

  for (const guide of GUIDES) {
    test(`${guide}: every SQL block runs on a migrated database`, async () => {
      const blocks = codeBlocks(readRepoFile(guide), 'sql').filter((b) => !b.startsWith('\\'));
      assert.ok(blocks.length > 0, 'the guide has SQL');
      const client = await db.pool.connect();
      try {
        for (const sql of blocks) {
          await client.query('BEGIN');
          try {
            for (const statement of sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) {
              await client.query(statement);
            }
          } catch (err) {
            assert.fail(`${guide}:\n${sql}\n→ ${(err as Error).message}`);
          } finally {
            await client.query('ROLLBACK');
          }
        }
      } finally {
        client.release();
      }
    });
  }

  test('the archive step deletes only raw rows whose hour is rolled up', async () => {
    const [deleteSql] = codeBlocks(readRepoFile('docs/deploy.md'), 'sql').filter((b) => b.startsWith('DELETE'));
    assert.ok(deleteSql, 'docs/deploy.md has the archive DELETE');
    await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
      VALUES (now() - interval '50 days', 'api.stats', true, 80, '{}')`);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(deleteSql.replace(/;$/, ''));
      const { rows } = await client.query(`SELECT check_name FROM monitor_metrics WHERE ts < now() - interval '30 days' ORDER BY check_name`);
      await client.query('ROLLBACK');
      assert.deepEqual(rows.map((r) => r.check_name), ['api.stats'], 'api.health (rolled up) goes, api.stats (not rolled up) stays');
    } finally {
      client.release();
    }
  });

  test('every `blocktrust-monitor <command>` and option the guides name exists in the CLI', () => {
    const help = cli(['--help']);
    assert.equal(help.status, 0, help.stderr);
    const commands = [...help.stdout.matchAll(/^\s{2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    assert.ok(commands.includes('run') && commands.includes('doctor'), `commands read from --help: ${commands}`);
    const text = GUIDES.map(readRepoFile).join('\n');
    const named = new Map<string, Set<string>>();
    for (const m of text.matchAll(/blocktrust-monitor ([a-z][a-z-]*)/g)) named.set(m[1], named.get(m[1]) ?? new Set());
    // `slo --window 30d`, `once --check …`: options after a command name, wherever the guides show one.
    const withOptions = new RegExp(`(^|[\\s\`])(${commands.join('|')})((?: --[a-z][a-z-]*(?: [^\\s\`-][^\\s\`]*)*)+)`, 'gm');
    for (const m of text.matchAll(withOptions)) {
      if (/(compose|docker)\s*$/.test(text.slice(Math.max(0, m.index! - 10), m.index! + m[1].length))) continue;
      const options = named.get(m[2]) ?? new Set<string>();
      for (const o of m[3].matchAll(/--[a-z][a-z-]*/g)) options.add(o[0]);
      named.set(m[2], options);
    }
    assert.ok(named.size >= 5, `found ${[...named.keys()]}`);
    assert.ok((named.get('slo')?.size ?? 0) > 0, 'the option scan sees `slo --window …`');
    for (const [command, options] of named) {
      assert.ok(commands.includes(command), `\`blocktrust-monitor ${command}\` is not a command`);
      if (!options.size) continue;
      const sub = cli([command, '--help']);
      for (const option of options) assert.ok(sub.stdout.includes(option), `\`${command} ${option}\` is not an option`);
    }
  });

  test('the doctor lines shown are the ones doctor prints', () => {
    const sample = codeBlocks(readRepoFile('docs/troubleshooting.md'), 'text')[0];
    const source = readRepoFile('agent/src/cli/doctor.ts');
    const labels = [...sample.matchAll(/^[✓✗] ([^:]+):/gm)].map((m) => m[1]);
    assert.ok(labels.length >= 6);
    for (const label of labels) assert.ok(source.includes(`'${label}'`), `doctor has no "${label}" line`);
  });

  test('the configuration errors shown are the agent\'s own wording', () => {
    const sample = codeBlocks(readRepoFile('docs/troubleshooting.md'), 'text')[1];
    // From an empty folder, so that no .env is read.
    const cwd = mkdtempSync(path.join(tmpdir(), 'bt-docs-'));
    const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(root, 'agent/src/main.node.ts'), 'once'], {
      cwd, encoding: 'utf8', timeout: 60_000,
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME,
        SLO_UPTIME_TARGET: '100', JWT_MONITOR_EMAIL: 'monitor@blocktrust.example', DATABASE_URL: 'postgresql://127.0.0.1:1/none',
      },
    });
    rmSync(cwd, { recursive: true, force: true });
    assert.equal(run.status, 2, run.stderr);
    for (const line of sample.split('\n')) assert.ok(run.stderr.includes(line), `the agent does not say "${line}":\n${run.stderr}`);
  });

  test('the error classes explained are ones the agent records', () => {
    const table = readRepoFile('docs/troubleshooting.md').split('\n').filter((l) => /^\| `[a-z_]+`/.test(l));
    const classes = table.flatMap((l) => [...l.split('|')[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    assert.ok(classes.length >= 8);
    const known = new Set<string>(ERROR_CLASSES);
    for (const c of classes) assert.ok(known.has(c), `${c} is not an error class the agent records (contract: ERROR_CLASSES)`);
  });
});
