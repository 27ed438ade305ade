import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWorld, spec, SLACK_SECRET, TELEGRAM_TOKEN, type World } from './harness.ts';

const F = 'fail' as const;
const OK = 'ok' as const;
const SLOW = 'slow' as const;

describe('incident lifecycle', () => {
  let w: World;
  before(async () => {
    w = await createWorld({
      prefix: 'lifecycle',
      env: { minSeverity: 'warn' },
      specs: [spec('api.health'), spec('api.events'), spec('api.stats', { severity: 'warn' }), spec('listener.lag', { failureThreshold: 3 })],
    });
  });
  after(async () => w.close());

  test('a flapping check never reaches the failure threshold: no incident, no message', async () => {
    await w.runs('api.events', [F, OK, F, OK, F, OK, F, OK, F, OK]);
    assert.equal((await w.incidents()).length, 0);
    assert.equal(w.fake.received.length, 0);
  });

  test('an outage gives exactly one opened and one resolved message per channel, with values and links', async () => {
    await w.runs('api.health', [OK, F, F, F, F, F, F, F, F, F, F, F, F, OK, F, OK, OK, OK]);
    const incidents = await w.incidents();
    assert.equal(incidents.length, 1);
    const [inc] = incidents;
    assert.equal(inc.check_name, 'api.health');
    assert.equal(inc.condition, 'down');
    assert.equal(inc.severity, 'crit');
    assert.ok(inc.resolved_at, 'resolved');
    // Opened at the first failure, resolved at the second success in a row: 14 runs of 60 s.
    assert.equal((inc.resolved_at.getTime() - inc.opened_at.getTime()) / 60_000, 15);
    for (const service of ['slack', 'telegram'] as const) {
      const texts = w.fake.texts(service);
      assert.equal(texts.length, 2, `${service}: one opened, one resolved`);
      assert.match(texts[0], /^🚨 \[CRIT\] api\.health: down\n/);
      assert.match(texts[0], /GET \/api\/health answered HTTP 503\./);
      assert.match(texts[0], /HTTP status 503/);
      assert.match(texts[0], new RegExp(`Incident: http://grafana\\.test/a/blocktrust-monitor-app/incidents/${inc.id}`));
      assert.match(texts[0], /Playbook: https:\/\/docs\.test\/playbooks\/down\.md/);
      assert.match(texts[1], /^✅ \[RESOLVED\] api\.health: down, resolved after 15 m/);
    }
    assert.equal(w.fake.received.find((r) => r.service === 'telegram')!.body.chat_id, '-100123');
    const kinds = (await w.timeline(inc.id)).map((e) => `${e.kind}${e.channel ? `:${e.channel}` : ''}`);
    // Channels are delivered concurrently: the two notifications of one message may land in either order.
    const sortedPairs = [kinds[0], ...kinds.slice(1, 3).sort(), kinds[3], ...kinds.slice(4).sort()];
    assert.deepEqual(sortedPairs, ['opened', 'notified:slack', 'notified:telegram', 'resolved', 'notified:slack', 'notified:telegram']);
  });

  test('a warn check routes by minimum severity; a slow check escalates to down on the same incident', async () => {
    w.fake.received.length = 0;
    await w.db.pool.query(`INSERT INTO monitor_channels (name, kind, min_severity, language, updated_by) VALUES ('telegram', 'telegram', 'crit', 'pt-BR', 'admin')`);
    w.channels.invalidate();
    await w.runs('api.events', [SLOW, SLOW, SLOW]);
    let [inc] = (await w.incidents()).filter((i) => i.check_name === 'api.events');
    assert.equal(inc.condition, 'slow');
    assert.equal(inc.severity, 'warn');
    assert.equal(w.fake.delivered('telegram').length, 0, 'warn does not reach a crit-only channel');
    assert.match(w.fake.texts('slack')[0], /^⚠️ \[WARN\] api\.events: slow/);
    assert.match(w.fake.texts('slack')[0], /latency 1450 ms · objective 800 ms/);

    await w.runs('api.events', [F, F, F]);
    const all = (await w.incidents()).filter((i) => i.check_name === 'api.events');
    assert.equal(all.length, 1, 'the same incident, not a second one');
    [inc] = all;
    assert.equal(inc.condition, 'down');
    assert.equal(inc.severity, 'crit');
    assert.ok(inc.escalated_at);
    assert.match(w.fake.texts('slack')[1], /^🚨 \[CRIT\] api\.events: down \(escalated from WARN slow\)/);
    assert.match(w.fake.texts('telegram')[0], /^🚨 \[CRIT\] api\.events: indisponível \(escalado de WARN lento\)/);

    await w.runs('api.events', [OK, OK]);
    [inc] = (await w.incidents()).filter((i) => i.check_name === 'api.events');
    assert.ok(inc.resolved_at);
    assert.equal(w.fake.texts('slack').length, 3);
    assert.match(w.fake.texts('slack')[2], /^✅ \[RESOLVED\] api\.events: down, resolved after/);
    assert.equal(w.fake.texts('telegram').length, 2, 'resolution goes where the escalation went');
    assert.match(w.fake.texts('telegram')[1], /^✅ \[RESOLVIDO\] api\.events: indisponível, resolvido após \d+ min/);
    const kinds = (await w.timeline(inc.id)).map((e) => e.kind);
    assert.deepEqual(kinds.filter((k) => k !== 'notified'), ['opened', 'escalated', 'resolved']);
    await w.db.pool.query(`DELETE FROM monitor_channels`);
    w.channels.invalidate();
  });

  test('listener conditions open their own incident with their threshold', async () => {
    w.fake.received.length = 0;
    await w.runs('listener.lag', [{ condition: 'listener_stalled' }, { condition: 'listener_stalled' }]);
    assert.equal((await w.incidents()).filter((i) => i.check_name === 'listener.lag').length, 0, 'threshold 3 not reached');
    await w.run('listener.lag', { condition: 'listener_stalled' });
    const [inc] = (await w.incidents()).filter((i) => i.check_name === 'listener.lag');
    assert.equal(inc.condition, 'listener_stalled');
    assert.match(w.fake.texts('slack')[0], /^🚨 \[CRIT\] listener\.lag: listener stalled/);
    await w.runs('listener.lag', [OK, OK]);
    assert.ok((await w.incidents()).find((i) => i.id === inc.id).resolved_at);
  });

  test('no secret reached a log line, the outbox or the timeline', async () => {
    assert.ok(w.log.lines.length > 5, 'the scenarios above did log');
    const everything = w.log.lines.join('\n') + JSON.stringify(await w.outbox());
    assert.ok(!everything.includes(TELEGRAM_TOKEN.split(':')[1]), 'the Telegram token never reaches a log line or the outbox');
    assert.ok(!everything.includes('slackSecretXYZ123'), 'the Slack webhook secret never reaches a log line or the outbox');
  });
});
