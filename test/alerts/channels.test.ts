import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSlackChannel } from '../../agent/src/alerts/slack.ts';
import { createTelegramChannel } from '../../agent/src/alerts/telegram.ts';
import { redactSecrets } from '../../agent/src/alerts/redact.ts';
import { startFakeChannels } from './fakes.ts';

const TOKEN = '987654321:AAF-secretTokenPart_abcdefghijkl';

describe('Slack and Telegram channels', () => {
  let fake: Awaited<ReturnType<typeof startFakeChannels>>;
  before(async () => {
    fake = await startFakeChannels();
  });
  after(async () => fake.close());

  test('Slack posts {"text"} to the webhook; Telegram posts chat_id and text to sendMessage', async () => {
    const slack = createSlackChannel({ name: 'slack', minSeverity: 'warn', language: 'en', webhookUrl: fake.slackUrl('T1/B1/abc') });
    const telegram = createTelegramChannel({ name: 'telegram', minSeverity: 'warn', language: 'en', botToken: TOKEN, chatId: '-42', apiBase: fake.telegramBase });
    assert.deepEqual(await slack.send({ text: 'hello' }), { ok: true, httpStatus: 200 });
    assert.deepEqual(await telegram.send({ text: 'olá' }), { ok: true, httpStatus: 200 });
    assert.deepEqual(fake.received.map((r) => [r.service, r.path.replace(TOKEN, '<token>'), r.body]), [
      ['slack', '/services/T1/B1/abc', { text: 'hello' }],
      ['telegram', '/bot<token>/sendMessage', { chat_id: '-42', text: 'olá', disable_web_page_preview: true }],
    ]);
  });

  test('429s carry the wait: Telegram parameters.retry_after, Slack Retry-After', async () => {
    fake.setScript((r) => (r.service === 'telegram'
      ? { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 17', parameters: { retry_after: 17 } } }
      : { status: 429, body: 'rate_limited', headers: { 'retry-after': '9' } }));
    const slack = createSlackChannel({ name: 'slack', minSeverity: 'warn', language: 'en', webhookUrl: fake.slackUrl('T1/B1/abc') });
    const telegram = createTelegramChannel({ name: 'telegram', minSeverity: 'warn', language: 'en', botToken: TOKEN, chatId: '-42', apiBase: fake.telegramBase });
    const t = await telegram.send({ text: 'x' });
    assert.deepEqual([t.ok, t.httpStatus, t.retryAfterSec], [false, 429, 17]);
    const s = await slack.send({ text: 'x' });
    assert.deepEqual([s.ok, s.httpStatus, s.retryAfterSec, s.error], [false, 429, 9, 'Slack answered HTTP 429: rate_limited']);
    fake.setScript(() => ({ status: 200 }));
  });

  test('connection errors, timeouts and misconfiguration never carry the token or the webhook', async () => {
    const closedPort = 'http://127.0.0.1:9';
    const telegram = createTelegramChannel({ name: 't', minSeverity: 'warn', language: 'en', botToken: TOKEN, chatId: '-42', apiBase: closedPort });
    const slack = createSlackChannel({ name: 's', minSeverity: 'warn', language: 'en', webhookUrl: `${closedPort}/services/T1/B1/hiddenWebhookPart` });
    fake.setScript(() => 'hang');
    const hanging = createTelegramChannel({ name: 't', minSeverity: 'warn', language: 'en', botToken: TOKEN, chatId: '-42', apiBase: fake.telegramBase, timeoutMs: 200 });
    const results = [await telegram.send({ text: 'x' }), await slack.send({ text: 'x' }), await hanging.send({ text: 'x' })];
    fake.setScript(() => ({ status: 200 }));
    for (const r of results) {
      assert.equal(r.ok, false);
      assert.ok(r.error);
      assert.ok(!r.error!.includes(TOKEN) && !r.error!.includes('secretTokenPart') && !r.error!.includes('hiddenWebhookPart'), r.error);
    }
    assert.match(results[2].error!, /^Telegram: timed out waiting for the channel$/);
    assert.deepEqual(createTelegramChannel({ name: 't', minSeverity: 'warn', language: 'en', botToken: 'nope', apiBase: closedPort }).validate(),
      ['channel t: the Telegram bot token is malformed', 'channel t: no Telegram chat id configured']);
  });

  test('redaction removes bot tokens in URLs and Slack webhook paths', () => {
    assert.equal(redactSecrets(`POST https://api.telegram.org/bot${TOKEN}/sendMessage failed`), 'POST https://api.telegram.org/bot***/sendMessage failed');
    assert.equal(redactSecrets('hook https://hooks.slack.com/services/T0/B0/XyZ failed'), 'hook https://hooks.slack.com/services/*** failed');
    assert.equal(redactSecrets(`token ${TOKEN} leaked`), 'token *** leaked');
    assert.equal(redactSecrets('custom s3cr3t-value here', ['s3cr3t-value']), 'custom *** here');
  });
});
