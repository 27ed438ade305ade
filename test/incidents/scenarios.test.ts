// Incident scenarios on the pure policy and the memory store: no database, one table of named runs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel } from '../../agent/src/alerts/channel.ts';
import { createSlackChannel } from '../../agent/src/alerts/slack.ts';
import type { CheckSpecBase } from '../../agent/src/checks/types.ts';
import type { CheckResult } from '../../agent/src/core/types.ts';
import { createIncidentEngine } from '../../agent/src/incidents/engine.ts';
import { createMemoryIncidentStore } from '../../agent/src/incidents/store.ts';
import { capturingLogger, fakeClock } from '../alerts/fakes.ts';
import { spec } from './harness.ts';

type Run = 'ok' | 'fail' | 'slow' | 'stalled';
const channels: Channel[] = [
  createSlackChannel({ name: 'slack', minSeverity: 'warn', language: 'en', enabled: true, source: 'env', webhookUrl: 'http://127.0.0.1:9/services/T/B/x' }),
];

function world(specs: CheckSpecBase[]) {
  const clock = fakeClock();
  const memory = createMemoryIncidentStore({ clock, links: {} });
  const build = () => createIncidentEngine({
    store: memory.store, clock, log: capturingLogger(), configured: () => specs,
    channels: { list: async () => channels, routable: async () => channels, invalidate() {} }, config: { repeatIntervalMs: 4 * 3600_000, burnRate: false },
  });
  let engine = build();
  return {
    memory,
    restart: () => (engine = build()),
    async runs(check: string, runs: Run[]) {
      for (const run of runs) {
        const r: CheckResult = { check, ts: clock.now(), ok: run === 'ok' || run === 'slow', latencyMs: run === 'slow' ? 1400 : 80, details: {} };
        if (run === 'slow') Object.assign(r.details, { slow: true, latency_objective_ms: 800 });
        if (run === 'fail') Object.assign(r, { condition: 'down', details: { error: 'HTTP 503', condition: 'down' } });
        if (run === 'stalled') Object.assign(r, { condition: 'listener_stalled', details: { error: 'stalled', condition: 'listener_stalled' } });
        await engine.onResults([r], specs);
        await engine.tick();
        clock.advance(60_000);
      }
    },
    summary: () => memory.incidents.map((i) => `${i.check} ${i.condition} ${i.severity}${i.resolvedAt ? ' resolved' : ''}`),
    messages: () => memory.notifications.map((n) => n.text.split('\n')[0]),
  };
}

const F = 'fail' as const, OK = 'ok' as const, SLOW = 'slow' as const;

describe('incident scenarios on the memory store', () => {
  const scenarios: Array<{ name: string; specs?: CheckSpecBase[]; runs: Run[]; incidents: string[]; messages: number }> = [
    { name: 'a flapping check never opens one', runs: [F, OK, F, OK, F, OK, F, OK], incidents: [], messages: 0 },
    { name: 'an outage: one opened, one resolved', runs: [OK, F, F, F, F, OK, F, OK, OK], incidents: ['c down crit resolved'], messages: 2 },
    { name: 'slow, then down: one incident escalated, then resolved', runs: [SLOW, SLOW, F, F, OK, OK], incidents: ['c down crit resolved'], messages: 3 },
    { name: 'down with a slow past recovers to slow: de-escalated, still open', runs: [SLOW, SLOW, F, F, SLOW, SLOW], incidents: ['c slow warn'], messages: 2 },
    { name: 'a threshold of 3 waits for the third failure', specs: [spec('c', { failureThreshold: 3 })], runs: ['stalled', 'stalled'], incidents: [], messages: 0 },
    { name: 'a listener condition opens its own incident', specs: [spec('c', { failureThreshold: 3 })], runs: ['stalled', 'stalled', 'stalled', OK, OK], incidents: ['c listener_stalled crit resolved'], messages: 2 },
  ];
  for (const s of scenarios) {
    test(s.name, async () => {
      const w = world(s.specs ?? [spec('c')]);
      await w.runs('c', s.runs);
      assert.deepEqual(w.summary(), s.incidents);
      assert.equal(w.messages().length, s.messages, w.messages().join('\n'));
    });
  }

  test('a restart between two failures resumes the streak: the second failure opens', async () => {
    const w = world([spec('c')]);
    await w.runs('c', [F]);
    w.restart();
    await w.runs('c', [F]);
    assert.deepEqual(w.summary(), ['c down crit']);
    assert.match(w.messages()[0], /^🚨 \[CRIT\] c: down/);
  });
});
