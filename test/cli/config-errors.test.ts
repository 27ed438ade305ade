import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';

const scenarios: Array<{ name: string; env: Record<string, string>; expect: RegExp[] }> = [
  { name: 'a number that is not one', env: { SLO_LATENCY_MS: 'fast' }, expect: [/^config error: SLO_LATENCY_MS: must be a number$/m] },
  { name: 'an uptime target of 100 % or more', env: { SLO_UPTIME_TARGET: '100' }, expect: [/SLO_UPTIME_TARGET: must be less than 100/] },
  { name: 'an interval of zero', env: { MONITOR_CHECK_INTERVAL: '0' }, expect: [/MONITOR_CHECK_INTERVAL: must be at least 1/] },
  { name: 'a database URL of another kind', env: { DATABASE_URL: 'mysql://u:hunter2secret@db/x' }, expect: [/DATABASE_URL: must be a postgresql:\/\/ URL/] },
  { name: 'half a login', env: { JWT_MONITOR_EMAIL: 'monitor@example.com' }, expect: [/JWT_MONITOR_EMAIL and JWT_MONITOR_PASS: set both/] },
  { name: 'a Telegram token of the wrong shape, and no chat', env: { ALERT_TELEGRAM_BOT: 'not-a-token-secretvalue' },
    expect: [/ALERT_TELEGRAM_BOT: must look like a Telegram bot token/, /ALERT_TELEGRAM_BOT and ALERT_TELEGRAM_CHAT: set both or neither/] },
  { name: 'a repeat interval that is not a duration', env: { ALERT_REPEAT_INTERVAL: 'often' }, expect: [/ALERT_REPEAT_INTERVAL: must be a duration like 4h/] },
];

for (const s of scenarios) {
  test(`bad configuration exits 2 with one line per problem: ${s.name}`, async () => {
    const r = await runCli(['once'], { ...s.env, DATABASE_URL: s.env.DATABASE_URL ?? 'postgresql://127.0.0.1:1/none' });
    assert.equal(r.code, 2, r.stderr);
    for (const re of s.expect) assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2secret|secretvalue/, 'no secret value is echoed');
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
}

test('a checks file with mistakes names the file, the entry and the key for each', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bt-checks-'));
  const file = path.join(dir, 'checks.yaml');
  await writeFile(file, [
    'checks:',
    '  - name: api.stats',
    '    interval_sec: -5',
    '  - name: docs.site',
    '    kind: http',
    '  - name: custom.thing',
    '    kind: carrier-pigeon',
    '  - name: api.health',
    '    expect: { status: "two hundred" }',
  ].join('\n'));
  const r = await runCli(['once'], { MONITOR_CHECKS_FILE: file, DATABASE_URL: 'postgresql://127.0.0.1:1/none' });
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.every((l) => l.startsWith(`config error: ${file}: checks[`)), r.stderr);
  assert.match(r.stderr, /checks\[0\]\.interval_sec: expected at least 1 second/);
  assert.match(r.stderr, /checks\[1\]/);
  assert.match(r.stderr, /checks\[2\]\.kind: unknown kind "carrier-pigeon"/);
  assert.match(r.stderr, /checks\[3\]\.expect\.status/);
});

test('an unreadable checks file and invalid YAML are reported, not thrown', async () => {
  const missing = await runCli(['once'], { MONITOR_CHECKS_FILE: '/nonexistent/checks.yaml', DATABASE_URL: 'postgresql://127.0.0.1:1/none' });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /MONITOR_CHECKS_FILE: cannot read \/nonexistent\/checks.yaml: no such file \(the path is relative to/);
  const dir = await mkdtemp(path.join(tmpdir(), 'bt-checks-'));
  const file = path.join(dir, 'bad.yaml');
  await writeFile(file, 'checks: [\n  - name: x\n');
  const bad = await runCli(['once'], { MONITOR_CHECKS_FILE: file, DATABASE_URL: 'postgresql://127.0.0.1:1/none' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.yaml: not valid YAML: .* at line \d+, column \d+$/m, 'the position, not a dangling colon');
});

test('an unreachable database is one clear line, exit 1, no driver dump and no password', async () => {
  const r = await runCli(['migrate'], { DATABASE_URL: 'postgresql://monitor:pa55word-xyz@127.0.0.1:1/db' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /database refused the connection/);
  assert.doesNotMatch(r.stderr + r.stdout, /pa55word-xyz/);
});
