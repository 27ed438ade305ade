// kill -9 at each stage of an incident, between sends: the agent that comes back opens nothing twice, loses no
// message and repeats none. Exact counts of incidents and of messages per transition per channel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';
import { startFakeChannels } from '../alerts/fakes.ts';
import { checksFileWith, count, startAgentProcess, until, type AgentProcess, killLeftoverAgents } from './helpers.ts';

const BOT = '6012345678:AAKill9-bot-token-0123456789abcdef';
let db: TestDatabase;
let api: DemoServer;
let chat: Awaited<ReturnType<typeof startFakeChannels>>;
let env: Record<string, string>;

before(async () => {
  db = await migratedDatabase('kill9');
  api = await startDemoServer();
  chat = await startFakeChannels();
  env = {
    DATABASE_URL: db.url, API_BASE: api.url, JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
    MONITOR_CHECKS_FILE: await checksFileWith([{ name: 'api.health', interval_sec: 1 }]),
    ALERT_SLACK_WEBHOOK: chat.slackUrl(), ALERT_TELEGRAM_BOT: BOT, ALERT_TELEGRAM_CHAT: '-1001', ALERT_TELEGRAM_API_BASE: chat.telegramBase,
    MONITOR_AGENT_ID: 'kill9-agent', ALERT_GROUP_WINDOW: '0', // one message per incident, to count them
  };
});
after(async () => {
  await killLeftoverAgents();
  await chat.close();
  await api.close();
  await db.drop();
});

const outbox = (kind: string, status: string) =>
  count(db.pool, `SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = $1 AND status = $2`, [kind, status]);

test('kill -9 with the opening unsent, after it was sent, and during the recovery: one incident, one message per transition per channel', async () => {
  let agent: AgentProcess;
  // 1. The API fails, the incident opens, both channels answer 503: the opening waits in the outbox. kill -9.
  chat.setScript(() => ({ status: 503, body: 'unavailable' }));
  api.controls.setFaults({ errorRateByPath: { '/api/health': 1 } });
  agent = startAgentProcess(['run'], env);
  await until('the opening tried once on each channel and waiting', async () =>
    (await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = 'opened' AND status = 'pending' AND attempts >= 1`)) === 2);
  await agent.kill9();
  assert.equal(chat.delivered().length, 0);

  // 2. Channels healthy again; a new agent delivers the waiting opening once per channel. kill -9 once recorded.
  chat.setScript(() => ({ status: 200 }));
  agent = startAgentProcess(['run'], env);
  await until('the opening sent on both channels', async () => (await outbox('opened', 'sent')) === 2, 120_000);
  await agent.kill9();

  // 3. The API heals while no agent runs; the next agent resolves the incident and says so once per channel.
  api.controls.reset();
  agent = startAgentProcess(['run'], env);
  await until('the resolution sent on both channels', async () => (await outbox('resolved', 'sent')) === 2, 120_000);
  assert.equal(await agent.stop(), 0, agent.logs());

  assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incidents`), 1);
  assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incidents WHERE resolved_at IS NOT NULL`), 1);
  for (const service of ['slack', 'telegram'] as const) {
    const texts = chat.texts(service);
    assert.equal(texts.length, 2, `${service}: ${JSON.stringify(texts)}`);
    assert.match(texts[0], /^🚨 \[CRIT\] api\.health: down/);
    assert.match(texts[1], /^✅ \[RESOLVED\] api\.health: down/);
  }
  assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incident_events WHERE kind = 'opened'`), 1);
  assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incident_events WHERE kind = 'resolved'`), 1);
  assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incident_events WHERE kind = 'notified'`), 4);
});

test('kill -9 while a message is in flight: only that message repeats, once; the one never attempted goes out once', async () => {
  const own = await migratedDatabase('kill9send');
  const local = { ...env, DATABASE_URL: own.url, MONITOR_CHECKS_FILE: await checksFileWith([{ name: 'api.health', interval_sec: 1 }, { name: 'api.stats', interval_sec: 1 }]) };
  chat.received.length = 0;
  // Slack takes the first message and never answers; every later request is answered at once.
  chat.setScript((r) => (r.service === 'slack' && chat.received.filter((x) => x.service === 'slack').length === 1 ? 'hang' : { status: 200 }));
  api.controls.setFaults({ errorRateByPath: { '/api/health': 1, '/api/explorer/stats': 1 } });
  const ownCount = (sql: string) => count(own.pool, sql);
  try {
    let agent = startAgentProcess(['run'], local);
    await until('both openings out on Telegram while the first Slack send hangs', async () =>
      chat.delivered('telegram').length === 2 && chat.received.filter((r) => r.service === 'slack').length === 1 &&
      (await ownCount(`SELECT COUNT(*) AS n FROM monitor_notifications WHERE channel = 'slack' AND kind = 'opened'`)) === 2);
    await agent.kill9();
    const inFlight = chat.received.find((r) => r.service === 'slack')!.body.text as string;

    agent = startAgentProcess(['run'], local);
    await until('both openings delivered on Slack', () => chat.delivered('slack').length === 2, 120_000);
    await until('recorded as sent', async () =>
      (await ownCount(`SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = 'opened' AND status = 'sent'`)) === 4);
    assert.equal(await agent.stop(), 0, agent.logs());

    const slack = chat.received.filter((r) => r.service === 'slack').map((r) => r.body.text as string);
    assert.equal(slack.length, 3, 'one request in flight at the kill, then one per message');
    // The message in flight at the kill repeated once (after its lease); the one never attempted went out once.
    assert.equal(slack.filter((t) => t === inFlight).length, 2);
    assert.equal(new Set(slack).size, 2);
    const attempts = (await own.pool.query(`SELECT payload->>'text' AS text, attempts FROM monitor_notifications WHERE channel = 'slack' ORDER BY id`)).rows;
    assert.deepEqual(attempts.map((r) => r.attempts).sort(), [1, 2]);
    assert.equal(attempts.find((r) => r.attempts === 2).text, inFlight);
    assert.equal(chat.delivered('telegram').length, 2, 'Telegram: nothing repeated');
    assert.equal(await ownCount(`SELECT COUNT(*) AS n FROM monitor_incidents`), 2);
  } finally {
    api.controls.reset();
    chat.setScript(() => ({ status: 200 }));
    await own.drop();
  }
});
