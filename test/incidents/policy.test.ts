import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckResult, Condition } from '../../agent/src/core/types.ts';
import { advance, decide, touchedConditions, verdict, type OpenIncident, type Streak } from '../../agent/src/incidents/policy.ts';

const ts = new Date('2026-03-02T10:00:00Z');
const ok: CheckResult = { check: 'c', ts, ok: true, latencyMs: 100, details: {} };
const slow: CheckResult = { ...ok, latencyMs: 1500, details: { slow: true } };
const down: CheckResult = { ...ok, ok: false, condition: 'down', details: {} };
const stalled: CheckResult = { ...ok, ok: false, condition: 'listener_stalled', details: {} };
const policy = { failureThreshold: 2, successThreshold: 2, severity: 'crit' as const, slowSeverity: 'warn' as const };

describe('incident state changes (pure)', () => {
  test('how each result counts for each condition', () => {
    const table: Array<[Condition, CheckResult, string]> = [
      ['down', down, 'bad'], ['down', ok, 'good'], ['down', slow, 'good'], ['down', stalled, 'neutral'],
      ['slow', slow, 'bad'], ['slow', down, 'bad'], ['slow', ok, 'good'], ['slow', stalled, 'neutral'],
      ['listener_stalled', stalled, 'bad'], ['listener_stalled', ok, 'good'], ['listener_stalled', down, 'neutral'],
    ];
    for (const [c, r, v] of table) assert.equal(verdict(c, r), v, `${c} ${JSON.stringify(r.details)} ${r.condition ?? ''}`);
  });

  test('streaks count consecutive runs and remember when failing started', () => {
    let s: Streak = { failures: 0, successes: 0, failingSince: null };
    const t1 = new Date(ts.getTime() + 60_000);
    s = advance(s, 'bad', ts);
    s = advance(s, 'neutral', t1);
    s = advance(s, 'bad', t1);
    assert.deepEqual(s, { failures: 2, successes: 0, failingSince: ts });
    s = advance(s, 'good', t1);
    assert.deepEqual(s, { failures: 0, successes: 1, failingSince: null });
    assert.deepEqual(touchedConditions(stalled, ['no_progress', 'unknown']).sort(), ['down', 'listener_stalled', 'no_progress', 'slow']);
  });

  const streaks = (entries: Array<[Condition, number, number]>) =>
    new Map(entries.map(([c, f, s]) => [c, { failures: f, successes: s, failingSince: f ? ts : null }]));

  const scenarios: Array<[string, Map<Condition, Streak>, OpenIncident[], CheckResult, string[]]> = [
    ['below threshold', streaks([['down', 1, 0], ['slow', 1, 0]]), [], down, []],
    ['down opens alone (not slow too)', streaks([['down', 2, 0], ['slow', 2, 0]]), [], down, ['open down crit']],
    ['slow opens on a slow run', streaks([['down', 0, 2], ['slow', 2, 0]]), [], slow, ['open slow warn']],
    ['slow escalates to down', streaks([['down', 2, 0], ['slow', 4, 0]]), [{ id: 1, condition: 'slow', severity: 'warn' }], down, ['escalate 1 crit']],
    ['escalated recovers to slow: de-escalate', streaks([['down', 0, 2], ['slow', 3, 0]]), [{ id: 1, condition: 'down', severity: 'crit', escalatedFrom: 'slow' }], slow, ['deescalate 1 warn']],
    ['escalated recovers fully: resolve', streaks([['down', 0, 2], ['slow', 0, 2]]), [{ id: 1, condition: 'down', severity: 'crit', escalatedFrom: 'slow' }], ok, ['resolve 1']],
    ['open down, one success', streaks([['down', 0, 1]]), [{ id: 1, condition: 'down', severity: 'crit' }], ok, []],
    ['listener stalled opens', streaks([['listener_stalled', 2, 0]]), [], stalled, ['open listener_stalled crit']],
    ['burn-rate incidents are left to the burn evaluation', streaks([['down', 0, 5]]), [{ id: 9, condition: 'budget_burn', severity: 'crit' }], ok, []],
  ];
  for (const [name, s, open, r, expected] of scenarios) {
    test(name, () => {
      const got = decide(s, open, policy, r).map((t) =>
        t.type === 'open' ? `open ${t.condition} ${t.severity}` : t.type === 'resolve' ? `resolve ${t.incidentId}` : `${t.type} ${t.incidentId} ${t.severity}`);
      assert.deepEqual(got, expected);
    });
  }
});
