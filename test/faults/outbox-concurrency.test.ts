// Several agents deliver one outbox while a channel is slow: every message reaches each channel exactly once,
// and the slow channel delays only itself.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import { createNotifier } from '../../agent/src/alerts/notifier.ts';
import { createPgIncidentStore } from '../../agent/src/incidents/store.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { capturingLogger, startFakeChannels } from '../alerts/fakes.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

const BOT = '6112345678:AAOutbox-bot-token-0123456789abcdef';
const MESSAGES = 8;
let db: TestDatabase;
let chat: Awaited<ReturnType<typeof startFakeChannels>>;

before(async () => {
  db = await migratedDatabase('outboxconc');
  chat = await startFakeChannels();
});
after(async () => {
  await chat.close();
  await db.drop();
});

/** One agent's notifier: its own pool, its own channel directory, the real clock. */
function agent() {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const log = capturingLogger();
  const channels = createChannelDirectory({
    db: pool, log, cacheMs: 0, timeoutMs: 30_000,
    env: { slackWebhook: chat.slackUrl(), telegramBot: BOT, telegramChat: '-1', telegramApiBase: chat.telegramBase, language: 'en', minSeverity: 'info' },
  });
  const store = createPgIncidentStore(pool, { clock: systemClock, links: {} });
  return { pool, notifier: createNotifier({ store, clock: systemClock, log, channels, options: { leaseMs: 60_000 } }) };
}

async function enqueue(round: string): Promise<void> {
  for (let i = 0; i < MESSAGES; i++) {
    for (const channel of ['slack', 'telegram']) {
      await db.pool.query(
        `INSERT INTO monitor_notifications (channel, kind, severity, dedup_key, payload) VALUES ($1, 'opened', 'crit', $2, $3)`,
        [channel, `${round}:${i}:${channel}`, JSON.stringify({ text: `${round} message ${i}` })]);
    }
  }
}

describe('agents sharing the outbox with a slow channel', () => {
  for (const agents of [2, 3]) {
    test(`${agents} agents: each message once per channel; Telegram done while every Slack answer is still held`, async () => {
      chat.received.length = 0;
      const round = `agents${agents}`;
      await enqueue(round);
      // Slack answers nothing until all of Telegram's messages have arrived: sequential delivery would deadlock here.
      let release!: () => void;
      const telegramDone = new Promise<void>((r) => (release = r));
      chat.setScript((r) => {
        if (r.service === 'telegram') {
          if (chat.received.filter((x) => x.service === 'telegram').length === MESSAGES) release();
          return { status: 200 };
        }
        return { status: 200, after: telegramDone };
      });
      const team = Array.from({ length: agents }, agent);
      try {
        await Promise.all(team.map((a) => a.notifier.runOnce()));
      } finally {
        await Promise.all(team.map((a) => a.pool.end()));
      }
      const texts = (service: 'slack' | 'telegram') => chat.delivered(service).map((r) => r.body.text as string).sort();
      const expected = Array.from({ length: MESSAGES }, (_, i) => `${round} message ${i}`).sort();
      assert.deepEqual(texts('slack'), expected);
      assert.deepEqual(texts('telegram'), expected);
      assert.equal(chat.received.length, 2 * MESSAGES, 'no request repeated, none timed out');
      const rows = (await db.pool.query(`SELECT status, attempts FROM monitor_notifications WHERE dedup_key LIKE $1`, [`${round}:%`])).rows;
      assert.deepEqual(rows.map((r) => `${r.status}/${r.attempts}`), Array(2 * MESSAGES).fill('sent/1'));
    });
  }
});
