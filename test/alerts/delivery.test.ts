import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWorld, spec, TELEGRAM_TOKEN, type World } from '../incidents/harness.ts';

describe('delivery through the outbox when channels misbehave', () => {
  let w: World;
  before(async () => {
    w = await createWorld({ prefix: 'delivery', specs: [spec('api.health'), spec('api.stats')], channelTimeoutMs: 2000, notifier: { maxAttempts: 4 } });
  });
  after(async () => w.close());

  test('500, 429 and a timeout are retried with backoff; each message arrives exactly once', async () => {
    const counts = { slack: 0, telegram: 0 };
    w.fake.setScript((r) => {
      const n = ++counts[r.service];
      if (r.service === 'slack') {
        if (n === 1) return { status: 500, body: 'internal error' };
        if (n === 2) return { status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } };
        if (n === 3) return 'hang';
        return { status: 200 };
      }
      if (n === 1) return { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 30', parameters: { retry_after: 30 } } };
      return { status: 200 };
    });
    await w.run('api.health', 'fail');
    const attemptedAt = w.clock.now();
    await w.engine.onResults([{ check: 'api.health', ts: attemptedAt, ok: false, latencyMs: 100, condition: 'down', details: { error: 'down' } }], w.specs);
    await w.notifier.runOnce();
    let rows = await w.outbox();
    const telegram = rows.find((n) => n.channel === 'telegram');
    assert.equal(telegram.status, 'pending');
    assert.equal(telegram.http_status, 429);
    assert.ok(telegram.next_attempt_at.getTime() - attemptedAt.getTime() >= 30_000, 'Telegram retry_after honoured');
    const slack = rows.find((n) => n.channel === 'slack');
    assert.equal(slack.http_status, 500);
    assert.equal(slack.next_attempt_at.getTime() - attemptedAt.getTime(), 5000, 'first backoff 5 s');

    for (let i = 0; i < 12; i++) {
      w.clock.advance(10_000);
      await w.notifier.runOnce();
    }
    rows = await w.outbox();
    assert.deepEqual(rows.map((n) => [n.channel, n.status, n.attempts]).sort(),
      [['slack', 'sent', 4], ['telegram', 'sent', 2]]);
    assert.equal(w.fake.delivered('slack').length, 1);
    assert.equal(w.fake.delivered('telegram').length, 1);
    assert.deepEqual(w.fake.received.filter((r) => r.service === 'slack').map((r) => r.answered), [500, 429, null, 200]);
    const notified = (await w.db.pool.query(`SELECT channel FROM monitor_incident_events WHERE kind = 'notified' ORDER BY channel`)).rows;
    assert.deepEqual(notified.map((e) => e.channel), ['slack', 'telegram']);
  });

  test('a channel that rejects the message fails at once; one that keeps erring fails after the last attempt', async () => {
    w.fake.received.length = 0;
    w.fake.setScript((r) => (r.service === 'telegram'
      ? { status: 401, body: { ok: false, error_code: 401, description: `Unauthorized: bot${TELEGRAM_TOKEN} is not valid` } }
      : { status: 502, body: 'bad gateway' }));
    await w.runs('api.stats', ['fail', 'fail']);
    for (let i = 0; i < 8; i++) {
      w.clock.advance(60_000);
      await w.notifier.runOnce();
    }
    const incidentId = (await w.incidents()).find((i) => i.check_name === 'api.stats').id;
    const rows = (await w.outbox()).filter((n) => n.incident_id === incidentId);
    const telegram = rows.find((n) => n.channel === 'telegram');
    assert.deepEqual([telegram.status, telegram.attempts, telegram.http_status], ['failed', 1, 401]);
    assert.equal(telegram.last_error, 'Telegram answered HTTP 401: Unauthorized: bot*** is not valid');
    const slack = rows.find((n) => n.channel === 'slack');
    assert.deepEqual([slack.status, slack.attempts, slack.http_status], ['failed', 4, 502]);
    assert.equal(w.fake.received.filter((r) => r.service === 'slack').length, 4);
    const failed = (await w.db.pool.query(`SELECT message FROM monitor_incident_events WHERE kind = 'notify_failed' AND incident_id = $1 ORDER BY id`, [incidentId])).rows;
    assert.deepEqual(failed.map((e) => e.message.replace(/: .*$/, '')), [
      'opened to telegram failed after 1 attempt(s)', 'opened to slack failed after 4 attempt(s)',
    ]);
    w.fake.setScript(() => ({ status: 200 }));
  });

  test('a resolution waits until the opening to the same channel is delivered', async () => {
    w.fake.received.length = 0;
    let slackDown = true;
    w.fake.setScript((r) => (r.service === 'slack' && slackDown ? { status: 503 } : { status: 200 }));
    await w.runs('api.health', ['ok', 'ok', 'fail', 'fail', 'ok', 'ok']);
    assert.equal(w.fake.delivered('slack').length, 0);
    slackDown = false;
    for (let i = 0; i < 10; i++) {
      w.clock.advance(60_000);
      await w.notifier.runOnce();
    }
    const texts = w.fake.texts('slack');
    assert.equal(texts.length, 2);
    assert.match(texts[0], /\[CRIT\]/);
    assert.match(texts[1], /\[RESOLVED\]/);
  });

  test('no secret reached a log line, the outbox or the timeline', async () => {
    assert.ok(w.log.lines.length > 5, 'the scenarios above did log');
    const everything = w.log.lines.join('\n') + JSON.stringify(await w.outbox()) +
      JSON.stringify((await w.db.pool.query('SELECT * FROM monitor_incident_events')).rows);
    assert.ok(!everything.includes(TELEGRAM_TOKEN), 'no bot token in logs, outbox or timeline');
    assert.ok(!everything.includes(TELEGRAM_TOKEN.split(':')[1]));
    assert.ok(!everything.includes('slackSecretXYZ123'), 'no webhook secret in logs, outbox or timeline');
  });
});
