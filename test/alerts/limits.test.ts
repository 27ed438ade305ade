// Every alert text fits each channel: typed fields are bounded, and a channel never sends more than its limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CHANNEL_TEXT_LIMITS, fitText, formatAlert, type AlertEvent } from '../../agent/src/alerts/format.ts';
import { createSlackChannel } from '../../agent/src/alerts/slack.ts';
import { createTelegramChannel } from '../../agent/src/alerts/telegram.ts';
import { startFakeChannels } from './fakes.ts';

const huge = 'ä'.repeat(100_000);
const base: AlertEvent = {
  kind: 'opened', severity: 'crit', check: 'api.health', condition: 'down', incidentId: 42, detail: huge,
  values: { status: 503 }, since: '2026-03-02T10:00:00Z', at: '2026-03-02T10:12:00Z', acknowledgedBy: huge,
  incidentUrl: 'http://grafana.test/a/blocktrust-monitor-app/incidents/42', playbookUrl: 'https://docs.test/playbooks/down.md',
};

let fake: Awaited<ReturnType<typeof startFakeChannels>>;
before(async () => {
  fake = await startFakeChannels();
});
after(async () => fake.close());

test('an alert with 100,000-character typed fields stays within every channel limit and keeps its first line and links', () => {
  const events: AlertEvent[] = [
    base,
    { ...base, kind: 'resolved', resolvedBy: huge, comment: huge, resolvedAfterSec: 60 },
    { ...base, kind: 'reminder', reminderNumber: 3 },
    { ...base, kind: 'test', channel: huge },
  ];
  for (const event of events) {
    for (const language of ['en', 'pt-BR'] as const) {
      const text = formatAlert(event, language);
      assert.ok(text.length <= Math.min(CHANNEL_TEXT_LIMITS.slack, CHANNEL_TEXT_LIMITS.telegram), `${event.kind}/${language}: ${text.length}`);
      assert.match(text.split('\n')[0], /api\.health|test/);
      if (event.kind !== 'test') assert.match(text, /incidents\/42$/m);
    }
  }
});

test('fitText: shortens the longest lines first, drops middle lines only when it must, never splits a surrogate pair', () => {
  assert.equal(fitText('short', 10), 'short');
  const lines = ['first line', 'y'.repeat(500), 'Incident: http://g/1'];
  const fitted = fitText(lines.join('\n'), 200);
  assert.ok(fitted.length <= 200);
  assert.deepEqual([fitted.split('\n')[0], fitted.split('\n')[2]], ['first line', 'Incident: http://g/1']);
  const many = Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n');
  const cut = fitText(many, 100);
  assert.ok(cut.length <= 100 && cut.startsWith('line 0\n') && cut.endsWith('line 299'), cut);
  const emoji = fitText('🚨'.repeat(100), 51);
  assert.ok(emoji.length <= 51 && !/[\uD800-\uDBFF]…$/.test(emoji));
});

test('the channels send at most their limit, whatever text they are given', async () => {
  const common = { minSeverity: 'info' as const, language: 'en' as const, timeoutMs: 5000 };
  const slack = createSlackChannel({ ...common, name: 'slack', webhookUrl: fake.slackUrl() });
  const telegram = createTelegramChannel({ ...common, name: 'telegram', botToken: '123456:AAH-limits-test-token-0123456789', chatId: '1', apiBase: fake.telegramBase });
  assert.equal((await slack.send({ text: 'z'.repeat(50_000) })).ok, true);
  assert.equal((await telegram.send({ text: 'z'.repeat(50_000) })).ok, true);
  assert.deepEqual([fake.texts('slack')[0].length, fake.texts('telegram')[0].length], [CHANNEL_TEXT_LIMITS.slack, CHANNEL_TEXT_LIMITS.telegram]);
});
