// Grouping, as Alertmanager's group_by/group_wait: five checks failing together on one host give one message per
// channel (English on Slack, Brazilian Portuguese on Telegram) and one "resolved" when the last heals; the
// incidents stay per check. Real Postgres, the real engine and notifier, local Slack and Telegram stand-ins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPgGroupingStore, formatGroupedAlert, groupKey } from '../../agent/src/alerts/grouping.ts';
import { createNotifier, type Notifier } from '../../agent/src/alerts/notifier.ts';
import type { AlertEvent } from '../../agent/src/alerts/format.ts';
import type { CheckResult } from '../../agent/src/core/types.ts';
import { createWorld, spec, type World } from '../incidents/harness.ts';

const HOST = 'api.blocktrust.test';
const API_CHECKS = ['api.health', 'api.db', 'api.events', 'api.stats', 'synthetic.hash'];

describe('grouping incidents that open together on one host', () => {
  let w: World;
  let notifier: Notifier;
  before(async () => {
    w = await createWorld({ prefix: 'grouping', specs: [...API_CHECKS.map((n) => spec(n)), spec('listener.lag')] });
    // The notifier as the agent wires it: the incident store, and grouping with a 30 s window by host.
    notifier = createNotifier({
      store: w.store, clock: w.clock, log: w.log, channels: w.channels,
      grouping: { store: createPgGroupingStore(w.db.pool), options: { windowMs: 30_000, by: 'host' } },
    });
    await w.db.pool.query(`INSERT INTO monitor_channels (name, kind, min_severity, language, updated_by) VALUES ('telegram', 'telegram', 'warn', 'pt-BR', 'admin')`);
    w.channels.invalidate();
  });
  after(async () => w.close());

  /** One run of every given check at the current time, the engine and a delivery round; then the clock moves 10 s. */
  async function round(outcomes: Record<string, 'ok' | 'fail'>): Promise<void> {
    const results: CheckResult[] = Object.entries(outcomes).map(([check, o]) => {
      const url = check.startsWith('listener') ? null : `http://${HOST}/${check.replace('.', '/')}`;
      return o === 'ok'
        ? { check, ts: w.clock.now(), ok: true, latencyMs: 40, details: {} }
        : {
            check, ts: w.clock.now(), ok: false, latencyMs: 10_000, condition: 'down',
            details: { error_class: 'timeout', error: `no answer within 10000 ms from ${url ?? 'the database'}`, condition: 'down', ...(url ? { url } : {}) },
          };
    });
    for (const r of results) {
      await w.db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES ($1, $2, $3, $4, $5)`,
        [r.ts, r.check, r.ok, r.latencyMs, JSON.stringify(r.details)]);
    }
    await w.engine.onResults(results, w.specs);
    await w.engine.tick();
    await notifier.runOnce();
    w.clock.advance(10_000);
  }
  const all = (o: 'ok' | 'fail', names = [...API_CHECKS, 'listener.lag']) => Object.fromEntries(names.map((n) => [n, o]));

  test('five checks on one host failing together: one message per channel after the window, in each language', async () => {
    await round(all('ok'));
    await round(all('fail'));
    await round(all('fail'));
    assert.equal((await w.incidents()).filter((i) => !i.resolved_at).length, 6, 'one incident per check');
    assert.deepEqual(w.fake.texts('slack').map((t) => t.split('\n')[0]), ['🚨 [CRIT] listener.lag: down'],
      'a check without a host goes out at once; the five wait for the window');

    for (let i = 0; i < 3; i += 1) await round(all('fail'));
    const slack = w.fake.texts('slack');
    const telegram = w.fake.texts('telegram');
    assert.equal(slack.length, 2, `one grouped message and one for the check without a host:\n${slack.join('\n---\n')}`);
    assert.equal(telegram.length, 2);

    const grouped = slack.find((t) => t.includes('together'))!;
    assert.match(grouped, new RegExp(`^🚨 \\[CRIT\\] 5 checks failing together on ${HOST.replace(/\./g, '\\.')}\\n`));
    for (const name of API_CHECKS) assert.match(grouped, new RegExp(`^• ${name.replace('.', '\\.')} \\(CRIT\\): down: no answer within 10000 ms`, 'm'));
    assert.match(grouped, /^Incidents: api\.db http:\/\/grafana\.test\/a\/blocktrust-monitor-app\/incidents\/\d+ · /m);
    assert.match(slack.find((t) => !t.includes('together'))!, /^🚨 \[CRIT\] listener\.lag: down\n/);

    const agrupada = telegram.find((t) => t.includes('juntas'))!;
    assert.match(agrupada, new RegExp(`^🚨 \\[CRIT\\] 5 verificações falhando juntas em ${HOST.replace(/\./g, '\\.')}\\n`));
    assert.match(agrupada, /^• api\.health \(CRIT\): indisponível: /m);
    assert.match(agrupada, /^Desde /m);

    const [first] = (await w.incidents()).filter((i) => i.check_name === 'api.health');
    const kinds = (await w.timeline(first.id)).map((e) => `${e.kind}${e.channel ? `:${e.channel}` : ''}`);
    assert.deepEqual(kinds.sort(), ['notified:slack', 'notified:telegram', 'opened'], 'each grouped incident has its own timeline');
  });

  test('one "resolved" per channel when the last of the group heals; a check outside the group resolves on its own', async () => {
    w.fake.received.length = 0;
    const healed = ['api.health', 'api.db', 'api.events', 'api.stats', 'listener.lag'];
    await round({ ...all('ok', healed), 'synthetic.hash': 'fail' });
    await round({ ...all('ok', healed), 'synthetic.hash': 'fail' });
    await round({ ...all('ok', healed), 'synthetic.hash': 'fail' });
    assert.equal((await w.incidents()).filter((i) => !i.resolved_at).length, 1, 'five incidents resolved, one still open');
    assert.deepEqual(w.fake.texts('slack').map((t) => t.split('\n')[0]), ['✅ [RESOLVED] listener.lag: down, resolved after 1 m'],
      'the grouped ones wait for the last of their group');

    for (let i = 0; i < 3; i += 1) await round(all('ok'));
    const slack = w.fake.texts('slack');
    assert.equal(slack.length, 2, slack.join('\n---\n'));
    assert.match(slack[1], new RegExp(`^✅ \\[RESOLVED\\] 5 checks on ${HOST.replace(/\./g, '\\.')} recovered after \\d+ m\\n`));
    for (const name of API_CHECKS) assert.match(slack[1], new RegExp(`^• ${name.replace('.', '\\.')}: down$`, 'm'));
    const telegram = w.fake.texts('telegram');
    assert.equal(telegram.length, 2);
    assert.match(telegram[1], new RegExp(`^✅ \\[RESOLVIDO\\] 5 verificações em ${HOST.replace(/\./g, '\\.')} normalizadas após \\d+ min\\n`));
    const sent = await w.db.pool.query(`SELECT status, count(*)::int AS n FROM monitor_notifications WHERE kind = 'resolved' GROUP BY status`);
    assert.deepEqual(sent.rows, [{ status: 'sent', n: 12 }], 'every resolved row is settled, each by the message that stood for it');
  });
});

describe('grouping, pure parts', () => {
  test('the key: the host of the checked URL, or the error class', () => {
    const cases: Array<[Parameters<typeof groupKey>[0], 'host' | 'error_class', string | undefined]> = [
      [{ url: 'https://api.blocktrust.example/api/health' }, 'host', 'api.blocktrust.example'],
      [{ url: 'http://127.0.0.1:10000/api/db/health' }, 'host', '127.0.0.1:10000'],
      [{ url: null, error_class: 'listener_stalled' }, 'host', undefined],
      [{ url: 'not a url' }, 'host', undefined],
      [{ url: 'https://a.example/x', error_class: 'timeout' }, 'error_class', 'timeout'],
      [{ url: 'https://a.example/x' }, 'error_class', undefined],
    ];
    for (const [incident, by, key] of cases) assert.equal(groupKey(incident, by), key, JSON.stringify(incident));
  });

  test('the text: the worst severity leads; grouped by error class it names the class', () => {
    const at = '2026-11-29T14:02:00Z';
    const events: AlertEvent[] = [
      { kind: 'opened', severity: 'warn', check: 'api.stats', condition: 'down', at, since: '2026-11-29T14:01:00Z', detail: 'timed out' },
      { kind: 'opened', severity: 'crit', check: 'api.events', condition: 'down', at, since: '2026-11-29T14:00:30Z', detail: 'timed out' },
    ];
    assert.equal(formatGroupedAlert('opened', events, { key: 'timeout', by: 'error_class' }),
      '🚨 [CRIT] 2 checks failing together with timeout\n• api.events (CRIT): down: timed out\n• api.stats (WARN): down: timed out\nSince 2026-11-29 14:00 UTC');
    assert.equal(formatGroupedAlert('opened', events, { key: 'timeout', by: 'error_class' }, 'pt-BR').split('\n')[0],
      '🚨 [CRIT] 2 verificações falhando juntas com timeout');
    const many: AlertEvent[] = Array.from({ length: 40 }, (_, i) => ({
      ...events[0], check: `api.route_${String(i).padStart(2, '0')}`, detail: 'x'.repeat(400), incidentUrl: `https://grafana.example/a/blocktrust-monitor-app/incidents/${1000 + i}`,
    }));
    const long = formatGroupedAlert('opened', many, { key: 'api.example', by: 'host' }, 'pt-BR');
    assert.ok(long.length < 4096, `within Telegram's limit: ${long.length}`);
    assert.match(long, /^• api\.route_11 .*\n… e mais 28\n/m);
    const resolved = events.map((e, i) => ({ ...e, kind: 'resolved' as const, resolvedAfterSec: 300 + i * 60 }));
    assert.equal(formatGroupedAlert('resolved', resolved, { key: 'api.x', by: 'host' }).split('\n')[0],
      '✅ [RESOLVED] 2 checks on api.x recovered after 6 m');
  });
});
