import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckResult, Condition } from '../../agent/src/core/types.ts';
import type { Effect, Incident } from '../../agent/src/incidents/model.ts';
import {
  advance, decide, decideAcknowledge, decideBurn, decideLateAnnouncement, decideManualResolve, decideNote, decideReminder,
  decideResults, decideStale, decideUnacknowledge, DEFAULT_BURN_POLICY, evidencedRates, PolicyRefusal, touchedConditions, verdict,
  type KnownIncident, type OpenIncident, type Streak,
} from '../../agent/src/incidents/policy.ts';

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

describe('burn-rate decisions (pure)', () => {
  const now = new Date('2026-03-02T12:00:00Z');
  const rates = (critLong: number, critShort: number, warnLong: number, warnShort: number) => ({ critLong, critShort, warnLong, warnShort });
  const dense = { critLong: 60, critShort: 5, warnLong: 360, warnShort: 30 };
  const measure = (r: ReturnType<typeof rates>, samples = dense) => ({ check: 'api.health', rates: r, samples, uptimeTarget: 99.5 });
  const burning = (severity: 'warn' | 'crit'): KnownIncident =>
    ({ id: 7, check: 'api.health', condition: 'budget_burn', severity, openedAt: new Date(now.getTime() - 600_000), escalations: 0 });
  const down: KnownIncident = { id: 8, check: 'api.health', condition: 'down', severity: 'crit', openedAt: now, escalations: 0 };
  const base = { intervalSec: 60, open: [] as KnownIncident[], failing: false, lastResolvedAt: null, policy: DEFAULT_BURN_POLICY, now };
  const summary = (effects: Effect[]) => effects.filter((e) => e.type !== 'event' && e.type !== 'notify')
    .map((e) => `${e.type}${'severity' in e ? ` ${e.severity}` : ''}`);

  const cases: Array<[string, Parameters<typeof decideBurn>[0], string[]]> = [
    ['14x with dense evidence pages crit', { ...base, measure: measure(rates(14, 14, 14, 14)) }, ['open crit']],
    ['6x with dense evidence warns', { ...base, measure: measure(rates(6, 6, 6, 6)) }, ['open warn']],
    ['thin data: three failures in the 1 h window are not evidence', {
      ...base, measure: measure(rates(200, 200, 200, 200), { critLong: 3, critShort: 3, warnLong: 3, warnShort: 3 }),
    }, []],
    ['enough samples but too little of the window covered (a check started 10 minutes ago)', {
      ...base, measure: measure(rates(50, 50, 50, 50), { critLong: 10, critShort: 5, warnLong: 10, warnShort: 10 }),
    }, []],
    ['defers to an open down incident', { ...base, open: [down], measure: measure(rates(14, 14, 14, 14)) }, []],
    ['defers to a down incident that is opening (its streak has started)', { ...base, failing: true, measure: measure(rates(14, 14, 14, 14)) }, []],
    ['defers to an incident resolved within the short window', {
      ...base, lastResolvedAt: new Date(now.getTime() - 60_000), measure: measure(rates(14, 14, 14, 14)),
    }, []],
    ['warn escalates to crit', { ...base, open: [burning('warn')], measure: measure(rates(14, 14, 14, 14)) }, ['escalate crit']],
    ['resolves once both short windows cool, even with the long windows still hot', {
      ...base, open: [burning('crit')], measure: measure(rates(20, 0.5, 5, 1)),
    }, ['resolve']],
    ['stays open while a short window still burns', { ...base, open: [burning('crit')], measure: measure(rates(20, 13, 5, 4)) }, []],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.deepEqual(summary(decideBurn(input)), expected));
  }

  test('a window counts with at least 5 results covering at least half of it', () => {
    const r = rates(20, 20, 20, 20);
    // At a 60 s interval: 30 results are half of 1 h (counts), 4 are fewer than 5 (does not), 179 are just under half
    // of 6 h (does not), 15 are half of 30 m (counts).
    const got = evidencedRates(measure(r, { critLong: 30, critShort: 4, warnLong: 179, warnShort: 15 }), 60);
    assert.deepEqual(got, { critLong: 20, critShort: 0, warnLong: 0, warnShort: 20 });
  });
});

describe('timers and intents (pure)', () => {
  const at = new Date('2026-03-02T12:00:00Z');
  const incident = (over: Partial<Incident> = {}): Incident => ({
    id: 3, check: 'api.health', condition: 'down', severity: 'crit', title: 'api.health: down', detail: null,
    openedAt: new Date(at.getTime() - 5 * 3600_000), resolvedAt: null, acknowledgedAt: null, acknowledgedBy: null,
    reminderCount: 0, lastNotifiedAt: new Date(at.getTime() - 4 * 3600_000), details: {}, ...over,
  });
  const kinds = (effects: Effect[]) => effects.map((e) => e.type);

  const cases: Array<[string, () => Effect[], string[] | RegExp]> = [
    ['a reminder is due one repeat interval after the last notice', () => decideReminder(incident(), at, 4 * 3600_000), ['remind', 'event', 'notify']],
    ['no reminder before that', () => decideReminder(incident(), at, 5 * 3600_000), []],
    ['no reminder for an acknowledged incident', () => decideReminder(incident({ acknowledgedAt: at }), at, 3600_000), []],
    ['a late announcement once the silence is over', () => decideLateAnnouncement(incident(), false, false), ['notify']],
    ['none while recovering', () => decideLateAnnouncement(incident(), true, false), []],
    ['a stale incident resolves after its limit', () => decideStale(incident(), new Date(at.getTime() - 2 * 3600_000), 3600_000, at), ['resolve', 'event', 'notify']],
    ['not before', () => decideStale(incident(), new Date(at.getTime() - 600_000), 3600_000, at), []],
    ['a burn-rate incident is never stale', () => decideStale(incident({ condition: 'budget_burn' }), null, 1, at), []],
    ['acknowledge', () => decideAcknowledge(incident(), 'ana', at), ['acknowledge', 'event']],
    ['acknowledge twice is refused', () => decideAcknowledge(incident({ acknowledgedAt: at, acknowledgedBy: 'bo' }), 'ana', at), /already acknowledged by bo/],
    ['withdraw without an acknowledgement is refused', () => decideUnacknowledge(incident(), 'ana', at), /is not acknowledged/],
    ['a resolution by hand restarts the failure streak', () => decideManualResolve(incident(), 'ana', at, 'fixed'), ['resolve', 'event', 'notify', 'reset_streak']],
    ['resolving a resolved incident is refused', () => decideManualResolve(incident({ resolvedAt: at }), 'ana', at), /already resolved/],
    ['a note with a postmortem link', () => decideNote(incident(), 'ana', at, 'root cause found', 'https://wiki.test/pm/1'), ['event', 'note']],
  ];
  for (const [name, run, expected] of cases) {
    test(name, () => {
      if (expected instanceof RegExp) assert.throws(run, (err: Error) => err instanceof PolicyRefusal && expected.test(err.message));
      else assert.deepEqual(kinds(run()), expected);
    });
  }

  test('a resolution by hand says who and how long, in the timeline and the notification', () => {
    const [, event, notify] = decideManualResolve(incident(), 'ana', at, 'fixed');
    assert.equal(event.type === 'event' && event.message, 'resolved after 5 h by ana: fixed');
    assert.deepEqual(notify.type === 'notify' && notify.extra, { resolvedAfterSec: 18_000, resolvedBy: 'ana', comment: 'fixed' });
  });
});

describe('results to effects (pure)', () => {
  test('a slow incident states the objective the run was judged by, and an escalation in the same batch names it', () => {
    const streaks = new Map<Condition, Streak>();
    const open: KnownIncident[] = [];
    let ref = 0;
    const t = (m: number) => new Date(ts.getTime() + m * 60_000);
    const runs: CheckResult[] = [
      { ...slow, ts: t(0), details: { slow: true, latency_objective_ms: 250 } },
      { ...slow, ts: t(1), details: { slow: true, latency_objective_ms: 250 } },
      { ...down, ts: t(2), details: { error: 'HTTP 503' } },
      { ...down, ts: t(3), details: { error: 'HTTP 503' } },
    ];
    const { effects } = decideResults('c', runs, { streaks, open }, policy, () => --ref);
    const opened = effects.find((e) => e.type === 'open')!;
    assert.ok(opened.type === 'open');
    assert.equal(opened.detail, 'Took 1500 ms, over the 250 ms objective.');
    assert.equal(opened.details.values?.latency_target_ms, 250);
    assert.equal(opened.details.latency_objective_ms, 250);
    const escalated = effects.find((e) => e.type === 'escalate')!;
    assert.ok(escalated.type === 'escalate');
    assert.equal(escalated.incident, opened.ref, 'the escalation names the incident opened in the same batch');
    assert.deepEqual(open.map((i) => `${i.condition} ${i.severity}`), ['down crit']);
  });

  test('a run the agent marked as overloaded counts for nothing', () => {
    const streaks = new Map<Condition, Streak>();
    const marked = { ...down, details: { error_class: 'timeout', agent_overloaded: true } };
    const { effects, touched } = decideResults('c', [marked, marked, marked], { streaks, open: [] }, policy, () => -1);
    assert.deepEqual(effects, []);
    assert.equal(touched.size, 0);
  });
});
