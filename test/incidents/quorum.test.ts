// Checks run from several locations: an incident opens only when a quorum of the live locations fails, and
// resolves when fewer do. Pure decisions, table-driven.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAlert } from '../../agent/src/alerts/format.ts';
import type { CheckResult, Condition } from '../../agent/src/core/types.ts';
import {
  decideLocationResults, decideQuorum, locationFailing, quorumOf, quorumSentence, quorumViews, type KnownIncident, type OpenIncident,
  type Streak,
} from '../../agent/src/incidents/policy.ts';

const ts = new Date('2026-03-02T10:00:00Z');
const policy = { failureThreshold: 2, successThreshold: 2, severity: 'crit' as const, slowSeverity: 'warn' as const };
const ok: CheckResult = { check: 'api.health', ts, ok: true, latencyMs: 100, details: {} };
const slow: CheckResult = { ...ok, latencyMs: 1500, details: { slow: true, latency_objective_ms: 1000 } };
const down: CheckResult = { ...ok, ok: false, condition: 'down', details: { error_class: 'http_status', error: 'HTTP 503', status: 503 } };

describe('quorum of locations (pure)', () => {
  test('the quorum: a majority of the live locations unless configured, never more than the live ones', () => {
    const table: Array<[number | undefined, number, number]> = [
      [undefined, 1, 1], [undefined, 2, 2], [undefined, 3, 2], [undefined, 4, 3], [undefined, 5, 3], [undefined, 0, 1],
      [1, 3, 1], [2, 3, 2], [3, 3, 3], [3, 2, 2], [2, 1, 1],
    ];
    for (const [configured, live, expected] of table) {
      assert.equal(quorumOf(configured, live), expected, `quorum ${configured ?? 'default'} with ${live} live`);
    }
  });

  test('a location fails from its failure threshold until its success threshold', () => {
    const s = (failures: number, successes: number): Streak => ({ failures, successes, failingSince: failures ? ts : null });
    const table: Array<[boolean, Streak, boolean]> = [
      [false, s(1, 0), false], [false, s(2, 0), true], [false, s(0, 1), false],
      [true, s(3, 0), true], [true, s(0, 1), true], [true, s(0, 2), false], [true, s(1, 0), true],
    ];
    for (const [was, streak, expected] of table) {
      assert.equal(locationFailing(was, streak, policy), expected, `was ${was}, ${JSON.stringify(streak)}`);
    }
  });

  const views = (failing: Record<string, Condition[]>, live: string[], quorum?: number) =>
    quorumViews(new Map(Object.entries(failing).map(([l, cs]) => [l, new Set(cs)])), live, quorum);
  const live3 = ['frankfurt', 'sao-paulo', 'virginia'];
  const openDown: OpenIncident = { id: 1, condition: 'down', severity: 'crit' };
  const openSlow: OpenIncident = { id: 2, condition: 'slow', severity: 'warn' };
  const show = (t: ReturnType<typeof decideQuorum>[number]) =>
    t.type === 'open' ? `open ${t.condition} ${t.severity}` : t.type === 'resolve' ? `resolve ${t.incidentId}` : `${t.type} ${t.incidentId} ${t.severity}`;

  const scenarios: Array<[string, ReturnType<typeof views>, OpenIncident[], string[], CheckResult?]> = [
    ['1 of 3 failing: nothing', views({ 'sao-paulo': ['down', 'slow'] }, live3), [], []],
    ['2 of 3 failing: down opens (not slow too)', views({ 'sao-paulo': ['down', 'slow'], frankfurt: ['down', 'slow'] }, live3), [], ['open down crit']],
    ['3 of 3 failing, already open: nothing', views({ 'sao-paulo': ['down'], frankfurt: ['down'], virginia: ['down'] }, live3), [openDown], []],
    ['2 of 3 still failing: stays open', views({ 'sao-paulo': ['down'], frankfurt: ['down'] }, live3), [openDown], []],
    ['down to 1 of 3: resolves', views({ 'sao-paulo': ['down'] }, live3), [openDown], ['resolve 1']],
    ['configured quorum 1: one location opens', views({ virginia: ['down'] }, live3, 1), [], ['open down crit']],
    ['configured quorum 3: 2 of 3 is not enough', views({ 'sao-paulo': ['down'], frankfurt: ['down'] }, live3, 3), [], []],
    ['a failing location that is not live does not count', views({ 'sao-paulo': ['down'], tokyo: ['down'] }, live3), [], []],
    ['the base shrinks with the live locations: 1 of 1 opens', views({ 'sao-paulo': ['down'] }, ['sao-paulo']), [], ['open down crit']],
    ['quorum 3 of 3 listed, 2 live: capped at 2', views({ 'sao-paulo': ['down'], frankfurt: ['down'] }, ['frankfurt', 'sao-paulo'], 3), [], ['open down crit']],
    ['2 of 3 slow: slow opens on a slow run', views({ 'sao-paulo': ['slow'], frankfurt: ['slow'] }, live3), [], ['open slow warn'], slow],
    ['2 of 3 slow or worse, below the down quorum: not on a failed run', views({ 'sao-paulo': ['down', 'slow'], frankfurt: ['slow'] }, live3), [], []],
    ['slow open, 2 of 3 down: escalates', views({ 'sao-paulo': ['down', 'slow'], frankfurt: ['down', 'slow'] }, live3), [openSlow], ['escalate 2 crit']],
    ['escalated, down below quorum, slow still at quorum: back to slow',
      views({ 'sao-paulo': ['slow'], frankfurt: ['slow'] }, live3), [{ ...openDown, escalatedFrom: 'slow' }], ['deescalate 1 warn']],
    ['burn-rate incidents are left to the burn evaluation', views({}, live3), [{ id: 9, condition: 'budget_burn', severity: 'crit' }], []],
  ];
  for (const [name, v, open, expected, r = down] of scenarios) {
    test(name, () => assert.deepEqual(decideQuorum(v, open, policy, r).map(show), expected));
  }

  test('the views name the failing live locations, sorted, and the quorum', () => {
    const v = views({ 'sao-paulo': ['down'], frankfurt: ['down'], tokyo: ['down'] }, ['virginia', 'sao-paulo', 'frankfurt']).get('down')!;
    assert.deepEqual(v, { failing: ['frankfurt', 'sao-paulo'], live: ['frankfurt', 'sao-paulo', 'virginia'], quorum: 2 });
    assert.equal(quorumSentence(v), '2 of 3 locations failing: frankfurt, sao-paulo (quorum 2)');
  });
});

describe('one location\'s results of a multi-location check (pure)', () => {
  const others = (failing: Record<string, Condition[]>) => new Map(Object.entries(failing).map(([l, cs]) => [l, new Set(cs)]));
  const at = (i: number, r: CheckResult): CheckResult => ({ ...r, ts: new Date(ts.getTime() + i * 60_000) });
  const live = ['frankfurt', 'sao-paulo', 'virginia'];

  function run(results: CheckResult[], elsewhere: Record<string, Condition[]>, open: KnownIncident[] = [], failing = new Set<Condition>()) {
    const streaks = new Map<Condition, Streak>();
    let ref = 0;
    const out = decideLocationResults('api.health', results, { streaks, failing, open },
      { location: 'sao-paulo', others: others(elsewhere), live }, policy, () => --ref);
    return { ...out, failing, streaks };
  }

  test('failing here alone (1 of 3) opens nothing, but marks this location failing', () => {
    const { effects, failing } = run([at(0, down), at(1, down), at(2, down)], {});
    assert.deepEqual(effects, []);
    assert.deepEqual([...failing].sort(), ['down', 'slow']);
  });

  test('failing here at the threshold with one other location failing (2 of 3): one incident naming both', () => {
    const { effects } = run([at(0, down), at(1, down), at(2, down)], { frankfurt: ['down', 'slow'] });
    assert.deepEqual(effects.map((e) => e.type), ['open', 'event', 'notify'], 'opened once, at the second failure');
    const open = effects[0] as Extract<(typeof effects)[number], { type: 'open' }>;
    assert.equal(open.condition, 'down');
    assert.equal(open.since.getTime(), ts.getTime(), 'dated from this location\'s first failure');
    assert.deepEqual(open.details.locations, { failing: ['frankfurt', 'sao-paulo'], live, quorum: 2 });
    const event = effects[1] as Extract<(typeof effects)[number], { type: 'event' }>;
    assert.equal(event.message, 'api.health: down (crit): 2 of 3 locations failing: frankfurt, sao-paulo (quorum 2)');
  });

  test('one location recovering to its success threshold resolves (1 of 3 left failing)', () => {
    const incident: KnownIncident = { id: 5, check: 'api.health', condition: 'down', severity: 'crit', openedAt: ts, escalations: 0 };
    const { effects, failing } = run([at(10, ok), at(11, ok)], { frankfurt: ['down'] }, [incident], new Set(['down']));
    assert.deepEqual(effects.map((e) => e.type), ['resolve', 'event', 'notify'], 'resolved at the second success, not the first');
    assert.deepEqual([...failing], []);
    const event = effects[1] as Extract<(typeof effects)[number], { type: 'event' }>;
    assert.match(event.message, /^resolved after 11 m: 1 of 3 locations failing: frankfurt \(quorum 2\)$/);
  });

  test('the alert names the failing locations, in English and Brazilian Portuguese', () => {
    const event = {
      kind: 'opened' as const, severity: 'crit' as const, check: 'api.health', condition: 'down' as const, at: ts.toISOString(),
      detail: 'HTTP 503', locations: { failing: ['frankfurt', 'sao-paulo'], live, quorum: 2 },
    };
    assert.deepEqual(formatAlert(event, 'en').split('\n').slice(0, 3),
      ['🚨 [CRIT] api.health: down', '2 of 3 locations: frankfurt, sao-paulo', 'HTTP 503']);
    assert.equal(formatAlert(event, 'pt-BR').split('\n')[1], '2 de 3 locais: frankfurt, sao-paulo');
    assert.doesNotMatch(formatAlert({ ...event, locations: undefined }, 'en'), /location/);
  });
});
