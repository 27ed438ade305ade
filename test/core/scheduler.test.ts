import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckSpecBase } from '../../agent/src/checks/types.ts';
import { runCheck } from '../../agent/src/core/runner.ts';
import { startScheduler } from '../../agent/src/core/scheduler.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { systemClock, type CheckResult } from '../../agent/src/core/types.ts';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';

const spec = (name: string, intervalSec: number, timeoutMs: number): CheckSpecBase => ({
  name, kind: 'test', enabled: true, intervalSec, timeoutMs, severity: 'crit', slowSeverity: 'warn',
  failureThreshold: 2, successThreshold: 2,
});
const settings = { apiBase: 'http://127.0.0.1:1', sloLatencyMs: 800, maxListenerLagSec: 180 };
const ctx = { clock: systemClock, log: memoryLogger(), db: null as never, fetch, http: undiciTransport(), auth: null as never, settings, memory: new Map() };
const classify = (err: unknown) => ({ error_class: 'internal' as const, error: String(err) });

test('a hung check (ignoring its abort signal) neither delays nor blocks the others, and never overlaps itself', async () => {
  const log = memoryLogger();
  const results: CheckResult[] = [];
  const controller = new AbortController();
  let hungStarts = 0;
  const hang = () => { hungStarts++; return new Promise<never>(() => {}); };
  const quick = async () => ({ ok: true, details: {} });
  const checks = [
    { spec: spec('hung', 1, 1500), fn: hang },
    { spec: spec('fast.a', 1, 1000), fn: quick },
    { spec: spec('fast.b', 1, 1000), fn: quick },
  ];
  const started = performance.now();
  const done = startScheduler({
    checks: checks.map(({ spec: s, fn }) => ({ spec: s, run: (signal) => runCheck(s, fn, { ...ctx, signal }, classify) })),
    clock: systemClock, log, signal: controller.signal, onResult: (r) => results.push(r),
  });
  await systemClock.sleep(4200);
  controller.abort();
  await done;
  const elapsed = (performance.now() - started) / 1000;
  const fastA = results.filter((r) => r.check === 'fast.a').length;
  const hung = results.filter((r) => r.check === 'hung');
  // 1 s interval over ~4.2 s: a fast check runs 4 or 5 times whatever the hung one does.
  assert.ok(fastA >= 4 && fastA <= 5, `fast.a ran ${fastA} times in ${elapsed}s`);
  assert.ok(hung.length >= 2, 'the hung check is recorded as timed out');
  assert.ok(hung.every((r) => !r.ok && r.details.error_class === 'timeout' && r.latencyMs >= 1400));
  assert.ok(hungStarts <= 3, `runs of the hung check never overlap (started ${hungStarts} times)`);
  assert.ok(log.lines.some((l) => /previous run still going/.test(l)));
});

test('starts are spread over the interval instead of all at once', async () => {
  const firstRun = new Map<string, number>();
  const controller = new AbortController();
  const t0 = performance.now();
  const names = ['a', 'b', 'c', 'd'];
  const done = startScheduler({
    checks: names.map((n) => ({
      spec: spec(n, 2, 1000),
      run: async () => {
        if (!firstRun.has(n)) firstRun.set(n, performance.now() - t0);
        return { check: n, ts: new Date(), ok: true, latencyMs: 0, details: {} };
      },
    })),
    clock: systemClock, log: memoryLogger(), signal: controller.signal, onResult: () => {},
  });
  await systemClock.sleep(2100);
  controller.abort();
  await done;
  const offsets = names.map((n) => firstRun.get(n)!);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] - offsets[i - 1] >= 400, `offsets ${offsets.map(Math.round)}`);
});

test('a passing run over its latency objective is flagged slow; a thrown error is classified', async () => {
  const slow = await runCheck({ ...spec('s', 1, 1000), latencySloMs: 20 },
    async () => { await systemClock.sleep(40); return { ok: true, details: { status: 200 } }; }, ctx, classify);
  assert.equal(slow.ok, true);
  assert.equal(slow.details.slow, true);
  assert.equal(slow.condition, 'slow');
  const thrown = await runCheck(spec('t', 1, 1000), async () => { throw new Error('boom'); }, ctx, classify);
  assert.equal(thrown.ok, false);
  assert.equal(thrown.details.error_class, 'internal');
  assert.equal(thrown.condition, 'down');
});

test('a run that failed because the monitor database failed is marked unrecordable, not as a failure of the target', async () => {
  const { DatabaseFailure } = await import('../../agent/src/checks/errors.ts');
  const r = await runCheck(spec('listener.lag', 1, 1000), async () => { throw new DatabaseFailure('reading heartbeats', new Error('ECONNREFUSED')); }, ctx, classify);
  assert.ok(r.unrecordable, 'marked so the agent does not record it');
});

test('a start the agent is too far behind to make is skipped and counted, and the stall is reported as lag', async () => {
  const controller = new AbortController();
  const skipped: string[] = [];
  const lags: number[] = [];
  let runs = 0;
  const done = startScheduler({
    checks: [{ spec: spec('a', 1, 1000), run: async () => { runs++; return { check: 'a', ts: new Date(), ok: true, latencyMs: 0, details: {} }; } }],
    clock: systemClock, log: memoryLogger(), signal: controller.signal, onResult: () => {},
    onSkip: (check, reason) => skipped.push(`${check}:${reason}`), onLag: (ms) => lags.push(ms),
  });
  // The first run starts at once; then the event loop is held for 2.5 s, so the start due at 1 s comes ≥ 1.5 s late.
  const until = performance.now() + 2500;
  while (performance.now() < until) { /* a stalled event loop */ }
  const deadline = Date.now() + 60_000;
  while (!skipped.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  controller.abort();
  await done;
  assert.equal(runs, 1, 'only the first run started');
  assert.deepEqual(skipped, ['a:late']);
  assert.ok(lags.some((ms) => ms >= 1500), `lag seen: ${lags.map(Math.round)}`);
});
