// Bad configuration is refused with one clear line: numbers only in decimal digits, limits that contradict
// each other named together, and defaults that never make an entry fail on a field it did not set.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadChecksConfig } from '../../agent/src/config/checks.ts';
import { ConfigError, loadEnv } from '../../agent/src/config/env.ts';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('environment numbers: decimal digits only, each mistake named with the value seen', () => {
  const cases: Array<[Record<string, string>, string[]]> = [
    [{ MONITOR_CHECK_INTERVAL: '0x10' }, ['MONITOR_CHECK_INTERVAL: must be a whole number in decimal digits such as 60, got "0x10"']],
    [{ MONITOR_CHECK_INTERVAL: '1e1' }, ['MONITOR_CHECK_INTERVAL: must be a whole number in decimal digits such as 60, got "1e1"']],
    [{ MONITOR_BUFFER_MAX: '10_000' }, ['MONITOR_BUFFER_MAX: must be a whole number in decimal digits such as 10000, got "10_000"']],
    [{ SLO_LATENCY_MS: '800.5' }, ['SLO_LATENCY_MS: must be a whole number in decimal digits such as 800, got "800.5"']],
    [{ SLO_UPTIME_TARGET: 'Infinity' }, ['SLO_UPTIME_TARGET: must be a number in decimal digits such as 99.5, got "Infinity"']],
    [{ MONITOR_METRICS_PORT: '0x1F90' }, ['MONITOR_METRICS_PORT: must be a whole number in decimal digits such as 9464, got "0x1F90"']],
    [{ MONITOR_CHECK_TIMEOUT_MS: '400000' }, ['MONITOR_CHECK_TIMEOUT_MS: must be at most 300000']],
    [{ MONITOR_CHECK_INTERVAL: '30', MONITOR_CHECK_TIMEOUT_MS: '45000' },
      ['MONITOR_CHECK_TIMEOUT_MS: 45000 ms is longer than MONITOR_CHECK_INTERVAL (30 s): a run must end before the next one is due']],
  ];
  for (const [vars, want] of cases) assert.deepEqual(problems(() => loadEnv(vars)), want, JSON.stringify(vars));
  // Plain decimals still pass, and an unset timeout shrinks to a short interval instead of failing.
  const env = loadEnv({ MONITOR_CHECK_INTERVAL: ' 5 ', SLO_UPTIME_TARGET: '99.95', MONITOR_CHECK_TIMEOUT_MS: '' });
  assert.deepEqual([env.MONITOR_CHECK_INTERVAL, env.SLO_UPTIME_TARGET, env.MONITOR_CHECK_TIMEOUT_MS], [5, 99.95, 5000]);
  assert.equal(loadEnv({}).MONITOR_CHECK_TIMEOUT_MS, 10_000);
});

async function checksFile(name: string, text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'bt-strict-')), name);
  await writeFile(file, text);
  return file;
}

const load = async (file: string, vars: Record<string, string> = {}) =>
  (await loadChecksConfig(loadEnv({ MONITOR_CHECKS_FILE: file, ...vars }), (p: string) => readFile(p, 'utf8'))).specs;

async function fileProblems(file: string, vars: Record<string, string> = {}): Promise<string[]> {
  try {
    await load(file, vars);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('checks file numbers: 0x10, 0o17, 1e1 and .inf are refused where they are, in YAML and in JSON', async () => {
  const yaml = await checksFile('checks.yaml', [
    'checks:',
    '  - name: api.stats',
    '    interval_sec: 0x10',
    '  - name: docs.site',
    '    kind: http',
    '    url: http://127.0.0.1:9/',
    '    timeout_ms: 1e3',
    '    expect: { status: [0o310] }',
    '    latency_slo_ms: .inf',
  ].join('\n'));
  assert.deepEqual(await fileProblems(yaml), [
    `${yaml}: checks[0].interval_sec: expected a number in decimal digits (such as 60 or 1.5), got "0x10"`,
    `${yaml}: checks[1].timeout_ms: expected a number in decimal digits (such as 60 or 1.5), got "1e3"`,
    `${yaml}: checks[1].expect.status[0]: expected a number in decimal digits (such as 60 or 1.5), got "0o310"`,
    `${yaml}: checks[1].latency_slo_ms: expected a number in decimal digits (such as 60 or 1.5), got ".inf"`,
  ]);
  const json = await checksFile('checks.json', JSON.stringify({ checks: [{ name: 'api.stats', interval_sec: 60 }] }).replace('60', '6e1'));
  assert.deepEqual(await fileProblems(json), [`${json}: checks[0].interval_sec: expected a number in decimal digits (such as 60 or 1.5), got "6e1"`]);
});

test('checks file limits: a timeout longer than the interval is named with both; a default timeout shrinks to fit', async () => {
  const file = await checksFile('limits.yaml', [
    'checks:',
    '  - name: api.stats',
    '    interval_sec: 5',
    '  - name: docs.site',
    '    kind: http',
    '    url: http://127.0.0.1:9/',
    '    interval_sec: 10',
    '    timeout_ms: 30000',
  ].join('\n'));
  assert.deepEqual(await fileProblems(file), [
    `${file}: checks[1].timeout_ms: 30000 ms is longer than interval_sec (10 s): a run must end before the next one is due`,
  ]);
  const ok = await checksFile('ok.yaml', 'checks:\n  - name: api.stats\n    interval_sec: 5\n  - name: api.health\n    interval_sec: 1.5\n');
  const specs = await load(ok, { MONITOR_CHECK_TIMEOUT_MS: '20000', MONITOR_CHECK_INTERVAL: '60' });
  const byName = new Map(specs.map((s) => [s.name, s]));
  assert.deepEqual([byName.get('api.stats')!.timeoutMs, byName.get('api.health')!.timeoutMs, byName.get('api.events')!.timeoutMs], [5000, 1500, 20000]);
});
